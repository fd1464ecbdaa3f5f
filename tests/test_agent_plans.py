"""Seed 004's missing moments of agent missions, over SQL: blocked tasks (blocked_by / blocked_reason),
cancelled input requests (and a response racing a cancel), re-planning (executing -> planning), and seed 003's
ops views (recently finished missions, done/total task counts)."""

from __future__ import annotations

import json

import pytest

from tests.helpers.agents import as_agent, create_mission, mission_status, step_ids
from tests.helpers.calls import sqlstate
from tests.helpers.principals import make_principal, race

CLAIM = "select * from missions.claim_mission_step(%s, %s)"
CLAIM_NEXT = "select * from missions.claim_next_step(%s, array['task'])"
COMPLETE = "select * from missions.complete_step(%s, %s, %s)"
BLOCK = "select * from missions.block_task(%s, %s, %s, %s)"
UNBLOCK = "select * from missions.unblock_task(%s, %s)"
REPLAN = "select missions.replan_mission(%s, %s::jsonb) as m"


def ok(rows):
    """The rows of an as_agent call that must have succeeded."""
    assert not isinstance(rows, Exception), rows
    return rows


def step(db, step_id) -> dict:
    return db.execute("select * from missions_private.steps where id = %s", (step_id,)).fetchone()


def events(db, mission_id) -> list[str]:
    return [r["type"] for r in db.execute(
        "select type from missions_private.events where mission_id = %s order by id", (mission_id,))]


def claim_and_complete(db, agent, step_id) -> None:
    lease = ok(as_agent(db, agent, CLAIM, step_id, agent["id"]))[0]
    ok(as_agent(db, agent, COMPLETE, step_id, agent["id"], lease["lease_token"]))


def three_parallel_tasks(db) -> tuple[str, list[str]]:
    mission = create_mission(db, [{"title": t, "kind": "task", "depends_on": []} for t in ("a", "b", "c")])
    return mission, step_ids(db, mission)


# ---- blocked tasks -----------------------------------------------------------------------------------

def test_a_blocked_task_is_skipped_by_claims_until_unblocked(db, principals):
    agent = principals["agent"]
    mission, (a, b, c) = three_parallel_tasks(db)
    blocked = ok(as_agent(db, agent, BLOCK, mission, a, "vendor:contract", "waiting for the signed contract"))[0]
    assert (blocked["status"], blocked["blocked_by"], blocked["blocked_reason"]) == \
        ("blocked", "vendor:contract", "waiting for the signed contract")
    assert blocked["blocked_since"] is not None and blocked["blocked_by_step"] is None
    assert as_agent(db, agent, CLAIM, a, agent["id"]).sqlstate == "MS409"
    claimed = {str(ok(as_agent(db, agent, CLAIM_NEXT, agent["id"]))[0]["step_id"]) for _ in range(2)}
    assert claimed == {b, c}  # SKIP LOCKED claims walk past the blocked task
    assert ok(as_agent(db, agent, CLAIM_NEXT, agent["id"])) == []
    unblocked = ok(as_agent(db, agent, UNBLOCK, mission, a))[0]
    assert unblocked["status"] == "ready" and unblocked["blocked_by"] is None and unblocked["blocked_since"] is None
    assert str(ok(as_agent(db, agent, CLAIM_NEXT, agent["id"]))[0]["step_id"]) == a
    assert {"mission.task_blocked", "mission.task_unblocked"} <= set(events(db, mission))
    assert mission_status(db, mission) == "in_progress"  # blocking a task never changes the mission's status


def test_a_task_blocked_by_another_task_is_unblocked_when_that_task_completes(db, principals):
    agent = principals["agent"]
    mission, (a, b, c) = three_parallel_tasks(db)
    ok(as_agent(db, agent, BLOCK, mission, b, f"task:{a}", None))
    ok(as_agent(db, agent, BLOCK, mission, c, f"TASK:{b.upper()}", "after b"))  # normalised
    assert step(db, c)["blocked_by"] == f"task:{b}" and str(step(db, c)["blocked_by_step"]) == b
    claim_and_complete(db, agent, a)
    assert (step(db, b)["status"], step(db, c)["status"]) == ("ready", "blocked")
    claim_and_complete(db, agent, b)
    assert step(db, c)["status"] == "ready" and step(db, c)["blocked_by"] is None
    claim_and_complete(db, agent, c)
    assert mission_status(db, mission) == "completed"


