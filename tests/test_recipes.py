"""Recipes through the SQL API: curation and validation, the library, links to templates and subtasks,
usage tracking, and recommendations (stage, mission, skills; completed skipped; effectiveness reorders)."""

from __future__ import annotations

import json
from typing import Any

import psycopg

from app import reviewer
from tests.helpers.calls import at, call, rows, sqlstate
from tests.helpers.learning import create_simple, create_template, save
from tests.helpers.principals import make_principal


def upsert(conn: psycopg.Connection, who: dict | None, **spec: Any) -> dict:
    return rows(conn, who, "select * from missions.upsert_recipe(%s::jsonb)", json.dumps(spec))[0]


def upsert_state(conn: psycopg.Connection, who: dict | None, spec: Any) -> str | None:
    return sqlstate(conn, who, "select missions.upsert_recipe(%s::jsonb)", json.dumps(spec))


def slugs(found: list[dict]) -> list[str]:
    return [r["slug"] for r in found]


def test_recipe_crud_and_validation(db, principals):
    admin, learner, mentor = principals["admin"], principals["participant"], principals["mentor"]
    at(db, "2030-03-01 10:00+00")
    made = upsert(db, admin, slug="read-auth-logs", title="  Read auth logs ", type="technical",
                  skills=["siem", "log_analysis", "siem"], minutes=7, content="Filter by event id 4625.")
    assert (made["slug"], made["title"], made["type"], made["skills"], made["minutes"]) == \
        ("read-auth-logs", "Read auth logs", "technical", ["log_analysis", "siem"], 7)
    assert str(made["created_at"]) == str(made["updated_at"]) == "2030-03-01 10:00:00+00:00"

    # an update by slug changes only the given fields
    at(db, "2030-03-02 10:00+00")
    changed = upsert(db, admin, slug="read-auth-logs", title="Read Windows auth logs")
    assert (changed["id"], changed["title"], changed["skills"], changed["minutes"], changed["content"]) == \
        (made["id"], "Read Windows auth logs", ["log_analysis", "siem"], 7, "Filter by event id 4625.")
    assert str(changed["created_at"]) == "2030-03-01 10:00:00+00:00"
    assert str(changed["updated_at"]) == "2030-03-02 10:00:00+00:00"
    minimal = upsert(db, principals["service"], slug="risk-101", title="Risk 101", type="concept")
    assert (minimal["minutes"], minimal["skills"], minimal["content"]) == (5, [], "")
    assert db.execute("select count(*) as n from missions_private.recipes").fetchone()["n"] == 2

    # validation: MS422 for every bad input, check constraints included; nothing is written
    bad = [
        "not an object",
        {"slug": "x-1", "title": "X", "type": "concept", "colour": "red"},   # unknown field
        {"title": "X", "type": "concept"},                                      # no slug
        {"slug": "Bad Slug", "title": "X", "type": "concept"},                  # slug format (check)
        {"slug": "x-" + "a" * 100, "title": "X", "type": "concept"},            # slug too long (check)
        {"slug": "x-1", "title": "X", "type": "video"},                         # type (check)
        {"slug": "x-1", "title": "X", "type": "concept", "minutes": 0},         # minutes range (check)
        {"slug": "x-1", "title": "X", "type": "concept", "minutes": 601},
        {"slug": "x-1", "title": "X", "type": "concept", "minutes": 2.5},
        {"slug": "x-1", "title": "X", "type": "concept", "minutes": "5"},
        {"slug": "x-1", "title": "X" * 201, "type": "concept"},                 # title length (check)
        {"slug": "x-1", "title": "   ", "type": "concept"},                     # blank title
        {"slug": "x-1", "title": "X"},                                          # new recipe without a type
        {"slug": "x-1", "title": "X", "type": "concept", "skills": "siem"},     # skills not an array
        {"slug": "x-1", "title": "X", "type": "concept", "skills": [""]},
        {"slug": "x-1", "title": 5, "type": "concept"},
        {"slug": "read-auth-logs", "title": " "},                               # blank title on update
        {"slug": "read-auth-logs", "type": "video"},                            # check violation on update
    ]
    assert [upsert_state(db, admin, spec) for spec in bad] == ["MS422"] * len(bad)
    assert db.execute("select count(*) as n from missions_private.recipes").fetchone()["n"] == 2
    assert db.execute("select title from missions_private.recipes where slug = 'read-auth-logs'").fetchone()["title"] \
        == "Read Windows auth logs"

    # only admins and services curate: the others have no EXECUTE on the curation functions (403 over HTTP)
    for who in (learner, mentor, principals["agent"]):
        assert upsert_state(db, who, {"slug": "mine", "title": "Mine", "type": "tool"}) == "42501"
        assert sqlstate(db, who, "select missions.delete_recipe('risk-101')") == "42501"

    # everyone reads one recipe and the library
    doc = call(db, learner, "select missions.recipe('read-auth-logs')")
    assert (doc["title"], doc["skills"], doc["minutes"], doc["links"]) == \
        ("Read Windows auth logs", ["log_analysis", "siem"], 7, [])
    assert sqlstate(db, learner, "select missions.recipe('nope')") == "MS404"
    upsert(db, admin, slug="burp-basics", title="Burp basics", type="tool", skills=["web"], minutes=15)
    upsert(db, admin, slug="write-100-percent", title="Writing for 100% clarity", type="soft_skill")
    lib = "select * from missions.recipes(%s, %s, %s, %s, %s)"
    assert slugs(rows(db, learner, lib, None, None, None, 50, None)) == \
        ["burp-basics", "read-auth-logs", "risk-101", "write-100-percent"]
    assert slugs(rows(db, learner, lib, "AUTH", None, None, 50, None)) == ["read-auth-logs"]
    assert slugs(rows(db, learner, lib, "4625", None, None, 50, None)) == ["read-auth-logs"]     # content
    assert slugs(rows(db, learner, lib, "log_an", None, None, 50, None)) == ["read-auth-logs"]   # a skill
    assert slugs(rows(db, learner, lib, "100%", None, None, 50, None)) == ["write-100-percent"]  # % is literal
    assert slugs(rows(db, learner, lib, None, "web", None, 50, None)) == ["burp-basics"]
    assert slugs(rows(db, learner, lib, None, None, "concept", 50, None)) == ["risk-101"]
    assert slugs(rows(db, principals["agent"], lib, None, None, None, 2, '{"slug": "burp-basics"}')) == \
        ["read-auth-logs", "risk-101"]
    assert sqlstate(db, learner, "select * from missions.recipes(null, null, null, 0)") == "MS422"
    assert sqlstate(db, learner, "select * from missions.recipes(null, null, null, 10, '{\"id\": 1}')") == "MS422"

    # delete returns the row; a second delete is MS404
    gone = rows(db, admin, "select * from missions.delete_recipe('risk-101')")[0]
    assert gone["id"] == minimal["id"]
    assert sqlstate(db, admin, "select missions.delete_recipe('risk-101')") == "MS404"


