-- Benchmark 2, baseline: pgmq's own consumer cycle on the same cluster: read one message with a
-- visibility timeout (SKIP LOCKED inside pgmq), then delete it (two transactions).
SELECT m.msg_id AS mid FROM pgmq.read('bench_queue', 600, 1) m \gset
SELECT pgmq.delete('bench_queue', :mid::bigint);
