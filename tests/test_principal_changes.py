"""Principals that change (issue 15): missions.update_principal and the staff's principal search over SQL.

Every change is one `principal.*` event; a level change re-gates templates at once, a tier change moves the
month's learning quota, deactivation revokes the keys and releases live leases (with real parallel
connections for the race with an agent's completion), pausing keeps the jobs' meaning, and concurrent
changes of one principal serialize on its row."""

from __future__ import annotations

import json
import threading
import time

import psycopg
import pytest

from tests.helpers.agents import as_agent, create_mission, step_ids
from tests.helpers.calls import call, rows, sqlstate
from tests.helpers.engagement import job, make_template
from tests.helpers.engagement import set_clock as engagement_clock
from tests.helpers.learning import (
    CLAIM,
    create_simple,
    designate,
    premium_submission,
    review,
    set_clock,
    start,
)
from tests.helpers.principals import act_as, make_principal, race

UPDATE = "select row_to_json(p) from missions.update_principal(%s, %s::jsonb) p"
SEARCH = ("select p.id, p.display_name from missions.search_principals(%s, %s, %s, %s, %s, %s, %s::jsonb) p")


def update(conn, who, pid, **attrs):
    return call(conn, who, UPDATE, pid, json.dumps(attrs))


def refused(conn, who, pid, attrs) -> str | None:
    return sqlstate(conn, who, UPDATE, pid, json.dumps(attrs))


def principal_events(db, pid) -> list[dict]:
    return db.execute("select type, participant_id, actor_id, payload from missions_private.events "
                      "where type like 'principal.%%' and payload->>'principal_id' = %s order by id",
                      (str(pid),)).fetchall()


# ---- changes and their events ------------------------------------------------------------------

def test_each_changed_attribute_is_one_event_with_old_new_and_who(db, principals):
    admin, me = principals["admin"], principals["participant"]
    row = update(db, admin, me["id"], display_name="  New Name ", level="L2_SKILLED", tier="PREMIUM",
                 timezone="Europe/Paris", cohort="c29", paused=True)
    assert (row["display_name"], row["level"], row["tier"], row["timezone"], row["cohort"], row["paused"]) == \
        ("New Name", "L2_SKILLED", "PREMIUM", "Europe/Paris", "c29", True)
    events = principal_events(db, me["id"])
    assert [e["type"] for e in events] == ["principal.renamed", "principal.level_changed", "principal.tier_changed",
                                           "principal.timezone_changed", "principal.cohort_changed",
                                           "principal.paused"]
    by_type = {e["type"]: e for e in events}
    assert by_type["principal.level_changed"]["payload"] == {
        "principal_id": me["id"], "role": "participant", "old": "L0_APPLICANT", "new": "L2_SKILLED",
        "changed_by": admin["id"]}
    assert by_type["principal.cohort_changed"]["payload"]["old"] is None
    assert by_type["principal.paused"]["payload"]["new"] is True
    assert {str(e["actor_id"]) for e in events} == {admin["id"]}
    assert {str(e["participant_id"]) for e in events} == {me["id"]}  # the participant's own history (RLS)
    # the events go to the outbox like every other event
    queued = db.execute("select count(*) as n from pgmq.q_mission_events "
                        "where message->>'type' like 'principal.%%'").fetchone()["n"]
    assert queued == 6

    update(db, admin, me["id"], cohort=None, paused=False)
    last = principal_events(db, me["id"])[-2:]
    assert [(e["type"], e["payload"]["old"], e["payload"]["new"]) for e in last] == [
        ("principal.cohort_changed", "c29", None), ("principal.unpaused", True, False)]


def test_a_change_that_changes_nothing_writes_nothing_and_emits_nothing(db, principals):
    admin, me = principals["admin"], principals["participant"]
    before = db.execute("select xmin::text as x from missions_private.principals where id = %s", (me["id"],)).fetchone()
    row = update(db, admin, me["id"], level="L0_APPLICANT", tier="FREE", timezone="UTC", active=True, paused=False)
    assert row["id"] == me["id"] and row["level"] == "L0_APPLICANT"
    assert update(db, admin, me["id"])["id"] == me["id"]  # an empty object too
    assert principal_events(db, me["id"]) == []
    after = db.execute("select xmin::text as x from missions_private.principals where id = %s", (me["id"],)).fetchone()
    assert after == before