def test_links_to_templates_and_subtasks(db, principals):
    admin = principals["admin"]
    tid = create_template(db, "SIEM-01")  # four subtasks
    upsert(db, admin, slug="read-auth-logs", title="Read auth logs", type="technical")
    link = "select missions.link_recipe(%s, %s, %s)"
    assert call(db, admin, link, "read-auth-logs", tid, None) is True
    assert call(db, admin, link, "read-auth-logs", tid, None) is False   # idempotent
    assert call(db, admin, link, "read-auth-logs", tid, 3) is True
    assert sqlstate(db, admin, link, "read-auth-logs", tid, 5) == "MS422"  # no subtask 5
    assert sqlstate(db, admin, link, "read-auth-logs", "00000000-0000-4000-8000-000000000000", None) == "MS404"
    assert sqlstate(db, admin, link, "nope", tid, None) == "MS404"
    assert sqlstate(db, principals["participant"], link, "read-auth-logs", tid, 1) == "42501"
    doc = call(db, principals["participant"], "select missions.recipe('read-auth-logs')")
    assert [(x["code"], x["subtask"], x["template_id"]) for x in doc["links"]] == [("SIEM-01", None, tid), ("SIEM-01", 3, tid)]
    # the template document lists the same links
    assert [(x["slug"], x["subtask"]) for x in call(db, admin, "select missions.learning_template(%s)", tid)["recipes"]] == \
        [("read-auth-logs", None), ("read-auth-logs", 3)]

    unlink = "select missions.unlink_recipe(%s, %s, %s)"
    assert call(db, admin, unlink, "read-auth-logs", tid, 3) is True
    assert call(db, admin, unlink, "read-auth-logs", tid, 3) is False
    assert sqlstate(db, admin, unlink, "read-auth-logs", tid, 9) == "MS422"
    assert [x["subtask"] for x in call(db, admin, "select missions.recipe('read-auth-logs')")["links"]] == [None]
    # deleting the recipe removes its links
    call(db, admin, "select missions.delete_recipe('read-auth-logs')")
    assert db.execute("select count(*) as n from missions_private.recipe_links").fetchone()["n"] == 0


