"""The restore drill: back up a database with live data (balances, queued outbox messages, a pending agent
mission, evidence files), restore it into a new cluster, and find it whole and working: invariants clean,
pg_cron jobs scheduled, pgmq queues with their messages, the same balances, evidence readable, and an agent
able to go on with the mission."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from app.cluster import CRON_DATABASE, Cluster
from app.db.backup import BackupError, backup, base_backup, restore, restore_base, verify
from app.db.migrate import migrate
from app.storage import LocalStore, key_for
from tests.helpers.agents import as_agent, create_mission
from tests.helpers.principals import free_port, make_principal

STATE = """select
  (select jsonb_object_agg(participant_id || ':' || currency, amount order by participant_id, currency)
     from missions_private.balances) as balances,
  (select count(*) from pgmq.q_mission_events) as outbox,
  (select jsonb_agg(status order by position) from missions_private.steps) as steps,
  (select count(*) from missions_private.api_keys) as keys"""


def store_evidence(root: Path, data: bytes) -> str:
    staged = LocalStore(root).stage()
    staged.write(data)
    staged.promote()
    return staged.key


@pytest.fixture
def second_cluster():
    home = Path(tempfile.mkdtemp(prefix="missions-restore-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    home.chmod(0o755)
    c = Cluster(home=home, port=free_port(), settings={"fsync": "off", "full_page_writes": "off"})
    c.start()
    yield c
    c.stop()
    shutil.rmtree(home, ignore_errors=True)


def test_a_backup_restores_into_a_new_cluster_whole_and_working(db, dsn, tmp_path, second_cluster):
    participant, agent = make_principal(db, "participant"), make_principal(db, "agent")
    db.execute("select missions.credit(%s, 'MOMENTUM', 120, 'drill', 'drill-1')", (participant["id"],))
    mission = create_mission(db, [{"title": "a", "kind": "task"}, {"title": "b", "kind": "task"}])
    evidence = tmp_path / "evidence"
    blob = b"evidence bytes " * 1000
    key = store_evidence(evidence, blob)
    before = db.execute(STATE).fetchone()

    made = backup(dsn, tmp_path / "backup", evidence)
    manifest = verify(made)
    assert manifest["evidence_files"] == 1 and manifest["format"] == "logical"

    restored_evidence = tmp_path / "restored-evidence"
    done = restore(made, second_cluster.url("missions"), restored_evidence)
    assert done.invariant_violations == 0 and done.evidence_files == 1
    with psycopg.connect(second_cluster.url("missions"), autocommit=True, row_factory=dict_row) as new:
        assert new.execute(STATE).fetchone() == before
        assert {r["queue_name"] for r in new.execute("select queue_name from pgmq.list_queues()")} >= \
            {"mission_events", "external_events", "agent_work", "webhook_deliveries"}
        claim = as_agent(new, agent, "select * from missions.claim_next_step(%s, array['task'])", agent["id"])
        assert not isinstance(claim, Exception) and str(claim[0]["mission_id"]) == mission
        assert new.execute("select missions.health()->>'pgmq' as q").fetchone()["q"] == "ok"
    with psycopg.connect(second_cluster.url(CRON_DATABASE), row_factory=dict_row) as cron:
        jobs = cron.execute("select count(*) as n from cron.job where jobname like 'missions.%'").fetchone()["n"]
    assert jobs == done.cron_jobs > 10
    with LocalStore(restored_evidence).open(key) as f:
        assert f.read() == blob and key == key_for(hashlib.sha256(blob).hexdigest())


def test_a_damaged_backup_or_an_existing_database_is_refused(db, dsn, tmp_path, second_cluster):
    made = backup(dsn, tmp_path / "backup", tmp_path / "no-evidence")
    with pytest.raises(BackupError, match="exists"):
        restore(made, second_cluster.url(CRON_DATABASE), tmp_path / "e")
    manifest = json.loads((made / "manifest.json").read_text())
    (made / "roles.sql").write_text("-- changed\n")
    with pytest.raises(BackupError, match="damaged"):
        restore(made, second_cluster.url("missions"), tmp_path / "e")
    assert manifest["sha256"]["roles.sql"]


def test_a_base_backup_recovers_to_a_point_in_time(tmp_path):
    """Point-in-time recovery: a cluster that archives its WAL, a base backup, then two payments; recovered up to a
    moment between them, the new cluster has the first payment and not the second."""
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    home, new_home = (Path(tempfile.mkdtemp(prefix=p, dir=shm)) for p in ("missions-pitr-", "missions-pitr-new-"))
    for h in (home, new_home):
        h.chmod(0o755)
    archive = home / "wal-archive"
    old = Cluster(home=home / "c", port=free_port(), settings=Cluster.archiving(archive))
    new = Cluster(home=new_home / "c", port=free_port())
    try:
        old.start()
        old.prepare_archive(archive)
        old.ensure_database("missions")
        migrate(old.url("missions"))
        url = old.url("missions")
        with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
            who = make_principal(conn, "participant")["id"]
            made = base_backup(old, "missions", tmp_path / "base", tmp_path / "no-evidence")
            conn.execute("select missions.credit(%s, 'MOMENTUM', 7, 'first', 'pitr-1')", (who,))
            moment = conn.execute("select clock_timestamp() as t").fetchone()["t"]
            time.sleep(0.2)
            conn.execute("select missions.credit(%s, 'MOMENTUM', 1000, 'second', 'pitr-2')", (who,))
            segment = conn.execute("select pg_walfile_name(pg_switch_wal()) as s").fetchone()["s"]
            for _ in range(100):  # the archiver copies the switched segment
                archived = conn.execute("select last_archived_wal as w from pg_stat_archiver").fetchone()["w"]
                if archived and archived >= segment:
                    break
                time.sleep(0.05)
        done = restore_base(made, new, "missions", archive, moment.isoformat(), tmp_path / "restored-evidence")
        assert done.invariant_violations == 0
        with psycopg.connect(new.url("missions"), row_factory=dict_row) as conn:
            balance = conn.execute("select amount from missions_private.balances where participant_id = %s "
                                   "and currency = 'MOMENTUM'", (who,)).fetchone()["amount"]
        assert balance == 7
        with psycopg.connect(new.url(CRON_DATABASE), row_factory=dict_row) as cron:
            assert cron.execute("select count(*) as n from cron.job where jobname like 'missions.%'").fetchone()["n"] > 10
    finally:
        for c in (old, new):
            if c.initialized():
                c.stop()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(new_home, ignore_errors=True)