def test_a_task_blocker_that_is_skipped_unblocks_too_and_dependencies_still_count(db, principals):
    agent = principals["agent"]
    db.execute("select missions.upsert_step_kind('once', '{\"trusted\": true, \"max_attempts\": 1}')")
    mission = create_mission(db, [{"title": "maybe", "kind": "once", "optional": True, "depends_on": []},
                                  {"title": "first", "kind": "task", "depends_on": []},
                                  {"title": "then", "kind": "task", "depends_on": [2]}])
    maybe, first, then = step_ids(db, mission)
    ok(as_agent(db, agent, BLOCK, mission, then, f"task:{maybe}", None))
    lease = ok(as_agent(db, agent, CLAIM, maybe, agent["id"]))[0]
    ok(as_agent(db, agent, "select * from missions.fail_step(%s, %s, %s, 'no', false)", maybe, agent["id"],
                lease["lease_token"]))
    assert step(db, maybe)["status"] == "skipped"
    assert step(db, then)["status"] == "pending"  # unblocked, still waiting for its dependency
    claim_and_complete(db, agent, first)
    assert step(db, then)["status"] == "ready"


@pytest.mark.parametrize("blocked_by, reason, state", [
    (None, None, "MS422"), ("", "  ", "MS422"), ("task:not-a-uuid", None, "MS422"), ("x" * 256, None, "MS422"),
    ("task:00000000-0000-4000-8000-000000000000", None, "MS422")])
def test_bad_blockers_are_422(db, principals, blocked_by, reason, state):
    mission, (a, _, _) = three_parallel_tasks(db)
    assert as_agent(db, principals["agent"], BLOCK, mission, a, blocked_by, reason).sqlstate == state
    assert step(db, a)["status"] == "ready"


def test_self_blocks_cycles_done_blockers_and_other_missions_tasks_are_refused(db, principals):
    agent = principals["agent"]
    mission, (a, b, c) = three_parallel_tasks(db)
    other, (x, _, _) = three_parallel_tasks(db)
    assert as_agent(db, agent, BLOCK, mission, a, f"task:{a}", None).sqlstate == "MS422"
    assert as_agent(db, agent, BLOCK, mission, a, f"task:{x}", None).sqlstate == "MS422"
    ok(as_agent(db, agent, BLOCK, mission, a, f"task:{b}", None))
    ok(as_agent(db, agent, BLOCK, mission, b, f"task:{c}", None))
    cycle = as_agent(db, agent, BLOCK, mission, c, f"task:{a}", None)
    assert cycle.sqlstate == "MS422" and "cycle" in cycle.diag.message_primary
    claim_and_complete(db, agent, x)
    done = as_agent(db, agent, BLOCK, other, step_ids(db, other)[1], f"task:{x}", None)
    assert done.sqlstate == "MS422" and "already completed" in done.diag.message_primary
    assert as_agent(db, agent, BLOCK, other, x, "anything", None).sqlstate == "MS409"  # a completed task
    assert as_agent(db, agent, UNBLOCK, other, step_ids(db, other)[1]).sqlstate == "MS409"  # not blocked


def test_the_database_keeps_blockers_within_the_mission_and_only_on_blocked_tasks(db):
    mission, (a, b, _) = three_parallel_tasks(db)
    _, (x, _, _) = three_parallel_tasks(db)

    def update(sets: str, *args) -> str | None:
        return sqlstate(db, None, f"update missions_private.steps set {sets} where id = %s", *args, a, rollback=True)

    assert update("status = 'blocked', blocked_by = %s, blocked_by_step = %s", f"task:{x}", x) == "23503"
    assert update("status = 'blocked', blocked_by = %s, blocked_by_step = %s", f"task:{a}", a) == "23514"
    assert update("status = 'blocked', blocked_by = 'other', blocked_by_step = %s", b) == "23514"
    assert update("status = 'blocked'") == "23514"  # a blocked task says what blocks it or why
    assert update("blocked_reason = 'because'") == "23514"  # a blocker only on a blocked task
    assert update("status = 'blocked', blocked_by = %s, blocked_by_step = %s", f"task:{b}", b) is None