def test_usage_tracking(db, principals):
    learner, other, admin = principals["participant"], principals["other"], principals["admin"]
    tid = create_template(db, "SIEM-01")
    upsert(db, admin, slug="read-auth-logs", title="Read auth logs", type="technical")
    mid = call(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], tid)["id"]
    track = "select * from missions.track_recipe_usage(%s, %s, %s, %s, %s)"

    def event(who: dict, name: str, seconds: int = 0, mission: str | None = None, participant: dict | None = None) -> dict:
        return rows(db, who, track, (participant or who)["id"], "read-auth-logs", name, seconds, mission)[0]

    at(db, "2030-03-01 10:00+00")
    first = event(learner, "viewed", mission=mid)
    assert (first["views"], first["seconds_spent"], str(first["first_viewed_at"]), str(first["mission_id"])) == \
        (1, 0, "2030-03-01 10:00:00+00:00", mid)
    at(db, "2030-03-01 10:05+00")
    again = event(learner, "viewed")
    assert (again["views"], str(again["first_viewed_at"]), str(again["mission_id"])) == (2, "2030-03-01 10:00:00+00:00", mid)
    assert event(learner, "time", 120)["seconds_spent"] == 120
    assert event(learner, "time", 45, mid)["seconds_spent"] == 165
    assert event(admin, "time", 35, participant=learner)["seconds_spent"] == 200  # staff may record for a participant
    assert event(learner, "viewed", 10)["seconds_spent"] == 210                    # any event may carry time

    at(db, "2030-03-01 10:20+00")
    done = event(learner, "completed", mission=mid)
    assert (str(done["completed_at"]), done["marked_used_at"]) == ("2030-03-01 10:20:00+00:00", None)
    at(db, "2030-03-01 11:00+00")
    assert str(event(learner, "completed")["completed_at"]) == "2030-03-01 10:20:00+00:00"  # set once
    used = event(learner, "used")
    assert str(used["marked_used_at"]) == "2030-03-01 11:00:00+00:00"
    at(db, "2030-03-02 11:00+00")
    final = event(learner, "used")
    assert (final["views"], final["seconds_spent"], str(final["marked_used_at"]), str(final["updated_at"])) == \
        (3, 210, "2030-03-01 11:00:00+00:00", "2030-03-02 11:00:00+00:00")

    # events on the mission: one per call that named it
    logged = db.execute("""select type, payload from missions_private.events
                           where mission_id = %s and type like 'learning.recipe_%%' order by id""", (mid,)).fetchall()
    assert [(e["type"], e["payload"]["seconds"]) for e in logged] == \
        [("learning.recipe_viewed", 0), ("learning.recipe_time", 45), ("learning.recipe_completed", 0)]

    # errors
    assert sqlstate(db, learner, track, learner["id"], "read-auth-logs", "liked", 0, None) == "MS422"
    assert sqlstate(db, learner, track, learner["id"], "read-auth-logs", "time", 0, None) == "MS422"
    assert sqlstate(db, learner, track, learner["id"], "read-auth-logs", "time", -5, None) == "MS422"
    assert sqlstate(db, learner, track, learner["id"], "read-auth-logs", "time", 86401, None) == "MS422"
    assert sqlstate(db, learner, track, learner["id"], "nope", "viewed", 0, None) == "MS404"
    assert sqlstate(db, other, track, learner["id"], "read-auth-logs", "viewed", 0, None) == "MS403"
    assert sqlstate(db, other, track, other["id"], "read-auth-logs", "viewed", 0, mid) == "MS404"  # not their mission
    assert sqlstate(db, principals["mentor"], track, learner["id"], "read-auth-logs", "viewed", 0, None) == "42501"
    # a participant reads only their own usage rows
    event(other, "viewed")
    assert [str(r["participant_id"]) for r in rows(db, other, "select * from missions_private.recipe_usage")] == [other["id"]]


