"""Agent missions and due_at (README: Cron jobs, Agents): when due_at passes, expire_missions expires every agent
mission that is not finished (proposed, assigned, in progress, waiting, paused); its pending input requests are
cancelled, its unfinished steps fail (a held lease ends, so its agent is fenced off; a wait stops, so a later event
on its key does not match it). A mission without due_at never expires. The job locks steps, then missions, without
waiting: a mission busy in another transaction is left for the next run."""

from __future__ import annotations

import json

from tests.helpers.agents import create_mission, mission_status, step_ids
from tests.helpers.calls import call, sqlstate

T0 = "2026-04-01 09:00+00"
DUE = "2026-04-01 10:00+00"
LATER = "2026-04-01 11:00+00"
CLAIM = "select row_to_json(c) from missions.claim_mission_step(%s, %s) c"


def at(db, ts: str) -> None:
    db.execute("select set_config('missions.now', %s, false)", (ts,))


def expire(db) -> int:
    return db.execute("select missions.expire_missions() as n").fetchone()["n"]


def steps(db, mission_id) -> list[dict]:
    return db.execute("select id, status, lease_token, leased_by, wait_key from missions_private.steps "
                      "where mission_id = %s order by position", (mission_id,)).fetchall()


def test_a_passed_due_at_expires_every_unfinished_agent_mission_and_closes_its_work(db, principals):
    agent, user, admin = principals["agent"], principals["participant"], principals["admin"]
    at(db, T0)
    running = create_mission(db, [{"title": "a", "kind": "task"}, {"title": "b", "kind": "task"}], due_at=DUE)
    claim = call(db, agent, CLAIM, step_ids(db, running)[0], agent["id"])
    asking = create_mission(db, [{"title": "ask"}], type="persistent", owner_id=user["id"], due_at=DUE)
    request = call(db, agent, "select to_jsonb(r) from missions.request_human_input(%s, %s, 'Which one?') r",
                   asking, step_ids(db, asking)[0])
    external = create_mission(db, [{"title": "reply", "kind": "task"}], due_at=DUE)
    call(db, agent, "select missions.wait_for_external_event(%s, %s, 'email_reply:expiry-1')",
         external, step_ids(db, external)[0])
    proposed = create_mission(db, [{"title": "code", "kind": "code_generation"}], due_at=DUE)
    paused = create_mission(db, [{"title": "p", "kind": "task"}], due_at=DUE)
    call(db, admin, "select missions.update_agent_mission(%s, '{\"status\": \"paused\"}')", paused)
    # untouched: no due_at (waiting on a person), due later, finished before its due_at
    no_due = create_mission(db, [{"title": "ask"}], type="persistent", owner_id=user["id"])
    open_request = call(db, agent, "select to_jsonb(r) from missions.request_human_input(%s, %s, 'Still there?') r",
                        no_due, step_ids(db, no_due)[0])
    later = create_mission(db, [{"title": "l", "kind": "task"}], due_at="2026-04-02 10:00+00")
    done = create_mission(db, [{"title": "d", "kind": "task"}], due_at=DUE)
    done_claim = call(db, agent, CLAIM, step_ids(db, done)[0], agent["id"])
    call(db, agent, "select missions.complete_step(%s, %s, %s)", done_claim["step_id"], agent["id"],
         done_claim["lease_token"])
    expiring = {"running": running, "asking": asking, "external": external, "proposed": proposed, "paused": paused}
    assert {k: mission_status(db, m) for k, m in expiring.items()} == {
        "running": "in_progress", "asking": "waiting", "external": "waiting", "proposed": "proposed",
        "paused": "paused"}

    at(db, "2026-04-01 09:59+00")
    assert expire(db) == 0  # not yet due
    at(db, LATER)
    assert expire(db) == 5
    assert {k: mission_status(db, m) for k, m in expiring.items()} == dict.fromkeys(expiring, "expired")
    assert (mission_status(db, no_due), mission_status(db, later), mission_status(db, done)) == (
        "waiting", "assigned", "completed")

    # the held lease ended: its attempt has a failed result, and the agent is fenced off
    a, b = steps(db, running)
    assert (a["status"], a["lease_token"], b["status"]) == ("failed", None, "failed")
    result = db.execute("select agent_id, outcome, error from missions_private.step_results where step_id = %s",
                        (a["id"],)).fetchone()
    assert (str(result["agent_id"]), result["outcome"]) == (agent["id"], "failed") and "expired" in result["error"]
    for sql in ("select missions.heartbeat_step(%s, %s, %s)", "select missions.complete_step(%s, %s, %s)"):
        assert sqlstate(db, agent, sql, claim["step_id"], agent["id"], claim["lease_token"]) == "MS412"
    # the question is withdrawn; the one of the mission without due_at stays open
    statuses = {str(r["id"]): r["status"] for r in db.execute("select id, status from missions_private.input_requests")}
    assert statuses == {request["id"]: "cancelled", open_request["id"]: "pending"}
    withdrawn = db.execute("select cancel_reason, cancelled_at, cancelled_by from missions_private.input_requests "
                           "where id = %s", (request["id"],)).fetchone()
    assert withdrawn["cancel_reason"] == "mission expired: its due_at passed" and withdrawn["cancelled_at"] is not None
    assert withdrawn["cancelled_by"] is None   # the job, not a person
    assert sqlstate(db, user, "select missions.respond_to_input_request(%s, %s, '{\"text\": \"this\"}')",
                    request["id"], user["id"]) == "MS409"
    assert [s["status"] for s in steps(db, asking)] == ["failed"]
    # the wait stopped: an event on its key unblocks nothing and is kept for a later wait
    assert [s["status"] for s in steps(db, external)] == ["failed"]
    assert db.execute("select missions.deliver_external_event('email_reply:expiry-1') as n").fetchone()["n"] == 0
    assert db.execute("select consumed_at from missions_private.external_events "
                      "where key = 'email_reply:expiry-1'").fetchone()["consumed_at"] is None
    # nothing of an expired mission is left to claim
    assert call(db, agent, "select row_to_json(c) from missions.claim_next_step(%s) c", agent["id"])["mission_id"] \
        == later
    left = db.execute("select m.status from missions_private.steps s join missions_private.missions m "
                      "on m.id = s.mission_id where s.status = 'ready' or s.status like 'waiting%%'").fetchall()
    assert {r["status"] for r in left} <= {"assigned", "in_progress", "waiting"}

    # the usual events, with why
    events = db.execute("""select mission_id, from_status, payload from missions_private.events
                           where type = 'mission.status_changed' and to_status = 'expired'""").fetchall()
    assert {str(e["mission_id"]): e["from_status"] for e in events} == {
        running: "in_progress", asking: "waiting", external: "waiting", proposed: "proposed", paused: "paused"}
    assert {e["payload"].get("reason") for e in events} == {"due_at passed"}
    step_events = db.execute("""select count(*) as n, min(payload->>'reason') as reason from missions_private.events
                                where type = 'step.status_changed' and to_status = 'failed'
                                  and mission_id = any(%s::uuid[])""", (list(expiring.values()),)).fetchone()
    assert (step_events["n"], step_events["reason"]) == (6, "mission expired")

    assert expire(db) == 0  # a second run changes nothing
    violations = {r["invariant"]: r["violations"] for r in db.execute("select * from missions.check_invariants()")}
    assert set(violations.values()) == {0}