def test_blocking_a_claimed_task_drops_the_holders_lease_and_other_agents_cannot(db, principals):
    agent, scout = principals["agent"], make_principal(db, "agent", "Scout")
    mission, (a, _, _) = three_parallel_tasks(db)
    lease = ok(as_agent(db, agent, CLAIM, a, agent["id"]))[0]
    assert as_agent(db, scout, BLOCK, mission, a, "mine now", None).sqlstate == "MS409"
    ok(as_agent(db, agent, BLOCK, mission, a, None, "the API is down"))
    row = step(db, a)
    assert row["status"] == "blocked" and row["lease_token"] is None and row["leased_by"] is None
    assert as_agent(db, agent, COMPLETE, a, agent["id"], lease["lease_token"]).sqlstate == "MS412"


def test_an_external_event_with_the_blockers_key_unblocks_the_task(db, principals):
    agent, service = principals["agent"], principals["service"]
    mission, (a, b, _) = three_parallel_tasks(db)
    ok(as_agent(db, agent, BLOCK, mission, a, "email_reply:t-42", "waiting for John"))
    ok(as_agent(db, agent, BLOCK, mission, b, "email_reply:t-43", None))
    ok(as_agent(db, service, "select missions.deliver_external_event('email_reply:t-42', '{}')"))
    assert (step(db, a)["status"], step(db, b)["status"]) == ("ready", "blocked")


def test_update_task_sets_and_clears_the_blocker_of_a_persistent_task(db, principals):
    user, agent = principals["participant"], principals["agent"]
    spec = {"type": "persistent", "title": "Errand", "owner_id": user["id"], "tasks": [{"title": "Call"}]}
    mission = str(ok(as_agent(db, agent, "select missions.create_agent_mission(%s::jsonb) as id", json.dumps(spec)))[0]["id"])
    (task,) = step_ids(db, mission)
    update = "select * from missions.update_task(%s, %s, %s::jsonb)"
    row = ok(as_agent(db, user, update, mission, task, json.dumps({"blocked_by": "bank:opening-hours",
                                                                    "blocked_reason": "closed on Sunday"})))[0]
    assert (row["status"], row["blocked_by"], row["blocked_reason"]) == ("blocked", "bank:opening-hours", "closed on Sunday")
    assert as_agent(db, user, update, mission, task, json.dumps({"status": "blocked"})).sqlstate == "MS422"
    assert as_agent(db, user, update, mission, task,
                    json.dumps({"status": "completed", "blocked_by": "x"})).sqlstate == "MS422"
    assert as_agent(db, user, update, mission, task, json.dumps({"status": "completed"})).sqlstate == "MS409"
    row = ok(as_agent(db, user, update, mission, task, json.dumps({"blocked_by": None, "blocked_reason": None})))[0]
    assert row["status"] == "ready" and row["blocked_reason"] is None


# ---- cancelled input requests ------------------------------------------------------------------------

@pytest.fixture
def asked(db, principals):
    """A persistent mission of the participant whose only task waits for the participant's answer."""
    user, agent = principals["participant"], principals["agent"]
    spec = {"type": "persistent", "title": "Trip", "owner_id": user["id"], "tasks": [{"title": "Book"}]}
    mission = str(ok(as_agent(db, agent, "select missions.create_agent_mission(%s::jsonb) as id", json.dumps(spec)))[0]["id"])
    (task,) = step_ids(db, mission)
    request = ok(as_agent(db, agent, "select id from missions.request_human_input(%s, %s, 'Window or aisle?')",
                          mission, task))[0]["id"]
    return {"mission": mission, "task": task, "request": str(request)}


CANCEL = "select * from missions.cancel_input_request(%s, %s)"
RESPOND = "select * from missions.respond_to_input_request(%s, %s, '{\"text\": \"aisle\"}'::jsonb)"


def test_the_requester_cancels_a_pending_request_and_it_can_no_longer_be_answered(db, principals, asked):
    user, agent = principals["participant"], principals["agent"]
    assert mission_status(db, asked["mission"]) == "waiting" and step(db, asked["task"])["status"] == "waiting_human"
    assert as_agent(db, user, CANCEL, asked["request"], None).sqlstate == "MS403"  # the owner answers, not cancels
    assert as_agent(db, principals["other"], CANCEL, asked["request"], None).sqlstate == "MS404"
    row = ok(as_agent(db, agent, CANCEL, asked["request"], "found a seat map"))[0]
    assert (row["status"], str(row["cancelled_by"]), row["cancel_reason"]) == ("cancelled", agent["id"], "found a seat map")
    # the task carries on without an answer and the mission runs again
    assert step(db, asked["task"])["status"] == "ready" and mission_status(db, asked["mission"]) == "in_progress"
    assert as_agent(db, user, RESPOND, asked["request"], user["id"]).sqlstate == "MS409"
    again = ok(as_agent(db, agent, CANCEL, asked["request"], "twice"))[0]
    assert again["cancelled_at"] == row["cancelled_at"] and again["cancel_reason"] == "found a seat map"
    assert events(db, asked["mission"]).count("mission.input_cancelled") == 1


