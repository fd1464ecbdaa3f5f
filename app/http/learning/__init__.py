"""Learning area (seed 002, `/api/v1`): learning missions and progress, hints and decisions, evidence
files, AI and mentor reviews, learning templates, recipes and analytics."""
