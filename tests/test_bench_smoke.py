"""The benchmarks, tiny (`make bench-smoke`): every benchmark runs and produces a figure and a baseline,
and the report is written. Times are never asserted here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.cluster import CRON_DATABASE, Cluster
from bench.run import run


@pytest.mark.skipif(shutil.which("pgbench") is None and not Path("/usr/lib/postgresql/15/bin/pgbench").exists(),
                    reason="pgbench is not installed")
def test_every_benchmark_produces_a_figure_and_a_baseline(cluster: Cluster, tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    sections = run(server_url=cluster.url(CRON_DATABASE), out=out, smoke=True, scale=500, seed_scale=50,
                   sustain_seconds=3, db_prefix="bench_smoke")

    keys = {s.key for s in sections}
    assert keys == {"claim_by_id", "claim_next", "claim_shape", "claim_batch", "sustained", "http", "daily_jobs", "seed_loop"}
    for s in sections:
        assert s.complete(), f"{s.title}: {s.findings}"
        for r in s.rows:
            assert r.figure is not None and r.figure > 0 and r.baseline is not None and r.baseline > 0, (s.title, r)
    assert {r.metric.split("`")[1] for s in sections if s.key == "daily_jobs" for r in s.rows} == {
        "apply_momentum_decay()", "assign_daily_missions()", "expire_missions()", "recalculate_wall_ranks()",
        "pause_inactive_participants()"}
    report = out.read_text()
    assert report.startswith("# Benchmarks")
    for s in sections:
        assert f"## {s.title}" in report
    assert "CPU cores" in report and "PostgreSQL 15" in report and "shared_buffers" in report
