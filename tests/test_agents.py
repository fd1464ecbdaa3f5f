"""Agent face: ops missions, approval, fenced claims under real concurrency, quotas, retries."""

from __future__ import annotations

import json
import threading
from collections import Counter

import psycopg
import pytest

from tests.helpers.agents import as_agent, create_mission, mission_status, step_ids
from tests.helpers.principals import make_principal, race


@pytest.fixture
def agents(db):
    return [make_principal(db, "agent", f"agent-{i}") for i in range(16)]


def test_missions_with_only_trusted_kinds_are_auto_approved_with_the_reason_as_an_event(db):
    auto = create_mission(db, [{"title": "health", "kind": "health_check"}, {"title": "logs", "kind": "log_analysis"}])
    manual = create_mission(db, [{"title": "health", "kind": "health_check"}, {"title": "code", "kind": "code_generation"}])
    assert (mission_status(db, auto), mission_status(db, manual)) == ("assigned", "proposed")
    created = {str(r["mission_id"]): r["payload"] for r in db.execute(
        "select mission_id, payload from missions_private.events where type = 'mission.created'")}
    assert created[auto]["approval"] == "auto" and created[manual]["approval"] == "required"
    assert "code_generation" in created[manual]["reason"]


def test_a_person_approves_and_an_agent_cannot(db, principals):
    mission = create_mission(db, [{"title": "code", "kind": "code_generation"}])
    err = as_agent(db, principals["agent"], "select * from missions.approve_agent_mission(%s, %s)",
                   mission, principals["agent"]["id"])
    assert isinstance(err, psycopg.errors.InsufficientPrivilege)
    rows = as_agent(db, principals["admin"], "select status from missions.approve_agent_mission(%s, %s, 'looks safe')",
                    mission, principals["admin"]["id"])
    assert rows[0]["status"] == "assigned"
    event = db.execute("select payload from missions_private.events where mission_id = %s and to_status = 'assigned'",
                       (mission,)).fetchone()
    assert event["payload"]["approved_by"] == principals["admin"]["id"] and event["payload"]["reason"] == "looks safe"


def test_claims_are_refused_for_proposed_missions_unready_steps_and_agents_not_named(db, principals):
    atlas, scout = principals["agent"], make_principal(db, "agent", "Scout")
    proposed = create_mission(db, [{"title": "code", "kind": "code_generation"}])
    err = as_agent(db, atlas, "select * from missions.claim_mission_step(%s, %s)", step_ids(db, proposed)[0], atlas["id"])
    assert err.sqlstate == "MS409" and "approve" in (err.diag.message_hint or "")
    named = create_mission(db, [{"title": "a", "kind": "task"}, {"title": "b", "kind": "task"}], lead_agent_id=atlas["id"])
    first, second = step_ids(db, named)
    assert as_agent(db, scout, "select * from missions.claim_mission_step(%s, %s)", first, scout["id"]).sqlstate == "MS403"
    assert as_agent(db, atlas, "select * from missions.claim_mission_step(%s, %s)", second, atlas["id"]).sqlstate == "MS409"
    assert as_agent(db, atlas, "select * from missions.claim_mission_step(%s, %s)", first, scout["id"]).sqlstate == "MS403"
    unknown = "00000000-0000-4000-8000-000000000000"
    assert as_agent(db, atlas, "select * from missions.claim_mission_step(%s, %s)", unknown, atlas["id"]).sqlstate == "MS404"
    claim = as_agent(db, atlas, "select * from missions.claim_mission_step(%s, %s)", first, atlas["id"])[0]
    assert claim["lease_token"] and claim["attempt"] == 1 and claim["kind"] == "task"
    assert mission_status(db, named) == "in_progress"


def test_16_agents_racing_for_one_step_make_exactly_one_claim(db, connect, agents):
    step = step_ids(db, create_mission(db, [{"title": "only", "kind": "task"}]))[0]
    conns = [connect(autocommit=True) for _ in agents]
    results = race([lambda c=c, a=a: as_agent(c, a, "select * from missions.claim_mission_step(%s, %s)",
                                                       step, a["id"]) for c, a in zip(conns, agents)])
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 15
    assert {e.sqlstate for e in losses} == {"MS409"}
    row = db.execute("select leased_by, attempt from missions_private.steps where id = %s", (step,)).fetchone()
    assert str(row["leased_by"]) == str(wins[0][0]["agent_id"]) and row["attempt"] == 1


