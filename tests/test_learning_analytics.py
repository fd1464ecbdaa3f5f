"""Learning analytics on known data: learning missions built through the SQL API at known times, the rules
reviewer, expiry; then missions.refresh_learning_analytics() and exact figures from every view."""

from __future__ import annotations

from tests.helpers.analytics import build, build_paths
from tests.helpers.calls import call, rows, sqlstate
from tests.helpers.learning import create_simple
from tests.helpers.principals import make_principal


def plain(r: dict, *keys: str) -> tuple:
    """The given columns with numerics as floats (None stays None)."""
    return tuple(float(r[k]) if hasattr(r[k], "as_tuple") else r[k] for k in keys)


def test_every_view_on_known_data(db):
    data = build(db)
    p, admin = data["p"], data["p"]["admin"]
    # the views hold what the last refresh saw: nothing yet
    assert rows(db, admin, "select * from missions.mission_performance()") == []
    assert call(db, admin, "select missions.refresh_learning_analytics()") == 9

    perf = rows(db, admin, "select * from missions.mission_performance()")
    cols = ("code", "track", "tier", "attempts", "completed", "completion_rate", "avg_final_score", "avg_hours")
    assert [plain(r, *cols) for r in perf] == [
        ("DEF-01", "defender", "beginner", 4, 2, 0.5, 71.0, 2.5),       # (75 + 67) / 2; (2 h + 3 h) / 2
        ("GRC-01", "grc", "beginner", 3, 3, 1.0, 71.67, 4.17)]         # (85 + 75 + 55) / 3; (1 + 2 + 9.5) / 3
    assert [r["code"] for r in rows(db, admin, "select * from missions.mission_performance('grc')")] == ["GRC-01"]

    cols = ("subtask", "title", "reached", "completed", "skipped", "dropped_off", "p50_minutes", "p90_minutes")
    assert [plain(r, *cols) for r in rows(db, admin, "select * from missions.step_funnel(%s)", data["t1"])] == [
        (1, "Collect logs", 4, 3, 0, 1, 30.0, 78.0),   # minutes 10, 30, 90: p90 = 30 + 0.8 x 60; dave dropped here
        (2, "Triage", 3, 2, 0, 1, 45.0, 57.0)]         # minutes 30, 60: p90 = 30 + 0.9 x 30; carol dropped here
    assert [plain(r, *cols) for r in rows(db, admin, "select * from missions.step_funnel(%s)", data["t2"])] == [
        (1, "Map risks", 3, 3, 0, 0, 0.0, 16.0),       # minutes 0, 0, 20
        (2, "Write policy", 3, 3, 0, 0, 0.0, 0.0),
        (3, "Audit", 3, 0, 3, 0, None, None)]          # optional, skipped at submission

    heat = rows(db, admin, "select * from missions.completion_heatmap()")
    assert [(r["track"], r["iso_dow"], r["hour"], r["completions"]) for r in heat] == [
        ("defender", 1, 12, 2),                        # alice 11:00 UTC = 12:00 Paris, bob 12:00 UTC
        ("grc", 1, 10, 1),                             # carol 15:00 UTC = 10:00 New York
        ("grc", 1, 16, 1),                             # erin
        ("grc", 2, 0, 1)]                              # alice 23:30 UTC = 00:30 Tuesday in Paris
    assert len(rows(db, admin, "select * from missions.completion_heatmap('grc')")) == 3

    bench = rows(db, admin, "select * from missions.participant_benchmarks()")
    name = {p[n]["id"]: n for n in ("alice", "bob", "carol", "dave", "erin")}
    assert [(name[str(r["participant_id"])],) + plain(r, "cohort", "completed", "avg_score", "percentile", "cohort_size")
            for r in bench] == [
        ("erin", "blue", 1, 75.0, 100.0, 3), ("bob", "blue", 1, 67.0, 50.0, 3), ("alice", "blue", 2, 65.0, 0.0, 3),
        ("carol", "red", 1, 85.0, 0.0, 1)]             # dave completed nothing: no row

    eff = rows(db, admin, "select * from missions.recipe_effectiveness()")
    cols = ("slug", "templates", "attempts_with", "successes_with", "attempts_without", "successes_without",
            "success_rate_with", "success_rate_without", "lift")
    assert [plain(r, *cols) for r in eff] == [
        ("r-logs", ["DEF-01"], 3, 2, 1, 0, 0.6667, 0.0, 0.6667),   # with: alice, bob (won), carol (expired); without: dave
        ("r-grc", ["GRC-01"], 1, 1, 2, 2, 1.0, 1.0, 0.0),          # linked twice, each mission counted once
        ("r-none", [], 0, 0, 0, 0, None, None, None)]

    dash = rows(db, admin, "select * from missions.cohort_dashboard()")
    cols = ("cohort", "participants", "learners", "started", "completed", "completion_rate", "avg_final_score", "top_skills")
    assert [plain(r, *cols) for r in dash] == [
        ("blue", 3, 3, 4, 4, 1.0, 68.0, ["logs", "triage", "siem"]),   # logs 71, triage 71, siem (65 + 67 + 75) / 3 = 69
        ("none", 1, 1, 1, 0, 0.0, None, []),
        ("red", 1, 1, 2, 1, 0.5, 85.0, ["policy", "risk", "siem"])]


