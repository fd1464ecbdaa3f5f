"""The caller's in-app notifications (/notifications)."""
