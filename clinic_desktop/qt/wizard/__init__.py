"""Qt wizard."""