def test_staff_cancel_and_an_answered_request_cannot_be_cancelled(db, principals, asked):
    user = principals["participant"]
    ok(as_agent(db, user, RESPOND, asked["request"], user["id"]))
    assert as_agent(db, principals["admin"], CANCEL, asked["request"], None).sqlstate == "MS409"
    agent = principals["agent"]
    second = ok(as_agent(db, agent, "select id from missions.request_human_input(%s, %s, 'Meal?')",
                         asked["mission"], asked["task"]))[0]["id"]
    assert ok(as_agent(db, principals["admin"], CANCEL, second, None))[0]["status"] == "cancelled"


def test_a_response_and_a_cancel_in_parallel_exactly_one_wins(db, connect, principals):
    user, agent = principals["participant"], principals["agent"]
    outcomes = []
    for _ in range(6):
        spec = {"type": "persistent", "title": "Race", "owner_id": user["id"], "tasks": [{"title": "Ask"}]}
        mission = str(ok(as_agent(db, agent, "select missions.create_agent_mission(%s::jsonb) as id",
                                  json.dumps(spec)))[0]["id"])
        (task,) = step_ids(db, mission)
        request = ok(as_agent(db, agent, "select id from missions.request_human_input(%s, %s, 'Go?')",
                              mission, task))[0]["id"]
        a, b = connect(autocommit=True), connect(autocommit=True)
        results = race([lambda: as_agent(a, user, RESPOND, request, user["id"]),
                        lambda: as_agent(b, agent, CANCEL, request, "too slow")])
        wins = [r for r in results if not isinstance(r, Exception)]
        losses = [r for r in results if isinstance(r, Exception)]
        assert len(wins) == 1 and [e.sqlstate for e in losses] == ["MS409"], results
        final = db.execute("select status from missions_private.input_requests where id = %s", (request,)).fetchone()
        assert final["status"] == wins[0][0]["status"]
        assert step(db, task)["status"] == "ready" and mission_status(db, mission) == "in_progress"
        outcomes.append(final["status"])
        a.close()
        b.close()
    assert set(outcomes) <= {"responded", "cancelled"}


# ---- re-planning -------------------------------------------------------------------------------------

def test_a_replan_skips_the_unfinished_tasks_and_runs_the_new_plan(db, principals):
    agent, service = principals["agent"], principals["service"]
    mission = create_mission(db, [{"title": t, "kind": "task", "depends_on": []} for t in ("done", "held", "asks", "waits", "blocked")]
                             + [{"title": "later", "kind": "task"}])
    done, held, asks, waits, blocked, later = step_ids(db, mission)
    claim_and_complete(db, agent, done)
    lease = ok(as_agent(db, agent, CLAIM, held, agent["id"]))[0]
    request = ok(as_agent(db, agent, "select id from missions.request_human_input(%s, %s, 'Sure?')", mission, asks))[0]["id"]
    ok(as_agent(db, agent, "select * from missions.wait_for_external_event(%s, %s, 'hook:1')", mission, waits))
    ok(as_agent(db, agent, BLOCK, mission, blocked, None, "stuck"))
    assert mission_status(db, mission) == "waiting"
    view = ok(as_agent(db, agent, REPLAN, mission, json.dumps({
        "reason": "the vendor changed its API", "tasks": [{"title": "new 1", "kind": "task"}, {"title": "new 2"}]})))[0]["m"]
    assert view["status"] == "assigned"
    assert [(t["title"], t["status"]) for t in view["tasks"]] == [
        ("done", "completed"), ("held", "skipped"), ("asks", "skipped"), ("waits", "skipped"), ("blocked", "skipped"),
        ("later", "skipped"), ("new 1", "ready"), ("new 2", "pending")]
    assert (view["tasks_done"], view["tasks_total"]) == (6, 8)
    assert view["tasks"][0]["result"] == {}  # finished work stays
    assert db.execute("select status, cancel_reason from missions_private.input_requests where id = %s",
                      (request,)).fetchone() == {"status": "cancelled", "cancel_reason": "re-planned"}
    assert step(db, waits)["wait_key"] is None and step(db, blocked)["blocked_reason"] is None
    assert as_agent(db, agent, COMPLETE, held, agent["id"], lease["lease_token"]).sqlstate == "MS412"
    assert ok(as_agent(db, service, "select missions.deliver_external_event('hook:1', '{}') as n"))[0]["n"] == 0
    moves = [(r["from_status"], r["to_status"], r["payload"].get("reason")) for r in db.execute(
        "select from_status, to_status, payload from missions_private.events "
        "where mission_id = %s and type = 'mission.status_changed' order by id", (mission,))]
    assert moves[-2:] == [("waiting", "proposed", "replan"), ("proposed", "assigned", "every step kind of the new plan is trusted")]
    replanned = db.execute("select payload from missions_private.events where mission_id = %s and type = 'mission.replanned'",
                           (mission,)).fetchone()["payload"]
    assert replanned == {"reason": "the vendor changed its API", "tasks_skipped": 5, "tasks_added": 2,
                         "input_requests_cancelled": 1}
    new1, new2 = step_ids(db, mission)[-2:]
    claim_and_complete(db, agent, new1)
    claim_and_complete(db, agent, new2)
    assert mission_status(db, mission) == "completed"


