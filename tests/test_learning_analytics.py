"""Learning analytics on known data: learning missions built through the SQL API at known times, the rules
reviewer, expiry; then missions.refresh_learning_analytics() and exact figures from every view."""

from __future__ import annotations

from typing import Any

import psycopg

from app import reviewer
from tests.conftest import act_as, make_principal
from tests.learning_helpers import call, create_template, save, sqlstate

LONG = "Pivoted from the alert to the auth index and listed every failed logon by host. " * 3  # >= 200: 20 points
MID = "Checked the auth logs for the host named in the alert."                                 # 50..199: 12 points
MONDAY = "2030-01-07"  # a Monday; Paris is UTC+1 and New York UTC-5 in January


def rows(conn: psycopg.Connection, who: dict | None, sql: str, *args: Any) -> list[dict]:
    with conn.transaction():
        if who is not None:
            act_as(conn, who)
        return conn.execute(sql, args).fetchall()


def at(db: psycopg.Connection, ts: str) -> None:
    db.execute("select set_config('missions.now', %s, false)", (ts,))


def plain(r: dict, *keys: str) -> tuple:
    """The given columns with numerics as floats (None stays None)."""
    return tuple(float(r[k]) if hasattr(r[k], "as_tuple") else r[k] for k in keys)


def build(db: psycopg.Connection) -> dict[str, Any]:
    """Two templates, five STARTER learners in cohorts blue (3), red (1) and none (1), seven missions.

    DEF-01 (defender; skills siem; subtask 1 logs, 2 triage; 48 h):
      alice  s1 09:00-09:30, s2 10:00-11:00, done 11:00 UTC (12:00 Paris)  rules score 75 (long notes)
      bob    s1 09:00-10:30, s2 10:30-11:00, done 12:00 UTC                rules score 67 (mid notes)
      carol  s1 09:00-09:10, then nothing: expired Wednesday (drop-off at 2)
      dave   nothing: expired Wednesday (drop-off at 1)
    GRC-01 (grc; skills policy; subtask 1 risk, 2 siem, 3 optional audit; 48 h), all started 14:00:
      carol  s1 14:00-14:20, s2 at 14:20, reflection, done 15:00 UTC (10:00 New York)  score 85
      erin   s1, s2 at 14:00 (long notes), done 16:00 UTC                                score 75
      alice  s1, s2 at 14:00 (no notes), done 23:30 UTC (00:30 Tuesday in Paris)        score 55
    """
    common = {"tier": "beginner", "pass_score": 0, "reflection_required": False, "time_constraint_hours": 48,
              "rubric": None}
    t1 = create_template(db, "DEF-01", track="defender", skills=["siem"], **common,
                         subtasks=[{"title": "Collect logs", "skills": ["logs"]}, {"title": "Triage", "skills": ["triage"]}])
    t2 = create_template(db, "GRC-01", track="grc", skills=["policy"], **common,
                         subtasks=[{"title": "Map risks", "skills": ["risk"]}, {"title": "Write policy", "skills": ["siem"]},
                                   {"title": "Audit", "optional": True, "skills": ["audit"]}])
    p = {name: make_principal(db, "participant", name.title(), tier="STARTER", timezone=tz, **extra)
         for name, tz, extra in [("alice", "Europe/Paris", {"cohort": "blue"}), ("bob", "UTC", {"cohort": "blue"}),
                                 ("erin", "UTC", {"cohort": "blue"}), ("carol", "America/New_York", {"cohort": "red"}),
                                 ("dave", "UTC", {})]}
    for role in ("admin", "mentor", "agent", "service"):
        p[role] = make_principal(db, role)
    admin = p["admin"]
    for slug in ("r-logs", "r-grc", "r-none"):
        rows(db, admin, "select missions.upsert_recipe(%s::jsonb)", f'{{"slug": "{slug}", "title": "{slug}", "type": "concept"}}')
    for slug, tid, subtask in [("r-logs", t1, None), ("r-grc", t2, None), ("r-grc", t2, 1)]:
        call(db, admin, "select missions.link_recipe(%s, %s, %s)", slug, tid, subtask)

    def start(name: str, tid: str) -> str:
        return call(db, p[name], "select missions.start_learning_mission(%s, %s)", p[name]["id"], tid)["id"]

    def submit(name: str, mid: str, reflection: str | None = None) -> None:
        call(db, p[name], "select missions.submit_learning_mission(%s, %s)", mid, reflection)
        assert reviewer.review_pending(db) == 1  # STARTER: the AI verdict (>= pass score 0) applies at once

    def use(name: str, slug: str, event: str) -> None:
        call(db, p[name], "select missions.track_recipe_usage(%s, %s, %s)", p[name]["id"], slug, event)

    m: dict[str, str] = {}
    at(db, f"{MONDAY} 09:00+00")
    for name in ("alice", "bob", "carol", "dave"):
        m[f"{name}1"] = start(name, t1)
    save(db, p["alice"], m["alice1"], subtask=1, notes=LONG)
    save(db, p["bob"], m["bob1"], subtask=1, notes=MID)
    save(db, p["carol"], m["carol1"], subtask=1, notes=MID)
    at(db, f"{MONDAY} 09:10+00")
    save(db, p["carol"], m["carol1"], subtask=1, done=True)
    at(db, f"{MONDAY} 09:30+00")
    save(db, p["alice"], m["alice1"], subtask=1, done=True)
    at(db, f"{MONDAY} 10:00+00")
    save(db, p["alice"], m["alice1"], subtask=2, notes=LONG)
    at(db, f"{MONDAY} 10:30+00")
    save(db, p["bob"], m["bob1"], subtask=1, done=True)
    save(db, p["bob"], m["bob1"], subtask=2, notes=MID)
    at(db, f"{MONDAY} 11:00+00")
    save(db, p["alice"], m["alice1"], subtask=2, done=True)
    submit("alice", m["alice1"])
    save(db, p["bob"], m["bob1"], subtask=2, done=True)
    at(db, f"{MONDAY} 12:00+00")
    submit("bob", m["bob1"])

    at(db, f"{MONDAY} 14:00+00")
    for name in ("carol", "erin", "alice"):
        m[f"{name}2"] = start(name, t2)
    save(db, p["carol"], m["carol2"], subtask=1, notes=LONG)
    save(db, p["alice"], m["alice2"], subtask=1, done=True)
    save(db, p["alice"], m["alice2"], subtask=2, done=True)
    save(db, p["erin"], m["erin2"], subtask=1, notes=LONG, done=True)
    save(db, p["erin"], m["erin2"], subtask=2, notes=LONG, done=True)
    at(db, f"{MONDAY} 14:20+00")
    save(db, p["carol"], m["carol2"], subtask=1, done=True)
    save(db, p["carol"], m["carol2"], subtask=2, notes=LONG, done=True)
    at(db, f"{MONDAY} 15:00+00")
    submit("carol", m["carol2"], LONG)
    at(db, f"{MONDAY} 16:00+00")
    submit("erin", m["erin2"])
    at(db, f"{MONDAY} 23:30+00")
    submit("alice", m["alice2"])

    # recipes: completed or marked used counts as "with"; a view alone does not
    use("alice", "r-logs", "completed")
    use("bob", "r-logs", "viewed")
    use("bob", "r-logs", "used")
    use("carol", "r-logs", "used")
    use("dave", "r-logs", "viewed")
    use("erin", "r-grc", "completed")

    at(db, "2030-01-09 10:00+00")  # Wednesday: the 48 h of carol's and dave's DEF-01 are over
    assert call(db, None, "select missions.expire_missions()") == 2
    scores = {r["mission_id"]: float(r["final_score"]) for r in db.execute(
        "select mission_id::text, final_score from missions_private.learning_missions where final_score is not null")}
    assert scores == {m["alice1"]: 75.0, m["bob1"]: 67.0, m["carol2"]: 85.0, m["erin2"]: 75.0, m["alice2"]: 55.0}
    return {"t1": t1, "t2": t2, "p": p, "m": m}