def test_16_agents_drain_500_steps_each_completed_exactly_once(db, connect, agents):
    for m in range(10):
        create_mission(db, [{"title": f"s{i}", "kind": "task", "depends_on": []} for i in range(50)],
                       priority=m % 3)
    completed_by: list[str] = []
    lock = threading.Lock()

    def drain(conn, agent):
        while True:
            claim = as_agent(conn, agent, "select * from missions.claim_next_step(%s, array['task'])", agent["id"])
            if isinstance(claim, Exception):
                raise claim
            if not claim:
                return
            c = claim[0]
            done = as_agent(conn, agent, "select status from missions.complete_step(%s, %s, %s, %s::jsonb)",
                            c["step_id"], agent["id"], c["lease_token"], json.dumps({"by": agent["id"]}))
            if isinstance(done, Exception):
                raise done
            with lock:
                completed_by.append(str(c["step_id"]))

    race([lambda c=connect(autocommit=True), a=a: drain(c, a) for a in agents])
    assert len(completed_by) == 500 and len(set(completed_by)) == 500
    counts = db.execute("select count(*) filter (where status = 'completed') as done, count(*) as total "
                        "from missions_private.steps").fetchone()
    assert counts == {"done": 500, "total": 500}
    results = db.execute("select count(*) as n, count(distinct step_id) as steps from missions_private.step_results "
                         "where outcome = 'completed'").fetchone()
    assert results == {"n": 500, "steps": 500}
    assert Counter(r["status"] for r in db.execute("select status from missions_private.missions")) == {"completed": 10}


def test_quota_5_with_16_concurrent_claimers_gives_exactly_5_claims(db, connect, agents):
    db.execute("select missions.upsert_step_kind('scrape', '{\"trusted\": true, \"daily_quota\": 5}')")
    create_mission(db, [{"title": f"s{i}", "kind": "scrape", "depends_on": []} for i in range(20)])
    assert db.execute("select missions.check_quota('scrape') as q").fetchone()["q"] == 5
    conns = [connect(autocommit=True) for _ in agents]
    results = race([lambda c=c, a=a: as_agent(c, a, "select * from missions.claim_next_step(%s, array['scrape'])",
                                                       a["id"]) for c, a in zip(conns, agents)])
    claims = [r[0] for r in results if not isinstance(r, Exception) and r]
    assert len(claims) == 5 and not [r for r in results if isinstance(r, Exception)]
    assert db.execute("select missions.check_quota('scrape') as q").fetchone()["q"] == 0
    assert db.execute("select count(*) as n from missions_private.steps where status = 'in_progress'").fetchone()["n"] == 5


def test_claim_by_id_beyond_the_quota_is_429_and_changes_nothing(db, principals):
    db.execute("select missions.upsert_step_kind('scrape', '{\"trusted\": true, \"daily_quota\": 1}')")
    first, second = step_ids(db, create_mission(db, [{"title": "a", "kind": "scrape", "depends_on": []},
                                                     {"title": "b", "kind": "scrape", "depends_on": []}]))
    agent = principals["agent"]
    assert as_agent(db, agent, "select * from missions.claim_mission_step(%s, %s)", first, agent["id"])
    err = as_agent(db, agent, "select * from missions.claim_mission_step(%s, %s)", second, agent["id"])
    assert err.sqlstate == "MS429"
    assert db.execute("select status from missions_private.steps where id = %s", (second,)).fetchone()["status"] == "ready"
    db.execute("set missions.now = '2099-01-02 00:00:00+00'")  # a new UTC day: the quota is back
    assert db.execute("select missions.check_quota('scrape') as q").fetchone()["q"] == 1


