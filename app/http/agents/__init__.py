"""Agents area (seed 004, `/api/internal`): agent missions and their tasks (steps inside), claims and
leases, input requests, external events, step kinds and reviewer designations."""
