"""Settings files (platformdirs) and secrets (OS keyring). Never a password in a file."""
