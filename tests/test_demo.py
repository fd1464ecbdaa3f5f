"""Demo data loads idempotently, its keys work, a revoked one stays revoked, and its keys are recognisable."""

from app.demo import active_demo_keys, demo_api_keys, load_demo


def test_demo_loads_twice_and_its_keys_authenticate(db, dsn):
    first = load_demo(dsn)
    second = load_demo(dsn)
    assert first == second and len(first) == 9
    for role, _, key, revoked in first:
        assert not revoked
        row = db.execute("select role from missions.authenticate(%s)", (key,)).fetchone()
        assert row["role"] == role
    assert db.execute("select count(*) as n from missions.templates()").fetchone()["n"] == 8
    wall = db.execute("select kind, body from missions.wall_feed()").fetchall()
    assert sorted(w["kind"] for w in wall) == ["hard_completion", "level_up", "post"]
    sam = "00000000-0000-4000-a000-000000000007"
    assert db.execute("select missions.stipend_tier(%s) as t", (sam,)).fetchone()["t"]["tier"] == "STIPEND_BASIC"
    agent_missions = db.execute("select m->>'status' as status, jsonb_array_length(m->'tasks') as steps "
                                "from missions.list_agent_missions(null, null, true) m").fetchall()
    assert sorted((r["status"], r["steps"]) for r in agent_missions) == [("assigned", 6), ("assigned", 7), ("assigned", 9)]


def test_a_revoked_demo_key_stays_revoked_when_the_demo_is_loaded_again(db, dsn):
    keys = {row.name: row.key for row in load_demo(dsn)}
    db.execute("select missions.revoke_api_key(id) from missions_private.api_keys where prefix = 'demopat'")
    assert db.execute("select * from missions.authenticate(%s)", (keys["Pat Participant"],)).fetchall() == []
    again = {row.name: row for row in load_demo(dsn)}
    assert again["Pat Participant"].revoked and not again["Ada Admin"].revoked
    assert db.execute("select * from missions.authenticate(%s)", (keys["Pat Participant"],)).fetchall() == []
    assert db.execute("select * from missions.authenticate(%s)", (keys["Ada Admin"],)).fetchone()


def test_active_demo_keys_are_recognised_by_their_public_secret_not_their_label(db, dsn):
    assert active_demo_keys(dsn) == []  # a database without the demo
    loaded = load_demo(dsn)
    assert sorted(demo_api_keys()) == sorted(row.key for row in loaded) and len(loaded) == 9
    assert len(active_demo_keys(dsn)) == 9
    # relabelling does not hide a public key; revoking it does; an ordinary key labelled 'demo' is not one
    db.execute("update missions_private.api_keys set label = 'production' where prefix = 'demoadmin'")
    db.execute("select missions.create_api_key('00000000-0000-4000-a000-000000000001', 'demo')")
    db.execute("select missions.revoke_api_key(id) from missions_private.api_keys where prefix = 'demopat'")
    active = active_demo_keys(dsn)
    assert len(active) == 8 and any("Ada Admin" in a and "mk_demoadmin_" in a for a in active)
    assert not any("mk_demopat_" in a for a in active)


def test_demo_has_a_defender_learning_track(db, dsn):
    load_demo(dsn)
    load_demo(dsn)
    docs = [r["t"] for r in db.execute("select t from missions.learning_templates('defender') t")]
    assert [d["code"] for d in docs] == ["SIEM-01", "SIEM-02", "SIEM-03"]
    siem1 = docs[0]
    assert siem1["story"] and siem1["rubric"]["version"] == 1 and len(siem1["recipes"]) == 5
    assert siem1["subtasks"][1]["decision"]["key"] == "containment"
    assert siem1["subtasks"][0]["hint_levels"] == 3
    assert docs[2]["is_capstone"] is True
    pat = "00000000-0000-4000-a000-000000000002"
    board = db.execute("select missions.learning_dashboard(%s) as d", (pat,)).fetchone()["d"]
    blocked = {a["code"]: a["blocked_by"] for a in board["available"]}
    assert blocked == {"SIEM-01": None, "SIEM-02": "locked", "SIEM-03": "locked"}
    assert siem1["auto_submit"] is True and docs[1]["auto_submit"] is False
    # the gap analysis: Pat's weakest signals and recipes for them (siem-search-basics is completed)
    assert [g["skill"] for g in board["skill_gaps"]] == ["log_analysis", "triage", "siem"]
    assert [r["slug"] for r in board["recommended_recipes"]] == ["auth-log-patterns", "detection-rule-writing"]
    # recipe usage analytics are there at once (the demo refreshes the views)
    usage = [(r["slug"], r["learners"], r["views"], r["seconds_spent"], r["completed"], r["marked_used"])
             for r in db.execute("select * from missions.recipe_usage_stats()")]
    assert usage[:3] == [("siem-search-basics", 2, 4, 840, 1, 2), ("incident-report-structure", 1, 2, 420, 1, 0),
                         ("auth-log-patterns", 1, 1, 120, 0, 0)]


def test_demo_designates_its_mentor_and_a_revoked_designation_stays_revoked(db, dsn):
    load_demo(dsn)
    reviewers = "select r.display_name from missions.reviewers(%s) r where r.revoked_at is null"
    assert [r["display_name"] for r in db.execute(reviewers, ("mentor_review",))] == ["Mia Mentor"]
    assert [r["display_name"] for r in db.execute(reviewers, ("ai_review",))] == ["Rules reviewer"]
    db.execute("select missions.revoke_reviewer('mentor_review', '00000000-0000-4000-a000-000000000003')")
    load_demo(dsn)
    assert db.execute(reviewers, ("mentor_review",)).fetchall() == []


def test_the_worker_reviews_a_demo_learners_submission(db, dsn):
    from app import reviewer
    from tests.helpers.calls import call
    from tests.helpers.learning import add_evidence, save

    load_demo(dsn)
    lee = {"id": "00000000-0000-4000-a000-000000000006", "role": "participant"}
    template = db.execute("select template_id from missions_private.learning_templates where code = 'SIEM-01'").fetchone()
    mid = call(db, lee, "select missions.start_learning_mission(%s, %s)", lee["id"], template["template_id"])["id"]
    add_evidence(db, lee, mid, 1)
    save(db, lee, mid, subtask=1, done=True)
    call(db, lee, "select missions.choose_decision(%s, 'containment', 'block')", mid)
    save(db, lee, mid, subtask=2, done=True)
    save(db, lee, mid, subtask=3, done=True)
    add_evidence(db, lee, mid, 5, b"incident note\n")
    save(db, lee, mid, subtask=5, done=True)
    call(db, lee, "select missions.submit_learning_mission(%s, %s)", mid, "I learned to read the auth logs first.")
    assert reviewer.review_pending(db) == 1  # the migration's designated rules reviewer, as `missions worker` runs it
    review = call(db, lee, "select missions.ai_review(%s)", mid)
    assert (review["status"], review["reviewer"]) == ("reviewed", "rules")
