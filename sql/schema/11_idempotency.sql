-- Idempotency keys: a write retried with the same key gets the first call's answer back, and the
-- work is done once. Only the engine's functions read or write this table (no grants, RLS on).
CREATE TABLE missions_private.idempotency_keys (
  caller      text NOT NULL,  -- the bound principal's id, or the session user when none is bound
  operation   text NOT NULL,  -- the SQL function's name
  key         text NOT NULL CONSTRAINT idempotency_keys_key_length CHECK (length(key) BETWEEN 1 AND 200),
  request     jsonb NOT NULL, -- the call's arguments: the same key with other arguments is refused
  response    jsonb,          -- the first call's answer, as JSON
  created_at  timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (caller, operation, key)
);
COMMENT ON TABLE missions_private.idempotency_keys IS
  'Answers of writes called with an idempotency key, replayed for retries; purged after idempotency_key_ttl_hours.';
CREATE INDEX idempotency_keys_created_idx ON missions_private.idempotency_keys (created_at);
ALTER TABLE missions_private.idempotency_keys ENABLE ROW LEVEL SECURITY;