@pytest.mark.parametrize("attrs, fragment", [
    ({"colour": "red"}, "unknown attribute(s): colour"),
    ({"role": "admin"}, "unknown attribute(s): role"),
    ({"db_role": "postgres"}, "unknown attribute(s): db_role"),
    ({"level": "L9_GOD"}, "level must be one of"),
    ({"tier": "GOLD"}, "tier must be one of"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"timezone": "x" * 65}, "at most 64"),
    ({"display_name": "   "}, "display name must be"),
    ({"display_name": "x" * 201}, "display name must be"),
    ({"cohort": "c" * 101}, "cohort is at most"),
    ({"active": "no"}, "wrong type for: active"),
    ({"paused": 1}, "wrong type for: paused"),
    ({"level": None}, "wrong type for: level"),
    ({"cohort": 7}, "wrong type for: cohort"),
])
def test_bad_changes_are_ms422_and_change_nothing(db, principals, attrs, fragment):
    admin, me = principals["admin"], principals["participant"]
    with pytest.raises(psycopg.Error) as info:
        update(db, admin, me["id"], **attrs)
    assert info.value.sqlstate == "MS422"
    assert fragment in info.value.diag.message_primary
    assert principal_events(db, me["id"]) == []


def test_non_objects_and_unknown_principals(db, principals):
    admin = principals["admin"]
    for bad in ("[1]", '"x"', "null"):
        assert sqlstate(db, admin, "select missions.update_principal(%s, %s::jsonb)",
                        principals["participant"]["id"], bad) == "MS422", bad
    assert refused(db, admin, "00000000-0000-0000-0000-000000000001", {"level": "L1_ACTIVATED"}) == "MS404"


def test_a_participant_changes_only_their_own_name_and_time_zone(db, principals):
    me, other = principals["participant"], principals["other"]
    row = update(db, me, me["id"], display_name="Me Myself", timezone="Asia/Tokyo")
    assert (row["display_name"], row["timezone"]) == ("Me Myself", "Asia/Tokyo")
    assert [e["payload"]["changed_by"] for e in principal_events(db, me["id"])] == [me["id"], me["id"]]
    for attrs in ({"level": "L5_CATALYST"}, {"tier": "PREMIUM"}, {"active": False}, {"paused": False},
                  {"cohort": "vip"}, {"display_name": "ok", "level": "L1_ACTIVATED"}):
        assert refused(db, me, me["id"], attrs) == "MS403", attrs
    assert refused(db, me, me["id"], {"colour": "red"}) == "MS422"          # unknown keys: 422 for everyone
    assert refused(db, me, me["id"], {"timezone": "Nowhere/Land"}) == "MS422"
    assert refused(db, me, other["id"], {"display_name": "Hacked"}) == "MS403"
    assert refused(db, me, principals["admin"]["id"], {"display_name": "Hacked"}) == "MS403"
    for role in ("mentor", "agent"):  # not granted: 42501 (HTTP 403)
        assert refused(db, principals[role], principals[role]["id"], {"display_name": "x"}) == "42501"
    assert call(db, None, "select display_name from missions_private.principals where id = %s",
                other["id"]) == "Other participant"
    # services may change anyone, as admins
    assert update(db, principals["service"], other["id"], level="L1_ACTIVATED")["level"] == "L1_ACTIVATED"


# ---- effects: level gates, tier quotas, pausing ----------------------------------------------------

def test_a_level_change_re_gates_templates_at_once_both_ways(db, principals):
    admin, me = principals["admin"], principals["participant"]
    skilled = make_template(db, title="Skilled only", required_level="L2_SKILLED")
    later = make_template(db, title="Skilled too", required_level="L2_SKILLED")
    available = "select array_agg(id::text) from missions.available_missions(%s) a"

    def offered():
        return set(call(db, me, available, me["id"]) or [])

    assign = "select * from missions.assign_mission(%s, %s, 7)"
    assert skilled not in offered()
    assert sqlstate(db, me, assign, me["id"], skilled, rollback=True) == "MS403"
    update(db, admin, me["id"], level="L2_SKILLED")
    assert {skilled, later} <= offered()
    assert sqlstate(db, me, assign, me["id"], skilled) is None
    update(db, admin, me["id"], level="L1_ACTIVATED")
    assert later not in offered()
    assert sqlstate(db, me, assign, me["id"], later) == "MS403"
    assert [(e["payload"]["old"], e["payload"]["new"]) for e in principal_events(db, me["id"])] == [
        ("L0_APPLICANT", "L2_SKILLED"), ("L2_SKILLED", "L1_ACTIVATED")]