def test_a_new_plan_with_an_untrusted_kind_waits_for_a_person(db, principals):
    agent, admin = principals["agent"], principals["admin"]
    mission = create_mission(db, [{"title": "look", "kind": "task"}])
    view = ok(as_agent(db, agent, REPLAN, mission, json.dumps({"tasks": [{"title": "patch", "kind": "code_generation"}]})))[0]["m"]
    assert view["status"] == "proposed" and view["approved_by"] is None
    new = step_ids(db, mission)[-1]
    assert as_agent(db, agent, CLAIM, new, agent["id"]).sqlstate == "MS409"
    ok(as_agent(db, admin, "select * from missions.approve_agent_mission(%s, %s)", mission, admin["id"]))
    assert ok(as_agent(db, agent, CLAIM, new, agent["id"]))[0]["kind"] == "code_generation"


def test_replan_refusals(db, principals):
    agent = principals["agent"]
    proposed = create_mission(db, [{"title": "code", "kind": "code_generation"}])
    assert as_agent(db, agent, REPLAN, proposed, json.dumps({"tasks": [{"title": "x"}]})).sqlstate == "MS409"
    mission = create_mission(db, [{"title": "a", "kind": "task"}])
    for bad in ({}, {"tasks": []}, {"tasks": [{"title": ""}]}, {"tasks": [{"title": "x", "kind": "teleport"}]},
                {"tasks": [{"title": "x"}], "colour": "red"}, {"tasks": [{"title": "x", "depends_on": [2]}]}):
        assert as_agent(db, agent, REPLAN, mission, json.dumps(bad)).sqlstate == "MS422", bad
    assert mission_status(db, mission) == "assigned" and step(db, step_ids(db, mission)[0])["status"] == "ready"
    claim_and_complete(db, agent, step_ids(db, mission)[0])
    assert as_agent(db, agent, REPLAN, mission, json.dumps({"tasks": [{"title": "x"}]})).sqlstate == "MS409"
    assert as_agent(db, principals["other"], REPLAN, mission, json.dumps({"tasks": [{"title": "x"}]})).sqlstate == "MS404"


# ---- seed 003's ops views ----------------------------------------------------------------------------

