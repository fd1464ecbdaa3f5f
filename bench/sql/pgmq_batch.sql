-- Benchmark 2c, baseline: pgmq's batched consumer cycle: read :n messages with a visibility timeout, then
-- delete them by their ids (two transactions).
SELECT array_agg(m.msg_id)::text AS ids FROM pgmq.read('bench_queue', 600, :n) m \gset
SELECT pgmq.delete('bench_queue', :ids::bigint[]);