def test_every_view_on_known_data(db):
    data = build(db)
    p, admin = data["p"], data["p"]["admin"]
    # the views hold what the last refresh saw: nothing yet
    assert rows(db, admin, "select * from missions.mission_performance()") == []
    assert call(db, admin, "select missions.refresh_learning_analytics()") == 6

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
    assert call(db, p["service"], "select missions.refresh_learning_analytics()") == 6
    first = [rows(db, admin, q) for q in readers]
    assert call(db, None, "select missions.refresh_learning_analytics()") == 6   # as the owner, like pg_cron
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
    assert [r["relname"] for r in private] == ["cohort_dashboard", "completion_heatmap", "mission_performance",
                                               "participant_benchmarks", "recipe_effectiveness", "step_funnel"]
    for r in private:
        for role in ("participant", "admin", "mentor", "agent", "service", "app"):
            assert not db.execute("select has_table_privilege(%s, %s, 'SELECT') as ok",
                                  (f"missions_{role}", f"missions_private.{r['relname']}")).fetchone()["ok"]


def test_refresh_job_is_scheduled(db):
    jobs = {r["job"]: r for r in db.execute("select * from missions.cron_jobs()")}
    assert (jobs["refresh_learning_analytics"]["schedule"], jobs["refresh_learning_analytics"]["command"],
            jobs["refresh_learning_analytics"]["target"]) == \
        ("*/15 * * * *", "SELECT missions.refresh_learning_analytics()", "engine")