def make_recipes(db: psycopg.Connection, admin: dict, tid: str) -> None:
    """Recipes around SIEM-01 (template skills siem, triage; subtask 1 log_analysis, 3 edr, 4 detection)."""
    for slug, skills, links in [
        ("a-stage", [], [1]),                              # stage 1, no skill
        ("b-stage", ["siem"], [1]),                        # stage 1, one template skill
        ("c-mission", [], [None]),                         # whole mission
        ("d-mission", ["triage", "log_analysis"], [None]),  # whole mission + two skills of stage 1
        ("e-skills", ["siem", "log_analysis"], []),        # two skills of stage 1
        ("f-edr", ["edr"], []),                            # a skill of subtask 3 only
        ("g-stage3", ["cloud"], [3]),                      # another stage
        ("h-done", ["siem"], [1]),                         # completed by the learner: never recommended
        ("i-unrelated", ["cloud"], []),
    ]:
        upsert(db, admin, slug=slug, title=slug.replace("-", " ").title(), type="technical", skills=skills, minutes=5)
        for subtask in links:
            call(db, admin, "select missions.link_recipe(%s, %s, %s)", slug, tid, subtask)


def recommend(db: psycopg.Connection, who: dict, learner: dict, mid: str, subtask: int | None, limit: int = 5) -> list[tuple]:
    found = rows(db, who, "select * from missions.recommend_recipes(%s, %s, %s, %s)", learner["id"], mid, subtask, limit)
    return [(r["slug"], r["reason"], float(r["score"])) for r in found]


def test_recommendations_rank_stage_then_mission_and_skills(db, principals):
    admin, learner, other = principals["admin"], principals["participant"], principals["other"]
    tid = create_template(db, "SIEM-01")
    make_recipes(db, admin, tid)
    mid = call(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], tid)["id"]
    call(db, learner, "select missions.track_recipe_usage(%s, 'h-done', 'completed')", learner["id"])

    # stage 1: stage-linked first (score = (mission + overlap) x 1.0 orders within), then the rest by score, slug
    assert recommend(db, learner, learner, mid, 1, 10) == [
        ("b-stage", "stage", 1.0), ("a-stage", "stage", 0.0),
        ("d-mission", "mission", 3.0), ("e-skills", "skills", 2.0), ("c-mission", "mission", 1.0)]
    assert [r[0] for r in recommend(db, learner, learner, mid, 1, 3)] == ["b-stage", "a-stage", "d-mission"]
    # stage 3: its own link first; f-edr matches subtask 3's skill; d and e keep only their template skills
    assert recommend(db, learner, learner, mid, 3, 10) == [
        ("g-stage3", "stage", 0.0),
        ("d-mission", "mission", 2.0), ("b-stage", "skills", 1.0), ("c-mission", "mission", 1.0),
        ("e-skills", "skills", 1.0), ("f-edr", "skills", 1.0)]
    # no subtask: the learner's current one (subtask 1, nothing done yet), and the rows say so
    assert recommend(db, admin, learner, mid, None, 10) == recommend(db, learner, learner, mid, 1, 10)
    assert {r["subtask"] for r in rows(db, learner, "select * from missions.recommend_recipes(%s, %s)",
                                       learner["id"], mid)} == {1}
    # a completed recipe comes back for another learner
    other_mid = call(db, other, "select missions.start_learning_mission(%s, %s)", other["id"], tid)["id"]
    assert "h-done" in [r[0] for r in recommend(db, other, other, other_mid, 1, 10)]

    q = "select * from missions.recommend_recipes(%s, %s, %s, %s)"
    assert sqlstate(db, other, q, learner["id"], mid, 1, 5) == "MS403"
    assert sqlstate(db, other, q, other["id"], mid, 1, 5) == "MS404"          # not their mission
    assert sqlstate(db, learner, q, learner["id"], mid, 9, 5) == "MS404"      # no subtask 9
    assert sqlstate(db, learner, q, learner["id"], mid, 1, 0) == "MS422"
    assert sqlstate(db, principals["mentor"], q, learner["id"], mid, 1, 5) == "42501"