def test_an_expired_lease_is_taken_over_without_a_sweeper_and_the_old_holder_is_fenced(db, principals):
    db.execute("select missions.upsert_step_kind('slow', '{\"trusted\": true, \"claim_ttl_seconds\": 60}')")
    step = step_ids(db, create_mission(db, [{"title": "s", "kind": "slow"}]))[0]
    atlas, scout = principals["agent"], make_principal(db, "agent", "Scout")
    db.execute("set missions.now = '2030-01-01 10:00:00+00'")
    old = as_agent(db, atlas, "select * from missions.claim_mission_step(%s, %s)", step, atlas["id"])[0]
    assert as_agent(db, scout, "select * from missions.claim_mission_step(%s, %s)", step, scout["id"]).sqlstate == "MS409"
    db.execute("set missions.now = '2030-01-01 10:00:59+00'")
    beat = as_agent(db, atlas, "select * from missions.heartbeat_step(%s, %s, %s)", step, atlas["id"], old["lease_token"])
    assert str(beat[0]["expires_at"]) .startswith("2030-01-01 10:01:59")
    db.execute("set missions.now = '2030-01-01 10:02:00+00'")
    new = as_agent(db, scout, "select * from missions.claim_mission_step(%s, %s)", step, scout["id"])[0]
    assert new["attempt"] == 2 and new["lease_token"] != old["lease_token"]
    for call in ("select * from missions.complete_step(%s, %s, %s)", "select * from missions.heartbeat_step(%s, %s, %s)",
                 "select * from missions.release_step(%s, %s, %s)"):
        assert as_agent(db, atlas, call, step, atlas["id"], old["lease_token"]).sqlstate == "MS412", call
    assert as_agent(db, atlas, "select * from missions.fail_step(%s, %s, %s, 'x')", step, atlas["id"],
                    old["lease_token"]).sqlstate == "MS412"
    done = as_agent(db, scout, "select * from missions.complete_step(%s, %s, %s, '{\"ok\": 1}')", step, scout["id"],
                    new["lease_token"])
    assert done[0]["status"] == "completed"
    assert db.execute("select result from missions_private.step_results where step_id = %s", (step,)).fetchone()["result"] == {"ok": 1}


def test_claim_next_takes_over_expired_leases_too(db, principals):
    step = step_ids(db, create_mission(db, [{"title": "s", "kind": "task"}]))[0]
    atlas, scout = principals["agent"], make_principal(db, "agent", "Scout")
    db.execute("set missions.now = '2030-01-01 10:00:00+00'")
    as_agent(db, atlas, "select * from missions.claim_next_step(%s)", atlas["id"])
    assert as_agent(db, scout, "select * from missions.claim_next_step(%s)", scout["id"]) == []
    db.execute("set missions.now = '2030-01-01 10:11:00+00'")  # the default TTL is 10 minutes
    taken = as_agent(db, scout, "select * from missions.claim_next_step(%s)", scout["id"])
    assert [str(t["step_id"]) for t in taken] == [step]


def test_dependencies_and_completion(db, principals):
    agent = principals["agent"]
    mission = create_mission(db, [{"title": "a", "kind": "task"}, {"title": "b", "kind": "task"},
                                  {"title": "c", "kind": "task", "depends_on": [1]}])
    a, b, c = step_ids(db, mission)
    statuses = lambda: [r["status"] for r in db.execute(  # noqa: E731
        "select status from missions_private.steps where mission_id = %s order by position", (mission,))]
    assert statuses() == ["ready", "pending", "pending"]
    claim = as_agent(db, agent, "select * from missions.claim_mission_step(%s, %s)", a, agent["id"])[0]
    as_agent(db, agent, "select * from missions.complete_step(%s, %s, %s)", a, agent["id"], claim["lease_token"])
    assert statuses() == ["completed", "ready", "ready"]
    for step in (b, c):
        claim = as_agent(db, agent, "select * from missions.claim_mission_step(%s, %s)", step, agent["id"])[0]
        as_agent(db, agent, "select * from missions.complete_step(%s, %s, %s)", step, agent["id"], claim["lease_token"])
    assert mission_status(db, mission) == "completed"


def test_bad_missions_are_422(db):
    for steps, spec in [([{"title": "x", "kind": "teleport"}], {}), ([{"kind": "task"}], {}),
                        ([{"title": "x", "depends_on": [2]}], {}), ([], {"priority": 11}), ([], {"priority": "asap"}),
                        ([], {"colour": "red"}), ([], {"type": "weird"})]:
        with pytest.raises(psycopg.Error) as info:
            create_mission(db, steps, **spec)
        assert info.value.sqlstate in ("MS422",), (steps, spec)
    assert db.execute("select count(*) as n from missions_private.missions").fetchone()["n"] == 0


def test_failures_retry_with_backoff_then_fail_the_mission(db, principals):
    db.execute("select missions.upsert_step_kind('flaky', '{\"trusted\": true, \"max_attempts\": 2, \"backoff_seconds\": 30}')")
    mission = create_mission(db, [{"title": "s", "kind": "flaky"}])
    step = step_ids(db, mission)[0]
    agent = principals["agent"]
    db.execute("set missions.now = '2030-01-01 10:00:00+00'")
    claim = as_agent(db, agent, "select * from missions.claim_mission_step(%s, %s)", step, agent["id"])[0]
    retry = as_agent(db, agent, "select * from missions.fail_step(%s, %s, %s, 'timeout')", step, agent["id"],
                     claim["lease_token"])[0]
    assert retry["status"] == "ready" and str(retry["not_before"]).startswith("2030-01-01 10:00:30")
    assert as_agent(db, agent, "select * from missions.claim_mission_step(%s, %s)", step, agent["id"]).sqlstate == "MS409"
    db.execute("set missions.now = '2030-01-01 10:00:31+00'")
    claim = as_agent(db, agent, "select * from missions.claim_mission_step(%s, %s)", step, agent["id"])[0]
    assert claim["attempt"] == 2
    final = as_agent(db, agent, "select * from missions.fail_step(%s, %s, %s, 'timeout again')", step, agent["id"],
                     claim["lease_token"])[0]
    assert final["status"] == "failed" and mission_status(db, mission) == "failed"
    errors = [r["error"] for r in db.execute(
        "select error from missions_private.step_results where step_id = %s order by attempt", (step,))]
    assert errors == ["timeout", "timeout again"]