def test_a_participants_rise_is_one_wall_post_per_level_reached(db, principals):
    admin, me = principals["admin"], principals["participant"]

    def level_posts():
        return [(r["achievement_ref"], r["body"]) for r in db.execute(
            "select achievement_ref, body from missions_private.wall_posts "
            "where participant_id = %s and kind = 'level_up' order by published_at, achievement_ref", (me["id"],))]

    update(db, admin, me["id"], level="L2_SKILLED")
    update(db, admin, me["id"], level="L1_ACTIVATED")   # a fall posts nothing
    update(db, admin, me["id"], level="L2_SKILLED")     # reaching L2 again posts nothing new
    update(db, admin, admin["id"], level="L3_EXPOSED")  # staff are not on the wall
    assert level_posts() == [("L2_SKILLED", "Levelled up: L0_APPLICANT → L2_SKILLED.")]
    feed = call(db, me, "select json_agg(w) from missions.wall_feed() w")
    assert [w["kind"] for w in feed if w["participant_id"] == me["id"]] == ["level_up"]


def test_a_tier_change_moves_this_months_learning_quota(db, principals):
    set_clock(db, "2026-03-10 12:00:00+00")
    admin = principals["admin"]
    learner = make_principal(db, "participant", "Quota learner")  # FREE: one start a month
    tids = [create_simple(db, f"TIER-{i}") for i in range(4)]
    first = start(db, learner, tids[0])["id"]
    starting = "select missions.start_learning_mission(%s, %s)"
    assert sqlstate(db, learner, starting, learner["id"], tids[1]) == "MS429"

    update(db, admin, learner["id"], tier="STARTER")  # three a month: two more now
    second = start(db, learner, tids[1])["id"]

    update(db, admin, learner["id"], tier="FREE")     # back under: what started stays, no more starts
    assert sqlstate(db, learner, starting, learner["id"], tids[2]) == "MS429"
    statuses = {r["id"]: r["status"] for r in db.execute(
        "select id::text, status from missions_private.missions where participant_id = %s", (learner["id"],))}
    assert statuses == {first: "in_progress", second: "in_progress"}
    board = call(db, learner, "select missions.learning_dashboard(%s)", learner["id"])
    assert board["quota"] == {"month": "2026-03-01", "limit": 1, "used": 2}
    assert [e["type"] for e in principal_events(db, learner["id"])] == ["principal.tier_changed"] * 2


def test_pausing_keeps_its_meaning_the_jobs_skip_paused_participants(db):
    engagement_clock(db, "2030-01-07 09:00:00+00")
    admin = make_principal(db, "admin")
    paused, active = make_principal(db), make_principal(db)
    make_template(db, is_daily=True)
    update(db, admin, paused["id"], paused=True)
    assert job(db, "assign_daily_missions") == 1
    assigned = db.execute("select participant_id::text as p from missions_private.missions").fetchall()
    assert [r["p"] for r in assigned] == [active["id"]]
    update(db, admin, paused["id"], paused=False)
    assert job(db, "assign_daily_missions") == 1
    assert db.execute("select count(*) as n from missions_private.missions where participant_id = %s",
                      (paused["id"],)).fetchone()["n"] == 1
    assert [e["type"] for e in principal_events(db, paused["id"])] == ["principal.paused", "principal.unpaused"]


# ---- deactivation ---------------------------------------------------------------------------------

def leased_step(db, agent) -> tuple[str, dict]:
    mission = create_mission(db, [{"title": "health", "kind": "health_check"}])
    step = step_ids(db, mission)[0]
    claim = as_agent(db, agent, "select * from missions.claim_mission_step(%s, %s)", step, agent["id"])[0]
    return step, claim