def test_refresh_is_repeatable_and_readers_are_guarded(db):
    data = build(db)
    p = data["p"]
    admin, mentor, agent, alice = p["admin"], p["mentor"], p["agent"], p["alice"]
    readers = ["select * from missions.mission_performance()", "select * from missions.completion_heatmap()",
               "select * from missions.participant_benchmarks()", "select * from missions.recipe_effectiveness()",
               "select * from missions.cohort_dashboard()"]
    assert call(db, p["service"], "select missions.refresh_learning_analytics()") == 9
    first = [rows(db, admin, q) for q in readers]
    assert call(db, None, "select missions.refresh_learning_analytics()") == 9   # as the owner, like pg_cron
    assert [rows(db, admin, q) for q in readers] == first
    # mentors read everything
    assert [rows(db, mentor, q) for q in readers] == first
    assert len(rows(db, mentor, "select * from missions.step_funnel(%s)", data["t1"])) == 2

    # a participant: own benchmark row only; the rest is staff's and mentors'
    mine = rows(db, alice, "select * from missions.participant_benchmarks()")
    assert [(str(r["participant_id"]), float(r["percentile"])) for r in mine] == [(alice["id"], 0.0)]
    assert rows(db, alice, "select * from missions.participant_benchmarks('red')") == []
    assert len(rows(db, mentor, "select * from missions.participant_benchmarks('blue')")) == 3
    for q in ("select * from missions.cohort_dashboard()", "select * from missions.mission_performance()",
              "select * from missions.completion_heatmap()", "select * from missions.recipe_effectiveness()"):
        assert sqlstate(db, alice, q) == "MS403", q
        assert sqlstate(db, agent, q) == "MS403", q
    assert sqlstate(db, alice, "select * from missions.step_funnel(%s)", data["t1"]) == "MS403"
    assert sqlstate(db, agent, "select * from missions.participant_benchmarks()") == "MS403"
    assert sqlstate(db, admin, "select * from missions.step_funnel(%s)", data["m"]["alice1"]) == "MS404"
    # refreshing is for admins, services and the owner (pg_cron); the views are the owner's alone
    for who in (alice, mentor, agent):
        assert sqlstate(db, who, "select missions.refresh_learning_analytics()") == "42501"
        assert sqlstate(db, who, "select * from missions_private.cohort_dashboard") == "42501"
    private = db.execute("""select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                            where n.nspname = 'missions_private' and c.relkind = 'm' order by 1""").fetchall()
    assert [r["relname"] for r in private] == ["cohort_dashboard", "completion_heatmap", "decision_paths",
                                               "mission_performance", "participant_benchmarks", "recipe_effectiveness",
                                               "recipe_usage_stats", "step_funnel", "tool_usage"]
    for r in private:
        for role in ("participant", "admin", "mentor", "agent", "service", "app"):
            assert not db.execute("select has_table_privilege(%s, %s, 'SELECT') as ok",
                                  (f"missions_{role}", f"missions_private.{r['relname']}")).fetchone()["ok"]


def test_refresh_job_is_scheduled(db):
    jobs = {r["job"]: r for r in db.execute("select * from missions.cron_jobs()")}
    assert (jobs["refresh_learning_analytics"]["schedule"], jobs["refresh_learning_analytics"]["command"],
            jobs["refresh_learning_analytics"]["target"]) == \
        ("*/15 * * * *", "SELECT missions.refresh_learning_analytics()", "engine")


