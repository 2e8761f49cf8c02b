"""Reusable widgets shared by several panes."""