def test_deactivation_revokes_keys_and_releases_live_leases_for_other_agents(db, principals):
    admin, atlas = principals["admin"], principals["agent"]
    scout = make_principal(db, "agent", "Scout")
    second_key = call(db, None, "select missions.create_api_key(%s, 'spare')", atlas["id"])
    step, claim = leased_step(db, atlas)

    row = update(db, admin, atlas["id"], active=False)
    assert row["active"] is False
    for key in (atlas["key"], second_key):
        assert db.execute("select * from missions.authenticate(%s)", (key,)).fetchall() == []
    assert db.execute("select count(*) as n from missions_private.api_keys where principal_id = %s "
                      "and revoked_at is null", (atlas["id"],)).fetchone()["n"] == 0
    state = db.execute("select status, leased_by, lease_token, attempt from missions_private.steps where id = %s",
                       (step,)).fetchone()
    assert (state["status"], state["leased_by"], state["lease_token"], state["attempt"]) == ("ready", None, None, 0)
    (event,) = principal_events(db, atlas["id"])
    assert event["type"] == "principal.deactivated" and event["participant_id"] is None
    assert event["payload"] == {"principal_id": atlas["id"], "role": "agent", "old": True, "new": False,
                                     "changed_by": admin["id"], "revoked_keys": 2, "released_claims": 1}
    released = db.execute("select payload from missions_private.events where step_id = %s "
                          "and from_status = 'in_progress' and to_status = 'ready'", (step,)).fetchone()
    assert released["payload"]["reason"] == "principal deactivated"

    # the old lease is dead: the deactivated agent can neither complete nor claim again
    done = as_agent(db, atlas, "select * from missions.complete_step(%s, %s, %s)", step, atlas["id"],
                    claim["lease_token"])
    assert isinstance(done, psycopg.Error) and done.sqlstate in ("MS403", "MS412")
    assert as_agent(db, atlas, "select * from missions.claim_next_step(%s)", atlas["id"]).sqlstate == "MS403"
    taken = as_agent(db, scout, "select * from missions.claim_mission_step(%s, %s)", step, scout["id"])[0]
    assert str(taken["agent_id"]) == scout["id"] and taken["attempt"] == 1

    # reactivation: a reactivated event; the keys stay revoked (staff issue a new one)
    update(db, admin, atlas["id"], active=True)
    assert principal_events(db, atlas["id"])[-1]["type"] == "principal.reactivated"
    assert db.execute("select * from missions.authenticate(%s)", (atlas["key"],)).fetchall() == []


def test_an_expired_lease_is_left_to_expire_claims(db, principals):
    admin, atlas = principals["admin"], principals["agent"]
    step, _ = leased_step(db, atlas)
    db.execute("update missions_private.steps set lease_expires_at = missions.now() - interval '1 second' "
               "where id = %s", (step,))
    update(db, admin, atlas["id"], active=False)
    assert principal_events(db, atlas["id"])[-1]["payload"]["released_claims"] == 0
    assert job(db, "expire_claims") == 1
    assert db.execute("select status from missions_private.steps where id = %s", (step,)).fetchone()["status"] == "ready"


def test_deactivating_a_mentor_releases_their_review_claim(db, principals):
    set_clock(db, "2026-06-01 10:00:00+00")
    admin, mentor = principals["admin"], principals["mentor"]
    backup = make_principal(db, "mentor", "Backup mentor")
    learner = make_principal(db, "participant", "Premium learner", tier="PREMIUM")
    designate(db, "mentor_review", mentor, backup)
    mid = premium_submission(db, learner)
    held = call(db, mentor, CLAIM, mid, mentor["id"])
    assert held["agent_id"] == mentor["id"]
    update(db, admin, mentor["id"], active=False)
    assert principal_events(db, mentor["id"])[-1]["payload"]["released_claims"] == 1
    assert sqlstate(db, mentor, "select missions.complete_mentor_review(%s, %s, %s::jsonb)", mid, mentor["id"],
                    review({1: 90, 2: 80, 3: 70, 4: 60})) == "MS403"
    taken = call(db, backup, CLAIM, mid, backup["id"])
    assert taken["agent_id"] == backup["id"]


def wait_until_blocked(db, pid: int) -> None:
    """Until the backend pid waits on a lock (real parallel connections, no sleeps as synchronisation)."""
    for _ in range(600):
        if db.execute("select wait_event_type from pg_stat_activity where pid = %s", (pid,)).fetchone()[
                "wait_event_type"] == "Lock":
            return
        time.sleep(0.05)
    raise AssertionError("the other session never waited on a lock")