def test_an_optional_step_that_fails_is_skipped_and_the_mission_completes(db, principals):
    agent = principals["agent"]
    mission = create_mission(db, [{"title": "nice to have", "kind": "task", "optional": True}])
    step = step_ids(db, mission)[0]
    claim = as_agent(db, agent, "select * from missions.claim_mission_step(%s, %s)", step, agent["id"])[0]
    as_agent(db, agent, "select * from missions.fail_step(%s, %s, %s, 'nope', false)", step, agent["id"],
             claim["lease_token"])
    assert mission_status(db, mission) == "completed"


def test_release_does_not_use_up_an_attempt(db, principals):
    agent = principals["agent"]
    step = step_ids(db, create_mission(db, [{"title": "s", "kind": "task"}]))[0]
    claim = as_agent(db, agent, "select * from missions.claim_mission_step(%s, %s)", step, agent["id"])[0]
    released = as_agent(db, agent, "select * from missions.release_step(%s, %s, %s)", step, agent["id"],
                        claim["lease_token"])[0]
    assert released["status"] == "ready" and released["attempt"] == 0


def test_claim_next_prefers_priority_then_interleaves_missions(db, principals):
    agent = principals["agent"]
    db.execute("set missions.now = '2030-01-01 10:00:00+00'")
    low = create_mission(db, [{"title": "low", "kind": "task"}], priority="low")
    db.execute("set missions.now = '2030-01-01 10:00:01+00'")
    urgent = create_mission(db, [{"title": "urgent", "kind": "task"}], priority="urgent")
    first = as_agent(db, agent, "select * from missions.claim_next_step(%s)", agent["id"])[0]
    second = as_agent(db, agent, "select * from missions.claim_next_step(%s)", agent["id"])[0]
    assert (str(first["mission_id"]), str(second["mission_id"])) == (urgent, low)
    assert as_agent(db, agent, "select * from missions.claim_next_step(%s)", agent["id"]) == []


def test_claim_next_walks_past_a_long_unclaimable_head_of_the_queue(db, principals):
    """The queue is walked in index order a batch at a time; 40 urgent steps the agent may not take
    (a proposed mission, a mission naming another agent) sit before the one it may."""
    atlas, scout = principals["agent"], make_principal(db, "agent", "Scout")
    db.execute("set missions.now = '2030-01-01 10:00:00+00'")
    create_mission(db, [{"title": f"code {i}", "kind": "code_generation", "depends_on": []} for i in range(20)],
                   priority="urgent")
    create_mission(db, [{"title": f"scout {i}", "kind": "task", "depends_on": []} for i in range(20)],
                   priority="urgent", lead_agent_id=scout["id"])
    db.execute("set missions.now = '2030-01-01 10:00:01+00'")
    mine = create_mission(db, [{"title": "mine", "kind": "task"}], priority="low")
    ready = db.execute("select count(*) as n from missions_private.steps where status = 'ready' and agent_queue").fetchone()
    assert ready["n"] == 41
    claim = as_agent(db, atlas, "select * from missions.claim_next_step(%s)", atlas["id"])[0]
    assert str(claim["mission_id"]) == mine
    assert as_agent(db, atlas, "select * from missions.claim_next_step(%s)", atlas["id"]) == []


