"""Qt charts."""
