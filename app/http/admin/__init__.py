"""Admin area: principals and API keys (who am I, enrol, issue and revoke keys)."""
