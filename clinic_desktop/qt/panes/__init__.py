"""Qt panes."""