def test_effectiveness_reorders_otherwise_equal_recipes(db, principals):
    admin = principals["admin"]
    tid = create_template(db, "GRC-01", subtasks=[{"title": "Map the risks"}], rubric=None, pass_score=0,
                          reflection_required=False, skills=[], time_constraint_hours=1)
    for slug in ("x-alpha", "y-beta"):
        upsert(db, admin, slug=slug, title=slug, type="concept")
        call(db, admin, "select missions.link_recipe(%s, %s)", slug, tid)
    winner, loser, newcomer = (make_principal(db, "participant", n) for n in ("Winner", "Loser", "Newcomer"))
    at(db, "2030-03-01 10:00+00")
    win = call(db, winner, "select missions.start_learning_mission(%s, %s)", winner["id"], tid)["id"]
    lose = call(db, loser, "select missions.start_learning_mission(%s, %s)", loser["id"], tid)["id"]
    call(db, winner, "select missions.track_recipe_usage(%s, 'y-beta', 'used')", winner["id"])
    call(db, loser, "select missions.track_recipe_usage(%s, 'x-alpha', 'completed')", loser["id"])
    save(db, winner, win, subtask=1, done=True)
    call(db, winner, "select missions.submit_learning_mission(%s)", win)
    assert reviewer.review_pending(db) == 1          # FREE: the AI verdict (55 >= pass 0) applies at once
    at(db, "2030-03-01 11:30+00")
    assert call(db, None, "select missions.expire_missions()") == 1
    assert [r["status"] for r in db.execute("select status from missions_private.missions where id in (%s, %s) "
                                            "order by status", (win, lose))] == ["completed", "expired"]
    fresh = call(db, newcomer, "select missions.start_learning_mission(%s, %s)", newcomer["id"], tid)["id"]

    # before the refresh the analytics know nothing: both weigh 1.0, slug decides
    assert recommend(db, newcomer, newcomer, fresh, 1) == [("x-alpha", "mission", 1.0), ("y-beta", "mission", 1.0)]
    assert call(db, admin, "select missions.refresh_learning_analytics()") == 9
    # y-beta: 1 success in 1 attempt with it -> (1+1)/(1+2)*2 = 1.3333; x-alpha: 0 of 1 -> (0+1)/(1+2)*2 = 0.6667
    assert recommend(db, newcomer, newcomer, fresh, 1) == [("y-beta", "mission", 1.3333), ("x-alpha", "mission", 0.6667)]
    eff = {r["slug"]: r for r in rows(db, admin, "select * from missions.recipe_effectiveness()")}
    assert [eff["y-beta"][k] for k in ("attempts_with", "successes_with", "attempts_without", "successes_without")] == \
        [1, 1, 1, 0]
    assert [float(eff["y-beta"][k]) for k in ("success_rate_with", "success_rate_without", "lift")] == [1.0, 0.0, 1.0]
    assert float(eff["x-alpha"]["lift"]) == -1.0


