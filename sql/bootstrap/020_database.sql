-- What the owner needs in this database, and what nobody else gets.
DO $db$
BEGIN
  -- The owner creates the engine's schemas; yoyo (running as the owner) keeps its bookkeeping in public.
  EXECUTE format('GRANT CREATE, TEMPORARY ON DATABASE %I TO missions_owner', current_database());
  -- No temporary objects for anyone else: a temporary type or table is the usual way to shadow a name.
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$db$;
GRANT USAGE, CREATE ON SCHEMA public TO missions_owner;

-- pgmq is installed by this login (its SQL, not an extension); the owner creates the engine's queues
-- in it and its triggers write the outbox.
GRANT USAGE, CREATE ON SCHEMA pgmq TO missions_owner;
GRANT ALL ON ALL TABLES IN SCHEMA pgmq TO missions_owner;
GRANT ALL ON ALL SEQUENCES IN SCHEMA pgmq TO missions_owner;
