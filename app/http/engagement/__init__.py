"""Engagement area (seed 000 §11): mission templates, participant missions, check-in, ledger, stats,
alerts and the wall."""