def test_without_a_subtask_the_current_stage_then_the_whole_mission(db, principals):
    admin, learner = principals["admin"], principals["participant"]
    tid = create_simple(db, "CUR-01", 3, skills=["siem"],
                        subtasks=[{"title": "Logs", "skills": ["logs"]}, {"title": "Triage", "skills": ["triage"]},
                                  {"title": "Report", "optional": True}])
    for slug, skills, subtask in [("s1-logs", ["logs"], 1), ("s2-triage", ["triage"], 2), ("whole", [], None)]:
        upsert(db, admin, slug=slug, title=slug, type="concept", skills=skills)
        call(db, admin, "select missions.link_recipe(%s, %s, %s)", slug, tid, subtask)
    mid = call(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], tid)["id"]

    def current() -> list[tuple]:
        found = rows(db, learner, "select * from missions.recommend_recipes(%s, %s)", learner["id"], mid)
        return [(r["slug"], r["reason"], r["subtask"]) for r in found]

    assert current() == [("s1-logs", "stage", 1), ("whole", "mission", 1)]
    save(db, learner, mid, subtask=1, done=True)
    assert current() == [("s2-triage", "stage", 2), ("whole", "mission", 2)]
    save(db, learner, mid, subtask=2, done=True)
    # subtask 3 (optional) is still open: it is the current stage, with no link of its own
    assert current() == [("whole", "mission", 3)]
    save(db, learner, mid, subtask=3, skip=True)
    # nothing left: the whole mission (every link to the template, every subtask's skills)
    assert current() == [("s1-logs", "mission", None), ("s2-triage", "mission", None), ("whole", "mission", None)]
    # an explicit subtask still wins
    assert [r["slug"] for r in rows(db, learner, "select * from missions.recommend_recipes(%s, %s, 2)",
                                    learner["id"], mid)] == ["s2-triage", "whole"]


def dashboard_gaps(db: psycopg.Connection, who: dict) -> tuple[list, list]:
    board = call(db, who, "select missions.learning_dashboard(%s)", who["id"])
    return ([(g["skill"], float(g["mastery"])) for g in board["skill_gaps"]],
            [(r["slug"], r["gap_skills"], float(r["score"])) for r in board["recommended_recipes"]])


def test_the_dashboard_recommends_recipes_for_the_weakest_skill_signals(db, principals):
    admin, learner, other = principals["admin"], principals["participant"], principals["other"]
    # no skill signals yet: no gaps, no recommendations
    assert dashboard_gaps(db, learner) == ([], [])
    for skill, mastery, confidence in [("siem", 40, 0.5), ("triage", 60, 0.75), ("edr", 60, 0.5),
                                       ("policy", 90, 0.5), ("logs", 100, 0.875)]:
        db.execute("""insert into missions_private.skill_signals (participant_id, skill, mastery, confidence, evidence_count)
                      values (%s, %s, %s, %s, 1)""", (learner["id"], skill, mastery, confidence))
    for slug, skills in [("r-siem", ["siem"]), ("r-siem-edr", ["siem", "edr"]), ("r-triage", ["triage"]),
                         ("r-policy", ["policy"]), ("r-logs", ["logs"]), ("r-done", ["siem"]), ("r-cloud", ["cloud"])]:
        upsert(db, admin, slug=slug, title=slug, type="concept", skills=skills)
    call(db, learner, "select missions.track_recipe_usage(%s, 'r-done', 'completed')", learner["id"])

    gaps, recipes = dashboard_gaps(db, learner)
    # the three weakest below 100: siem 40, then edr before triage (same mastery, lower confidence); policy is 4th
    assert gaps == [("siem", 40.0), ("edr", 60.0), ("triage", 60.0)]
    # score: sum of (100 - mastery) / 100 over the gaps taught; completed recipes and non-gap skills left out
    assert recipes == [("r-siem-edr", ["siem", "edr"], 1.0), ("r-siem", ["siem"], 0.6), ("r-triage", ["triage"], 0.4)]
    # another participant's dashboard is theirs alone; their gaps are their own (none)
    assert sqlstate(db, other, "select missions.learning_dashboard(%s)", learner["id"]) == "MS403"
    assert dashboard_gaps(db, other) == ([], [])