def test_a_mission_without_due_at_never_expires(db, principals):
    user = principals["participant"]
    at(db, T0)
    forever = create_mission(db, [{"title": "t"}], type="persistent", owner_id=user["id"])
    at(db, "2036-04-01 09:00+00")
    assert expire(db) == 0
    assert mission_status(db, forever) == "assigned"


def test_the_job_skips_a_mission_busy_in_another_transaction_without_waiting_and_expires_it_next_run(
        db, connect, principals):
    """Steps, then missions, with SKIP LOCKED: a mission whose step (an agent mid-call) or row (a person updating
    it) another transaction holds is left for the next run, and the job never waits for it (lock_timeout)."""
    agent = principals["agent"]
    at(db, T0)
    step_busy = create_mission(db, [{"title": "s", "kind": "task"}], due_at=DUE)
    call(db, agent, CLAIM, step_ids(db, step_busy)[0], agent["id"])
    row_busy = create_mission(db, [{"title": "r", "kind": "task"}], due_at=DUE)
    free = create_mission(db, [{"title": "f", "kind": "task"}], due_at=DUE)
    other = connect()
    other.execute("select 1 from missions_private.steps where mission_id = %s for update", (step_busy,))
    other.execute("select 1 from missions_private.missions where id = %s for update", (row_busy,))
    at(db, LATER)
    db.execute("set lock_timeout = '3s'")
    assert expire(db) == 1
    assert [mission_status(db, m) for m in (step_busy, row_busy, free)] == ["in_progress", "assigned", "expired"]
    other.commit()
    assert expire(db) == 2
    assert [mission_status(db, m) for m in (step_busy, row_busy)] == ["expired", "expired"]
    assert [s["status"] for s in steps(db, step_busy)] == ["failed"]


def test_expiry_uses_the_expiry_index(db):
    """Both statements of the job find their due missions through missions_expiry_idx (its predicate covers
    every status the agent rule expires), among many running missions without a deadline."""
    db.execute("""insert into missions_private.missions (face, title, status)
                  select f, 'm' || i, 'assigned' from generate_series(1, 2000) i,
                  unnest(array['agent', 'engagement']) f""")
    db.execute("analyze missions_private.missions")
    db.execute("set enable_seqscan = off")
    try:
        plan = "\n".join(r["QUERY PLAN"] for r in db.execute(
            "explain select m.id from missions_private.missions m "
            "where m.status in ('proposed', 'assigned', 'in_progress', 'waiting', 'paused') "
            "and m.expires_at <= now() and m.face = 'agent'"))
        assert "missions_expiry_idx" in plan
        plan = "\n".join(r["QUERY PLAN"] for r in db.execute(
            "explain update missions_private.missions m set status = 'expired' "
            "where m.status in ('assigned', 'in_progress') and m.expires_at <= now() and m.face <> 'agent'"))
        assert "missions_expiry_idx" in plan
    finally:
        db.execute("reset enable_seqscan")


def test_an_agent_mission_due_at_is_shown_and_can_be_moved_before_it_passes(db, principals):
    """update_agent_mission's due_at is the deadline the job reads: moved later, the mission survives."""
    admin = principals["admin"]
    at(db, T0)
    mission = create_mission(db, [{"title": "t", "kind": "task"}], due_at=DUE)
    call(db, admin, "select missions.update_agent_mission(%s, %s::jsonb)", mission,
         json.dumps({"due_at": "2026-04-01 12:00+00"}))
    at(db, LATER)
    assert expire(db) == 0 and mission_status(db, mission) == "assigned"
    assert call(db, admin, "select missions.agent_mission(%s)", mission)["due_at"].startswith("2026-04-01T12:00:00")