def test_race_completion_first_stands_and_deactivation_waits_for_it(db, principals, connect):
    """The agent heartbeats and completes in one transaction while the admin deactivates it: the
    deactivation waits on the step's row lock, then finds nothing to release; the completion stands."""
    admin, atlas = principals["admin"], principals["agent"]
    step, claim = leased_step(db, atlas)
    agent_conn, admin_conn = connect(autocommit=True), connect(autocommit=True)
    agent_conn.execute("begin")
    act_as(agent_conn, atlas)
    agent_conn.execute("select missions.heartbeat_step(%s, %s, %s)", (step, atlas["id"], claim["lease_token"]))
    outcome: dict = {}

    def deactivate() -> None:
        outcome["row"] = update(admin_conn, admin, atlas["id"], active=False)

    th = threading.Thread(target=deactivate)
    th.start()
    wait_until_blocked(db, admin_conn.info.backend_pid)
    agent_conn.execute("select missions.complete_step(%s, %s, %s)", (step, atlas["id"], claim["lease_token"]))
    agent_conn.execute("commit")
    th.join(60)
    assert outcome["row"]["active"] is False
    assert db.execute("select status from missions_private.steps where id = %s", (step,)).fetchone()["status"] == \
        "completed"
    assert principal_events(db, atlas["id"])[-1]["payload"]["released_claims"] == 0


def test_race_deactivation_first_fences_the_completion(db, principals, connect):
    """The admin deactivates in an open transaction; the agent's completion (another connection) waits on
    the step's lock and, once the deactivation commits, is refused (MS412: the lease was released) and
    records nothing. A heartbeat afterwards is refused too."""
    admin, atlas = principals["admin"], principals["agent"]
    step, claim = leased_step(db, atlas)
    agent_conn, admin_conn = connect(autocommit=True), connect(autocommit=True)
    admin_conn.execute("begin")
    act_as(admin_conn, admin)
    admin_conn.execute("select missions.update_principal(%s, '{\"active\": false}')", (atlas["id"],))
    outcome: dict = {}

    def complete() -> None:
        outcome["done"] = as_agent(agent_conn, atlas, "select * from missions.complete_step(%s, %s, %s)",
                                   step, atlas["id"], claim["lease_token"])

    th = threading.Thread(target=complete)
    th.start()
    wait_until_blocked(db, agent_conn.info.backend_pid)
    admin_conn.execute("commit")
    th.join(60)
    assert isinstance(outcome["done"], psycopg.Error) and outcome["done"].sqlstate == "MS412"
    assert db.execute("select count(*) as n from missions_private.step_results where step_id = %s",
                      (step,)).fetchone()["n"] == 0
    assert db.execute("select status from missions_private.steps where id = %s", (step,)).fetchone()["status"] == "ready"
    beat = as_agent(agent_conn, atlas, "select * from missions.heartbeat_step(%s, %s, %s)", step, atlas["id"],
                    claim["lease_token"])
    assert isinstance(beat, psycopg.Error) and beat.sqlstate in ("MS403", "MS412")


def test_concurrent_changes_of_one_principal_lose_no_event(db, principals, connect):
    """Eight admins change one participant's level at once: the row lock serializes them, so the events form
    one chain (each old value is the previous new one) ending at the stored level."""
    admin, me = principals["admin"], principals["participant"]
    levels = ["L1_ACTIVATED", "L2_SKILLED", "L3_EXPOSED", "L4_EARNER", "L5_CATALYST", "L0_APPLICANT",
              "L2_SKILLED", "L4_EARNER"]
    conns = [connect(autocommit=True) for _ in levels]
    results = race([lambda c=c, lv=lv, i=i: update(c, admin, me["id"], level=lv, cohort=f"c-{i}")
                    for i, (c, lv) in enumerate(zip(conns, levels))])
    assert all(isinstance(r, dict) for r in results), results
    events = [e for e in principal_events(db, me["id"]) if e["type"] == "principal.level_changed"]
    chain = [(e["payload"]["old"], e["payload"]["new"]) for e in events]
    assert all(a[1] == b[0] for a, b in zip(chain, chain[1:])), chain
    assert chain[0][0] == "L0_APPLICANT"
    stored = db.execute("select level, cohort from missions_private.principals where id = %s", (me["id"],)).fetchone()
    assert chain[-1][1] == stored["level"]
    cohorts = [e["payload"] for e in principal_events(db, me["id"]) if e["type"] == "principal.cohort_changed"]
    assert len(cohorts) == len(levels) and cohorts[-1]["new"] == stored["cohort"]


