"""The live event stream (GET /events/stream): Server-Sent Events fed by one LISTEN connection per process."""
