"""Readers of CGM and meter exports (Dexcom Clarity, LibreView, generic CSV) into domain readings."""
