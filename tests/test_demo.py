"""Demo data loads idempotently and its keys work."""

from app.demo import load_demo


def test_demo_loads_twice_and_its_keys_authenticate(db, dsn):
    first = load_demo(dsn)
    second = load_demo(dsn)
    assert first == second and len(first) == 9
    for role, _, key in first:
        row = db.execute("select role from missions.authenticate(%s)", (key,)).fetchone()
        assert row["role"] == role
    assert db.execute("select count(*) as n from missions.templates()").fetchone()["n"] == 8
    assert db.execute("select count(*) as n from missions.wall_feed()").fetchone()["n"] == 1
    agent_missions = db.execute("select m->>'status' as status, jsonb_array_length(m->'tasks') as steps "
                                "from missions.list_agent_missions(null, null, true) m").fetchall()
    assert sorted((r["status"], r["steps"]) for r in agent_missions) == [("assigned", 6), ("assigned", 7), ("assigned", 9)]


def test_demo_restores_a_revoked_demo_key(db, dsn):
    keys = {name: key for _, name, key in load_demo(dsn)}
    db.execute("update missions_private.api_keys set revoked_at = now() where prefix = 'demopat'")
    assert db.execute("select * from missions.authenticate(%s)", (keys["Pat Participant"],)).fetchall() == []
    load_demo(dsn)
    assert db.execute("select * from missions.authenticate(%s)", (keys["Pat Participant"],)).fetchone()