def test_recently_finished_missions_newest_first_with_duration_outcome_and_counts(db, principals):
    agent, admin = principals["agent"], principals["admin"]
    db.execute("select set_config('missions.now', '2030-05-01 10:00+00', false)")
    first = create_mission(db, [{"title": "a", "kind": "task"}, {"title": "b", "kind": "task"}], title="First")
    second = create_mission(db, [{"title": "a", "kind": "task"}], title="Second")
    running = create_mission(db, [{"title": "a", "kind": "task"}], title="Running")
    a, b = step_ids(db, first)
    claim_and_complete(db, agent, a)  # started at 10:00
    db.execute("select set_config('missions.now', '2030-05-01 10:45+00', false)")
    claim_and_complete(db, agent, b)
    db.execute("select set_config('missions.now', '2030-05-01 11:00+00', false)")
    ok(as_agent(db, admin, "select missions.update_agent_mission(%s, '{\"status\": \"cancelled\"}')", second))
    rows = ok(as_agent(db, admin, "select * from missions.recent_agent_missions()"))
    assert [(r["title"], r["outcome"], r["duration_seconds"], r["tasks_done"], r["tasks_total"]) for r in rows] == [
        ("Second", "cancelled", 3600, 0, 1), ("First", "completed", 2700, 2, 2)]
    assert str(rows[0]["id"]) == second and running not in {str(r["id"]) for r in rows}
    assert [r["title"] for r in ok(as_agent(db, admin, "select * from missions.recent_agent_missions(1)"))] == ["Second"]
    for bad in (0, 101, None):
        assert as_agent(db, admin, "select * from missions.recent_agent_missions(%s)", bad).sqlstate == "MS422"
    assert ok(as_agent(db, principals["other"], "select * from missions.recent_agent_missions()")) == []
    db.execute("reset missions.now")


def test_mission_lists_carry_done_and_total_task_counts(db, principals):
    agent = principals["agent"]
    mission = create_mission(db, [{"title": t, "kind": "task", "depends_on": []} for t in "abc"], title="Counted")
    create_mission(db, [], title="Empty")
    claim_and_complete(db, agent, step_ids(db, mission)[0])
    listed = {m["m"]["title"]: (m["m"]["tasks_done"], m["m"]["tasks_total"]) for m in ok(as_agent(
        db, agent, "select m from missions.list_agent_missions() m"))}
    assert listed == {"Counted": (1, 3), "Empty": (0, 0)}
    one = ok(as_agent(db, agent, "select missions.agent_mission(%s) as m", mission))[0]["m"]
    assert (one["tasks_done"], one["tasks_total"]) == (1, 3)


def test_the_ops_views_queries_can_walk_their_indexes(db):
    """The plans of the two queries inside the functions, with scans that ignore an index priced out."""
    db.execute("set enable_seqscan = off")
    finished = "\n".join(r["QUERY PLAN"] for r in db.execute(
        "explain select f.id from missions_private.missions f where f.face = 'agent' "
        "and f.status in ('completed', 'failed', 'expired', 'cancelled') "
        "order by f.status_changed_at desc, f.id desc limit 10"))
    assert "missions_agent_finished_idx" in finished and "Sort" not in finished
    counts = "\n".join(r["QUERY PLAN"] for r in db.execute(
        "explain select count(*) filter (where s.status in ('completed', 'skipped')), count(*) "
        "from missions_private.steps s where s.mission_id = '00000000-0000-4000-8000-000000000000'"))
    assert "Index" in counts and "steps_" in counts, counts
    db.execute("reset enable_seqscan")


def test_text_is_trimmed_of_whitespace_only_not_of_the_letter_v(db, principals):
    """clean_text once trimmed E'\\v', which PostgreSQL reads as the letter v: "vendor" lost its v."""
    assert db.execute("select missions_private.clean_text(%s) as t", (" vendor:v \x0b\t",)).fetchone()["t"] == "vendor:v"


def test_blocked_by_is_reported_in_the_mission_document(db, principals):
    agent = principals["agent"]
    mission, (a, b, _) = three_parallel_tasks(db)
    ok(as_agent(db, agent, BLOCK, mission, b, f"task:{a}", "needs a"))
    task = ok(as_agent(db, agent, "select missions.agent_mission(%s) as m", mission))[0]["m"]["tasks"][1]
    assert (task["status"], task["blocked_by"], task["blocked_reason"]) == ("blocked", f"task:{a}", "needs a")
    assert task["blocked_since"] is not None


def test_a_blocked_task_keeps_its_mission_from_completing(db, principals):
    agent = principals["agent"]
    mission, (a, b, c) = three_parallel_tasks(db)
    ok(as_agent(db, agent, BLOCK, mission, c, "outside", None))
    claim_and_complete(db, agent, a)
    claim_and_complete(db, agent, b)
    assert mission_status(db, mission) == "in_progress"
    ok(as_agent(db, agent, UNBLOCK, mission, c))
    claim_and_complete(db, agent, c)
    assert mission_status(db, mission) == "completed"