def test_only_steps_agents_claim_are_in_the_claim_queue(db, principals):
    mission = create_mission(db, [{"title": "a", "kind": "task"}])
    db.execute("""insert into missions_private.missions (id, face, title, status)
                  values ('00000000-0000-4000-8000-0000000000a1', 'learning', 'learn', 'assigned')""")
    db.execute("""insert into missions_private.steps (mission_id, position, title, kind, status, ready_at)
                  values ('00000000-0000-4000-8000-0000000000a1', 1, 'subtask', 'subtask', 'ready', now()),
                         ('00000000-0000-4000-8000-0000000000a1', 2, 'AI review', 'ai_review', 'ready', now()),
                         ('00000000-0000-4000-8000-0000000000a1', 3, 'Mentor review', 'mentor_review', 'ready', now())""")
    queued = {r["title"]: r["agent_queue"] for r in db.execute("select title, agent_queue from missions_private.steps")}
    assert queued == {"a": True, "subtask": False, "AI review": True, "Mentor review": False}
    plan = "\n".join(r["QUERY PLAN"] for r in db.execute("""
        explain select c.id from unnest(array['task', 'ai_review']) w(kind) cross join lateral (
          select s.id, s.priority, s.ready_at from missions_private.steps s
          where s.kind = w.kind and s.status = 'ready' and s.agent_queue and (s.not_before is null or s.not_before <= now())
          order by s.priority desc, s.ready_at, s.id limit 32) c
        order by c.priority desc, c.ready_at, c.id limit 32"""))
    # each kind's run is read in index order (no sort under the LIMIT); only the merged few rows are sorted
    assert "Index Scan using steps_ready_queue" in plan and plan.count("Sort Key") == 1
    assert mission


def test_a_bulk_status_change_logs_and_publishes_one_event_per_row(db):
    """The state-machine trigger checks and logs a 3 000-row UPDATE in one pass (it used to be quadratic)."""
    db.execute("""insert into missions_private.missions (face, title, status)
                  select 'agent', 'bulk ' || i, 'assigned' from generate_series(1, 3000) i""")
    sent = db.execute("select count(*) as n from pgmq.q_mission_events").fetchone()["n"]
    db.execute("update missions_private.missions set status = 'cancelled' where title like 'bulk %'")
    events = db.execute("""select count(*) as n from missions_private.events
                           where type = 'mission.status_changed' and to_status = 'cancelled'""").fetchone()["n"]
    published = db.execute("select count(*) as n from pgmq.q_mission_events").fetchone()["n"] - sent
    assert (events, published) == (3000, 3000)
    with pytest.raises(psycopg.Error) as refused:
        db.execute("update missions_private.missions set status = 'assigned' where title like 'bulk %'")
    assert refused.value.sqlstate == "MS409"


def index_tuples_read(db, index: str) -> int:
    db.execute("select pg_stat_force_next_flush()")
    return db.execute("select idx_tup_read as n from pg_stat_user_indexes where indexrelname = %s",
                      (index,)).fetchone()["n"]


def claim_reads(db, agent, kinds) -> tuple[dict, int]:
    """One claim_next_step and how many entries of the ready queue's index it read."""
    before = index_tuples_read(db, "steps_ready_queue")
    claim = as_agent(db, agent, "select * from missions.claim_next_step(%s, %s)", agent["id"], kinds)
    return claim[0], index_tuples_read(db, "steps_ready_queue") - before


def test_a_claim_reads_the_same_few_index_entries_whatever_waits_ahead_of_its_kind(db, agents):
    """Claim cost does not depend on the queue's shape: 2,000 urgent ready steps of another kind ahead, or of a
    kind whose daily quota is spent, and a mission of 2,000 steps, change how much a claim reads by nothing."""
    agent = agents[0]
    db.execute("select missions.upsert_step_kind('backlog', '{\"trusted\": true}'::jsonb)")
    db.execute("select missions.upsert_step_kind('spent', '{\"trusted\": true, \"daily_quota\": 1}'::jsonb)")
    mine = create_mission(db, [{"title": "mine", "kind": "task"}], priority="low")
    _, alone = claim_reads(db, agent, None)
    db.execute("update missions_private.steps set status = 'ready', leased_by = null, lease_token = null, "
               "lease_expires_at = null where mission_id = %s", (mine,))
    for kind in ("backlog", "spent"):
        create_mission(db, [{"title": f"{kind} {i}", "kind": kind, "depends_on": []} for i in range(2000)],
                       priority="urgent")
    db.execute("insert into missions_private.quota_usage (kind, day, used) "
               "values ('spent', (missions.now() at time zone 'UTC')::date, 1)")
    claim, asking_for_task = claim_reads(db, agent, ["task"])
    assert str(claim["mission_id"]) == mine and asking_for_task <= alone + 2
    db.execute("select missions.release_step(%s, %s, %s)", (claim["step_id"], agent["id"], claim["lease_token"]))
    claim, any_kind = claim_reads(db, agent, None)  # 'backlog' comes first; 'spent' is not even read
    assert claim["kind"] == "backlog" and any_kind <= 2 * 32 + 2
