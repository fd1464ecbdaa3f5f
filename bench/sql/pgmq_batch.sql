-- Benchmark 2c, baseline: pgmq's batched consumer cycle: read up to :n messages with a visibility timeout, then
-- delete them by their ids (two transactions; nothing to delete when the read came back empty).
SELECT count(*) AS got, coalesce(array_agg(m.msg_id), '{}')::text AS ids FROM pgmq.read('bench_queue', 600, :n) m \gset
\if :got > 0
SELECT pgmq.delete('bench_queue', :ids::bigint[]);
\endif