# ---- search ---------------------------------------------------------------------------------------

@pytest.fixture
def crowd(db):
    people = [make_principal(db, "participant", name, cohort=cohort, level=level)
              for name, cohort, level in [("Alice Smith", "c1", "L1_ACTIVATED"), ("alicia keys", "c1", "L2_SKILLED"),
                                          ("Bob 100% Real", "c2", "L1_ACTIVATED"), ("Carol", None, "L0_APPLICANT"),
                                          ("Dave_x", "c2", "L0_APPLICANT")]]
    people.append(make_principal(db, "mentor", "Alison Mentor", cohort="c1"))
    return people


def names(db, who, role=None, cohort=None, level=None, active=None, q=None, limit=50, after=None) -> list[str]:
    return [r["display_name"] for r in rows(db, who, SEARCH, role, cohort, level, active, q, limit,
                                            None if after is None else json.dumps(after))]


def test_staff_search_principals_by_role_cohort_level_active_and_text(db, principals, crowd):
    admin = principals["admin"]
    assert set(names(db, admin, q="ALI")) == {"Alice Smith", "alicia keys", "Alison Mentor"}
    assert set(names(db, admin, role="participant", q="ali")) == {"Alice Smith", "alicia keys"}
    assert names(db, admin, cohort="c1", level="L2_SKILLED") == ["alicia keys"]
    assert names(db, admin, cohort="c2") == ["Bob 100% Real", "Dave_x"]
    assert names(db, admin, q="100%") == ["Bob 100% Real"]      # LIKE wildcards match themselves
    assert names(db, admin, q="e_x") == ["Dave_x"]
    assert names(db, admin, q="%") == ["Bob 100% Real"]
    assert names(db, admin, role="mentor", q="  ") == sorted(
        r["display_name"] for r in db.execute("select display_name from missions_private.principals "
                                               "where role = 'mentor'"))
    update(db, admin, crowd[3]["id"], active=False)
    assert "Carol" not in names(db, admin, active=True)
    assert names(db, admin, active=False) == ["Carol"]
    assert names(db, principals["service"], q="carol") == ["Carol"]


def test_search_pages_by_name_then_id_and_refuses_non_staff(db, principals, crowd):
    admin = principals["admin"]
    make_principal(db, "participant", "Alice Smith")  # a duplicate name: the id breaks the tie
    everything = rows(db, admin, SEARCH, None, None, None, None, None, 200, None)
    walked: list = []
    after = None
    while True:
        page = rows(db, admin, SEARCH, None, None, None, None, None, 2, after)
        walked += page
        if len(page) < 2:
            break
        after = json.dumps({"display_name": page[-1]["display_name"], "id": str(page[-1]["id"])})
    assert [r["id"] for r in walked] == [r["id"] for r in everything]
    assert len(everything) == db.execute("select count(*) as n from missions_private.principals").fetchone()["n"]
    for role in ("participant", "mentor", "agent"):
        assert sqlstate(db, principals[role], SEARCH, None, None, None, None, None, 10, None) == "42501", role
    bad = [("wizard", None, None, 10, None), (None, "L9", None, 10, None), (None, None, "x" * 201, 10, None),
           (None, None, None, 0, None), (None, None, None, 10, '{"id": "x"}')]
    for role, level, q, limit, key in bad:
        assert sqlstate(db, admin, SEARCH, role, None, level, None, q, limit, key) == "MS422", (role, level, q, limit)


def test_search_walks_the_name_index(db, principals):
    """The order (display_name, id) is an index; a page of a large table reads it, not the whole table."""
    db.execute("insert into missions_private.principals (role, display_name) "
               "select 'participant', 'P ' || lpad(g::text, 6, '0') from generate_series(1, 20000) g")
    db.execute("analyze missions_private.principals")
    plan = "\n".join(r["QUERY PLAN"] for r in db.execute(
        "explain select p.* from missions_private.principals p where (p.display_name, p.id) > ('', "
        "'00000000-0000-0000-0000-000000000000'::uuid) order by p.display_name, p.id limit 50"))
    assert "principals_display_name_idx" in plan
    assert len(names(db, principals["admin"], q="P 0199", limit=200)) == 100
