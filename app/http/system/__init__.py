"""System area: health and Prometheus metrics (no API key)."""
