"""The mission engine: a thin Python layer (CLI, HTTP API, queue worker) over PL/pgSQL rules."""
