"""Known data for the learning-analytics tests: learning missions built through the SQL API at known times."""

from __future__ import annotations

from typing import Any

import psycopg

from app import reviewer
from tests.helpers.calls import at, call, rows
from tests.helpers.learning import create_template, save
from tests.helpers.principals import make_principal

LONG = "Pivoted from the alert to the auth index and listed every failed logon by host. " * 3  # >= 200: 20 points
MID = "Checked the auth logs for the host named in the alert."                                 # 50..199: 12 points
MONDAY = "2030-01-07"  # a Monday; Paris is UTC+1 and New York UTC-5 in January


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


PATHS_SUBTASKS = [
    {"title": "Read the alert"},
    {"title": "Choose containment", "decision": {
        "key": "containment", "prompt": "What now?",
        "choices": [{"key": "isolate", "label": "Isolate the host", "next": 3},
                    {"key": "monitor", "label": "Keep monitoring", "next": 4},
                    {"key": "escalate", "label": "Escalate", "next": 5}]}},
    {"title": "Isolate"}, {"title": "Monitor"}, {"title": "Escalate"}, {"title": "Report"}]


def build_paths(db: psycopg.Connection) -> dict[str, Any]:
    """PATH-01 (48 h, pass score 0) with a decision at subtask 2 (isolate, monitor, escalate), five learners:

      ann   isolate, tools splunk + wireshark, approved
      ben   isolate, tools splunk, expired (started Monday 09:00, swept Wednesday 10:00)
      cat   monitor, tools splunk, approved
      dan   monitor, no tools, still in progress (started Tuesday 17:00)
      eve   no decision yet, tools edr-console, in progress (started Tuesday 17:00)
    Nobody escalated."""
    from tests.helpers.learning import create_simple, finish_subtasks, start

    tid = create_simple(db, "PATH-01", subtasks=PATHS_SUBTASKS, time_constraint_hours=48)
    p = {name: make_principal(db, "participant", name.title(), tier="STARTER") for name in ("ann", "ben", "cat", "dan", "eve")}
    p["admin"] = make_principal(db, "admin")
    m: dict[str, str] = {}

    def choose(name: str, choice: str, tools: list[str]) -> None:
        save(db, p[name], m[name], subtask=1, done=True, tools_used=tools)
        call(db, p[name], "select missions.choose_decision(%s, 'containment', %s)", m[name], choice)

    at(db, f"{MONDAY} 09:00+00")
    for name in ("ann", "ben", "cat"):
        m[name] = start(db, p[name], tid)["id"]
    choose("ann", "isolate", ["splunk", "wireshark"])
    choose("ben", "isolate", ["splunk"])
    choose("cat", "monitor", ["splunk"])
    for name, path in (("ann", [2, 3, 6]), ("cat", [2, 4, 6])):
        finish_subtasks(db, p[name], m[name], path)
        call(db, p[name], "select missions.submit_learning_mission(%s)", m[name])
    assert reviewer.review_pending(db) == 2
    at(db, "2030-01-08 17:00+00")
    for name in ("dan", "eve"):
        m[name] = start(db, p[name], tid)["id"]
    choose("dan", "monitor", [])
    save(db, p["eve"], m["eve"], subtask=1, done=True, tools_used=["edr-console"])
    at(db, "2030-01-09 10:00+00")  # ben's 48 h are over, dan's and eve's are not
    assert call(db, None, "select missions.expire_missions()") == 1
    scores = {name: float(call(db, None, "select final_score from missions_private.learning_missions where mission_id = %s",
                               m[name])) for name in ("ann", "cat")}
    return {"t": tid, "p": p, "m": m, "scores": scores}