def test_recipe_usage_per_recipe(db):
    data = build(db)
    p, admin = data["p"], data["p"]["admin"]
    for name, seconds in (("alice", 600), ("bob", 300)):
        call(db, p[name], "select missions.track_recipe_usage(%s, 'r-logs', 'time', %s)", p[name]["id"], seconds)
    assert rows(db, admin, "select * from missions.recipe_usage_stats()") == []  # not refreshed yet
    call(db, admin, "select missions.refresh_learning_analytics()")
    cols = ("slug", "learners", "viewers", "views", "seconds_spent", "avg_minutes", "completed", "completion_rate",
            "marked_used")
    assert [plain(r, *cols) for r in rows(db, admin, "select * from missions.recipe_usage_stats()")] == [
        ("r-logs", 4, 2, 2, 900, 3.75, 1, 0.25, 2),   # alice completed; bob and dave viewed; bob and carol marked used
        ("r-grc", 1, 0, 0, 0, 0.0, 1, 1.0, 0),        # erin completed
        ("r-none", 0, 0, 0, 0, None, 0, 0.0, 0)]      # nobody: zeros, most viewed first then slug
    page = rows(db, admin, "select * from missions.recipe_usage_stats(1, %s::jsonb)", '{"views": 2, "slug": "r-logs"}')
    assert [r["slug"] for r in page] == ["r-grc"]
    assert rows(db, p["mentor"], "select slug from missions.recipe_usage_stats()")[0]["slug"] == "r-logs"
    for who in (p["alice"], p["agent"]):
        assert sqlstate(db, who, "select * from missions.recipe_usage_stats()") == "MS403"
    assert sqlstate(db, admin, "select * from missions.recipe_usage_stats(0)") == "MS422"


def test_decision_paths_and_tools_per_template(db):
    data = build_paths(db)
    p, admin, tid, scores = data["p"], data["p"]["admin"], data["t"], data["scores"]
    call(db, admin, "select missions.refresh_learning_analytics()")
    cols = ("subtask", "decision_key", "choice_key", "label", "next_subtask", "chosen", "share", "open", "ended",
            "completed", "success_rate", "avg_final_score")
    assert [plain(r, *cols) for r in rows(db, admin, "select * from missions.decision_paths(%s)", tid)] == [
        (2, "containment", "escalate", "Escalate", 5, 0, 0.0, 0, 0, 0, None, None),
        (2, "containment", "isolate", "Isolate the host", 3, 2, 0.5, 0, 2, 1, 0.5, scores["ann"]),   # ann won, ben expired
        (2, "containment", "monitor", "Keep monitoring", 4, 2, 0.5, 1, 1, 1, 1.0, scores["cat"])]    # cat won, dan open
    cols = ("tool", "missions", "share", "ended", "completed", "success_rate", "avg_final_score")
    assert [plain(r, *cols) for r in rows(db, admin, "select * from missions.tool_usage(%s)", tid)] == [
        ("splunk", 3, 0.6, 3, 2, 0.6667, round((scores["ann"] + scores["cat"]) / 2, 2)),  # of 5 started
        ("edr-console", 1, 0.2, 0, 0, None, None),
        ("wireshark", 1, 0.2, 1, 1, 1.0, scores["ann"])]
    # paging by the keys
    page = rows(db, admin, "select choice_key from missions.decision_paths(%s, 1, %s::jsonb)", tid,
                '{"subtask": 2, "choice_key": "escalate"}')
    assert [r["choice_key"] for r in page] == ["isolate"]
    page = rows(db, admin, "select tool from missions.tool_usage(%s, 5, %s::jsonb)", tid, '{"missions": 3, "tool": "splunk"}')
    assert [r["tool"] for r in page] == ["edr-console", "wireshark"]
    # readers: staff and mentors; a template without decisions or tools has no rows; unknown ids are 404
    mentor = make_principal(db, "mentor")
    assert len(rows(db, mentor, "select * from missions.decision_paths(%s)", tid)) == 3
    for q in ("select * from missions.decision_paths(%s)", "select * from missions.tool_usage(%s)"):
        assert sqlstate(db, p["ann"], q, tid) == "MS403"
        assert sqlstate(db, admin, q, data["m"]["ann"]) == "MS404"
    other = create_simple(db, "PATH-02")
    call(db, admin, "select missions.refresh_learning_analytics()")
    assert rows(db, admin, "select * from missions.decision_paths(%s)", other) == []
    assert rows(db, admin, "select * from missions.tool_usage(%s)", other) == []
