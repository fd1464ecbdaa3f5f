"""Model-based tests: random sequences of SQL API calls (missions, reviews, check-ins, decay, agent
claims and leases, the clock), each compared with the pure-Python model in tests/helpers/mission_model.py.

Every rule calls the real function as the principal who would (or as the owner session for job
bodies), asks the model for the outcome (a value or the exact SQLSTATE) and requires the two to be
equal; the invariants compare the model's state with the tables after every step and run
missions.check_invariants(). `make test` runs a few hundred steps, `make chaos` thousands.

Hypothesis runs many examples inside one test, on one database: each example retires the previous
examples' participants and open work (far in the future), then starts from a fixed clock with fresh
principals, templates and its own step kind (claims look only at that kind).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.helpers.mission_model import (
    EngineModel,
    Outcome,
    Step,
    StepKind,
    Template,
    ok,
)
from tests.helpers.principals import act_as, make_principal
from tests.helpers.reliability import record

# A Friday afternoon in UTC; New York's change to summer time (Sunday 2030-03-10) is a few steps away.
START = datetime(2030, 3, 8, 15, 0, tzinfo=UTC)
FAR_FUTURE = "2200-01-01 00:00:00+00"
ZONES = ("America/New_York", "Asia/Kolkata")
# difficulty, domain, momentum, skill_xp, arena_points, repeat policy (README: engagement rules)
TEMPLATES = (("EASY", "TECHNICAL", 10, 5, 0, {"repeat": "unlimited", "daily_cap": 2}),
             ("MEDIUM", "SOFT", 20, 10, 3, {"repeat": "once"}),
             ("HARD", "TECHNICAL", 40, 20, 7, {"repeat": "cooldown", "cooldown_seconds": 86400}))
CLOCK_STEPS_MINUTES = (1, 3, 10, 25, 45, 240, 600, 1440, 1500, 2 * 1440 + 90)
LEASE_TTL = timedelta(minutes=20)
MAX_ATTEMPTS = 2
BACKOFF = timedelta(minutes=2)
MAX_AGENT_MISSIONS = 6
INDEX = st.integers(min_value=0, max_value=63)
AIM = st.integers(min_value=0, max_value=3)  # 0: pick among all rows (error paths), else among the rows that fit

QUIET: dict[str, Any] = {"deadline": None, "database": None, "print_blob": False,
                         "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}
FAST = settings(max_examples=20, stateful_step_count=30, **QUIET)  # make test: a few hundred steps
CHAOS = settings(max_examples=200, stateful_step_count=80, **QUIET)  # make chaos: thousands


# What a run did, for docs/reliability.md (make chaos): examples started and SQL API calls compared.
COUNTS = {"examples": 0, "sql_api_calls": 0}


def call(db: psycopg.Connection, actor: dict | None, sql: str, params: tuple = ()) -> Outcome:
    """One SQL API call in its own transaction, as `actor` (None: the owner session); rows or the SQLSTATE."""
    COUNTS["sql_api_calls"] += 1
    try:
        with db.transaction():
            if actor is not None:
                act_as(db, actor)
            return ok(db.execute(sql, params).fetchall())
    except psycopg.Error as exc:
        if exc.sqlstate is None:  # not an answer of the engine (connection lost, client error)
            raise
        return Outcome(exc.sqlstate, f"{exc.sqlstate}: {exc.diag.message_primary}")


def agree(what: str, got: Outcome, expected: Outcome, project: Callable[[list[dict]], Any]) -> Any:
    """Asserts the engine's outcome is the model's: the same SQLSTATE, or success with the same value."""
    if expected.error is not None:
        assert got.error == expected.error, f"{what}: the model expects {expected.error}, the engine gave {got}"
        return None
    assert got.error is None, f"{what}: the model expects {expected.value!r}, the engine raised {got.value}"
    value = project(got.value)
    assert value == expected.value, f"{what}: engine {value!r} != model {expected.value!r}"
    return value


def first(column: str) -> Callable[[list[dict]], Any]:
    """Projection: one column of the single row."""
    return lambda rows: rows[0][column]


def isolate_from_earlier_examples(db: psycopg.Connection) -> None:
    """Expire earlier examples' open missions and leases (far in the future) and retire their participants,
    so that the jobs' counts and the claim queue hold only this example's rows; then start the clock."""
    db.execute("set timezone = 'UTC'")  # deadlines are whole days of 24 hours
    db.execute("select set_config('missions.now', %s, false)", (FAR_FUTURE,))
    db.execute("select missions.expire_missions(), missions.expire_claims()")
    db.execute("update missions_private.principals set active = false where role = 'participant' and active")
    db.execute("select set_config('missions.now', %s, false)", (START.isoformat(),))


class EngineMachine(RuleBasedStateMachine):
    """Random calls on one small world: two participants (two time zones), an admin, two agents."""

    def __init__(self, db: psycopg.Connection) -> None:
        super().__init__()
        self.db = db
        self.mission_ids: list[str] = []

    # ---- setup ---------------------------------------------------------------------------------

    @initialize()
    def a_fresh_world(self) -> None:
        """Fresh principals, three templates (EASY/MEDIUM/HARD) and a trusted step kind of this example."""
        isolate_from_earlier_examples(self.db)
        COUNTS["examples"] += 1
        kind = StepKind(f"mb_{uuid.uuid4().hex[:10]}", LEASE_TTL, MAX_ATTEMPTS, BACKOFF)
        self.db.execute("select missions.upsert_step_kind(%s, %s::jsonb)", (kind.name, json.dumps({
            "trusted": True, "claim_ttl_seconds": int(LEASE_TTL.total_seconds()), "max_attempts": MAX_ATTEMPTS,
            "backoff_seconds": int(BACKOFF.total_seconds())})))
        self.model = EngineModel(START, kind)
        self.people = [make_principal(self.db, "participant", timezone=tz) for tz in ZONES]
        self.admin = make_principal(self.db, "admin")
        self.agents = [make_principal(self.db, "agent") for _ in range(2)]
        for principal, tz in [(p, z) for p, z in zip(self.people, ZONES)] + [(self.admin, "UTC")] + \
                [(a, "UTC") for a in self.agents]:
            self.model.add_principal(principal["id"], principal["role"], tz)
        self.template_ids = [self._template(*spec) for spec in TEMPLATES]

    def _template(self, difficulty: str, domain: str, momentum: int, skill_xp: int, arena: int,
                  policy: dict) -> str:
        spec = {"title": f"{difficulty} {uuid.uuid4().hex[:6]}", "difficulty": difficulty, "skill_domain": domain,
                "momentum": momentum, "skill_xp": skill_xp, "arena_points": arena, **policy}
        tid = str(self.db.execute("select missions.create_template(%s::jsonb) as id",
                                  (json.dumps(spec),)).fetchone()["id"])
        cooldown = timedelta(seconds=policy["cooldown_seconds"]) if "cooldown_seconds" in policy else None
        self.model.add_template(Template(tid, difficulty, domain, momentum, skill_xp, arena, policy["repeat"],
                                         cooldown, policy.get("daily_cap")))
        return tid

    # ---- helpers -------------------------------------------------------------------------------

    def _actor(self, who: str, participant_id: str) -> dict:
        """The principal acting: the participant itself, the other participant, or the admin."""
        if who == "admin":
            return self.admin
        me = next(p for p in self.people if p["id"] == participant_id)
        return me if who == "self" else next(p for p in self.people if p is not me)

    def _mission(self, i: int, aim: int, statuses: tuple[str, ...]) -> str:
        """A mission: mostly (aim > 0) one the model has in one of `statuses`, else any (error paths)."""
        wanted = [m for m in self.mission_ids if self.model.missions[m].status in statuses]
        pool = wanted if aim and wanted else self.mission_ids
        return pool[i % len(pool)]

    def _set_clock(self, delta: timedelta) -> None:
        now = self.model.advance(delta)
        self.db.execute("select set_config('missions.now', %s, false)", (now.isoformat(),))

    def _steps(self) -> list[Step]:
        return list(self.model.steps.values())

    def _leased_steps(self) -> list[Step]:
        return [s for s in self.model.steps.values() if s.tokens]

    # ---- engagement missions -------------------------------------------------------------------

    @rule(p=st.integers(0, 1), t=st.integers(0, 2), days=st.integers(1, 7),
          who=st.sampled_from(["self", "self", "admin", "other"]))
    def assign(self, p: int, t: int, days: int, who: str) -> None:
        pid, tid = self.people[p]["id"], self.template_ids[t]
        actor = self._actor(who, pid)
        got = call(self.db, actor, "select * from missions.assign_mission(%s, %s, %s)", (pid, tid, days))
        new_id = str(got.value[0]["id"]) if got.error is None else None
        agree("assign_mission", got, self.model.assign(actor["id"], pid, tid, days, new_id), first("status"))
        if new_id is not None:
            self.mission_ids.append(new_id)

    @precondition(lambda self: self.mission_ids)
    @rule(i=INDEX, aim=AIM, who=st.sampled_from(["self", "self", "admin", "other"]))
    def start(self, i: int, aim: int, who: str) -> None:
        self._start(self._mission(i, aim, ("assigned",)), who)

    def _start(self, mid: str, who: str) -> None:
        actor = self._actor(who, self.model.missions[mid].participant_id)
        got = call(self.db, actor, "select * from missions.start_mission(%s)", (mid,))
        agree("start_mission", got, self.model.start(actor["id"], mid), first("status"))

    @precondition(lambda self: self.mission_ids)
    @rule(i=INDEX, aim=AIM, who=st.sampled_from(["self", "self", "admin", "other"]),
          with_proof=st.sampled_from([True, True, True, False]))
    def submit(self, i: int, aim: int, who: str, with_proof: bool) -> None:
        self._submit(self._mission(i, aim, ("in_progress",)), who, with_proof)

    def _submit(self, mid: str, who: str, with_proof: bool) -> None:
        actor = self._actor(who, self.model.missions[mid].participant_id)
        proof = "https://example.org/proof" if with_proof else None
        got = call(self.db, actor, "select * from missions.submit_mission(%s, %s, %s)", (mid, proof, None))
        agree("submit_mission", got, self.model.submit(actor["id"], mid, with_proof), first("status"))

    @precondition(lambda self: self.mission_ids)
    @rule(i=INDEX, aim=AIM, approve=st.booleans(),
          reviewer=st.sampled_from(["admin", "admin", "admin", "participant as admin", "participant as owner"]))
    def review(self, i: int, aim: int, approve: bool, reviewer: str) -> None:
        """approve_mission / fail_mission by the admin, or naming the participant as reviewer (MS403)."""
        self._review(self._mission(i, aim, ("submitted",)), approve, reviewer)

    def _review(self, mid: str, approve: bool, reviewer: str) -> None:
        actor = None if reviewer == "participant as owner" else self.admin
        reviewer_id = self.admin["id"] if reviewer == "admin" else self.model.missions[mid].participant_id
        sql = ("select * from missions.approve_mission(%s, %s)" if approve
               else "select * from missions.fail_mission(%s, %s, 'not convincing')")
        got = call(self.db, actor, sql, (mid, reviewer_id))
        expected = self.model.review(None if actor is None else actor["id"], reviewer_id, mid, approve)
        agree("approve_mission" if approve else "fail_mission", got, expected, first("status"))

    @rule(p=st.integers(0, 1), t=st.integers(0, 2), approve=st.sampled_from([True, True, False]))
    def mission_lifecycle(self, p: int, t: int, approve: bool) -> None:
        """Assign, start, submit with proof and review at once (each call checked): the whole path to rewards."""
        before = len(self.mission_ids)
        self.assign(p, t, 7, "self")
        mid = self.mission_ids[-1] if len(self.mission_ids) > before else None
        if mid is not None:
            self._start(mid, "self")
            self._submit(mid, "self", True)
            self._review(mid, approve, "admin")

    @rule()
    def expire_missions(self) -> None:
        got = call(self.db, self.admin, "select missions.expire_missions() as n")
        agree("expire_missions", got, self.model.expire_missions(), first("n"))

    # ---- clock, check-ins, decay ---------------------------------------------------------------

    @rule(minutes=st.sampled_from(CLOCK_STEPS_MINUTES))
    def advance_clock(self, minutes: int) -> None:
        self._set_clock(timedelta(minutes=minutes))

    @rule(p=st.integers(0, 1), who=st.sampled_from(["self", "self", "self", "other", "admin"]))
    def check_in(self, p: int, who: str) -> None:
        pid = self.people[p]["id"]
        actor = self._actor(who, pid)
        self._check_in(actor, pid)

    def _check_in(self, actor: dict, pid: str) -> None:
        got = call(self.db, actor, "select * from missions.check_in(%s)", (pid,))
        agree("check_in", got, self.model.check_in(actor["id"], pid),
              lambda rows: (rows[0]["checked_in"], rows[0]["local_day"], rows[0]["current_streak"],
                            rows[0]["longest_streak"], rows[0]["bonus"]))

    @rule()
    def apply_momentum_decay(self) -> None:
        self._decay()

    def _decay(self) -> None:
        got = call(self.db, None, "select missions.apply_momentum_decay() as n")
        agree("apply_momentum_decay", got, self.model.apply_momentum_decay(), first("n"))

    @rule(p=st.integers(0, 1), days=st.integers(1, 9), skip_decay=st.booleans())
    def daily_routine(self, p: int, days: int, skip_decay: bool) -> None:
        """Day after day (24 hours apart): the decay job, then a check-in — long enough for streak bonuses."""
        pid = self.people[p]["id"]
        for _ in range(days):
            self._set_clock(timedelta(days=1))
            if not skip_decay:
                self._decay()
            self._check_in(self.people[p], pid)

    # ---- agent missions ------------------------------------------------------------------------

    @precondition(lambda self: len(self.model.agent_missions) < MAX_AGENT_MISSIONS)
    @rule(data=st.data())
    def create_agent_mission(self, data: st.DataObject) -> None:
        """An ops mission of 1-4 steps of the trusted kind: default or explicit dependencies, optional steps."""
        n = data.draw(st.integers(1, 4), label="steps")
        steps, deps, optional = [], [], []
        for i in range(n):
            explicit = data.draw(st.none() | st.sets(st.integers(0, i - 1), max_size=i) if i else st.none(),
                                 label=f"depends_on {i}")
            optional.append(data.draw(st.booleans(), label=f"optional {i}"))
            spec = {"title": f"step {i + 1}", "kind": self.model.kind.name, "optional": optional[-1]}
            if explicit is not None:
                spec["depends_on"] = [d + 1 for d in sorted(explicit)]
            deps.append(sorted(explicit) if explicit is not None else ([i - 1] if i else []))
            steps.append(spec)
        named = data.draw(st.sampled_from(["none", "first", "second", "both"]), label="agents")
        agents = {"none": [], "first": self.agents[:1], "second": self.agents[1:], "both": self.agents}[named]
        priority = data.draw(st.sampled_from([2, 5, 8]), label="priority")
        spec = {"title": "model-based ops", "priority": priority, "steps": steps}
        if agents:
            spec["lead_agent_id"] = agents[0]["id"]
            spec["supporting_agent_ids"] = [a["id"] for a in agents[1:]]
        got = call(self.db, self.admin, "select missions.create_agent_mission(%s::jsonb) as id", (json.dumps(spec),))
        assert got.error is None, f"create_agent_mission: {got.value}"
        mid = str(got.value[0]["id"])
        step_ids = [str(r["id"]) for r in self.db.execute(
            "select id from missions_private.steps where mission_id = %s order by position", (mid,))]
        status = self.db.execute("select status from missions_private.missions where id = %s", (mid,)).fetchone()
        expected = self.model.create_agent_mission(mid, step_ids, deps, optional,
                                                   frozenset(a["id"] for a in agents), priority)
        assert status["status"] == expected.value

    @staticmethod
    def _claim(rows: list[dict]) -> tuple[str, int, datetime] | None:
        return (str(rows[0]["step_id"]), rows[0]["attempt"], rows[0]["expires_at"]) if rows else None

    @precondition(lambda self: self.model.steps)
    @rule(i=INDEX, aim=AIM, a=st.integers(0, 1))
    def claim_step(self, i: int, aim: int, a: int) -> None:
        """claim_mission_step on a step: mostly a ready one or one whose lease expired, else any."""
        steps = self._steps()
        open_steps = [s for s in steps
                      if s.status == "ready" or (s.status == "in_progress" and not s.live(self.model.now))]
        pool = open_steps if aim and open_steps else steps
        step, agent = pool[i % len(pool)], self.agents[a]
        got = call(self.db, agent, "select * from missions.claim_mission_step(%s, %s)", (step.id, agent["id"]))
        token = str(got.value[0]["lease_token"]) if got.error is None else None
        agree("claim_mission_step", got, self.model.claim_step(agent["id"], step.id, token), self._claim)

    @precondition(lambda self: self.model.steps)
    @rule(a=st.integers(0, 1))
    def claim_next(self, a: int) -> None:
        agent = self.agents[a]
        got = call(self.db, agent, "select * from missions.claim_next_step(%s, %s::text[])",
                   (agent["id"], [self.model.kind.name]))
        token = str(got.value[0]["lease_token"]) if got.error is None and got.value else None
        agree("claim_next_step", got, self.model.claim_next(agent["id"], token), self._claim)

    def _lease_call(self, data: st.DataObject) -> tuple[Step, dict, str] | None:
        """A step that was leased (mostly one with a live lease), one of its tokens (mostly the latest) and its
        holder (or the other agent); None when no step was ever leased. The draws never depend on the state:
        which step a claim took may differ between runs (ties in the queue are broken by random uuids), and
        Hypothesis requires the same draws for the same choices."""
        aim, i, age, j = (data.draw(AIM, label="aim"), data.draw(INDEX, label="step"),
                          data.draw(st.integers(0, 3), label="token age"), data.draw(INDEX, label="old token"))
        wrong_agent = data.draw(st.integers(0, 5), label="wrong agent") == 0
        steps = self._leased_steps()
        if not steps:
            return None
        live = [s for s in steps if s.live(self.model.now)]
        pool = live if live and aim else steps
        step = pool[i % len(pool)]
        holder, token = step.tokens[-1] if age else step.tokens[j % len(step.tokens)]
        agent = next(a for a in self.agents if (a["id"] == holder) != wrong_agent)
        return step, agent, token

    @rule(data=st.data())
    def complete_step(self, data: st.DataObject) -> None:
        if (picked := self._lease_call(data)) is None:
            return
        step, agent, token = picked
        got = call(self.db, agent, "select * from missions.complete_step(%s, %s, %s, %s::jsonb)",
                   (step.id, agent["id"], token, json.dumps({"ok": True})))
        agree("complete_step", got, self.model.complete(agent["id"], step.id, token), first("status"))

    @rule(data=st.data(), retryable=st.booleans())
    def fail_step(self, data: st.DataObject, retryable: bool) -> None:
        if (picked := self._lease_call(data)) is None:
            return
        step, agent, token = picked
        got = call(self.db, agent, "select * from missions.fail_step(%s, %s, %s, 'it broke', %s)",
                   (step.id, agent["id"], token, retryable))
        agree("fail_step", got, self.model.fail_step(agent["id"], step.id, token, retryable), first("status"))

    @rule(data=st.data())
    def release_step(self, data: st.DataObject) -> None:
        if (picked := self._lease_call(data)) is None:
            return
        step, agent, token = picked
        got = call(self.db, agent, "select * from missions.release_step(%s, %s, %s)", (step.id, agent["id"], token))
        agree("release_step", got, self.model.release(agent["id"], step.id, token), first("status"))

    @rule(data=st.data())
    def heartbeat_step(self, data: st.DataObject) -> None:
        if (picked := self._lease_call(data)) is None:
            return
        step, agent, token = picked
        got = call(self.db, agent, "select * from missions.heartbeat_step(%s, %s, %s)", (step.id, agent["id"], token))
        agree("heartbeat_step", got, self.model.heartbeat(agent["id"], step.id, token), first("expires_at"))

    @precondition(lambda self: self.model.steps)
    @rule(i=INDEX, j=INDEX, aim=AIM, a=st.integers(0, 1), by_step=st.booleans())
    def block_task(self, i: int, j: int, aim: int, a: int, by_step: bool) -> None:
        """block_task on a step (mostly an unfinished one), blocked by another step of its mission (mostly an
        unfinished one; sometimes itself or a done one: MS422) or by a reference."""
        steps = self._steps()
        unfinished = [s for s in steps if s.status in ("pending", "ready", "in_progress")]
        pool = unfinished if aim and unfinished else steps
        step, agent = pool[i % len(pool)], self.agents[a]
        siblings = [self.model.steps[s] for s in self.model.agent_missions[step.mission_id].steps]
        open_siblings = [s for s in siblings if s.id != step.id and s.status not in ("completed", "skipped")]
        pick = open_siblings if aim and open_siblings else siblings
        blocker = pick[j % len(pick)].id if by_step else "ref:model"
        reference = f"task:{blocker}" if by_step else blocker
        got = call(self.db, agent, "select * from missions.block_task(%s, %s, %s)", (step.mission_id, step.id, reference))
        agree("block_task", got, self.model.block(agent["id"], step.id, blocker), first("status"))

    @precondition(lambda self: self.model.steps)
    @rule(i=INDEX, aim=AIM, a=st.integers(0, 1))
    def unblock_task(self, i: int, aim: int, a: int) -> None:
        steps = self._steps()
        blocked = [s for s in steps if s.status == "blocked"]
        pool = blocked if aim and blocked else steps
        step, agent = pool[i % len(pool)], self.agents[a]
        got = call(self.db, agent, "select * from missions.unblock_task(%s, %s)", (step.mission_id, step.id))
        agree("unblock_task", got, self.model.unblock(agent["id"], step.id), first("status"))

    @precondition(lambda self: self.model.agent_missions)
    @rule(data=st.data())
    def replan_mission(self, data: st.DataObject) -> None:
        """replan_mission as the admin or an agent: 1-3 new steps of the trusted kind (default or explicit
        dependencies within the new plan)."""
        ids = list(self.model.agent_missions)
        live = [m for m in ids if self.model.agent_missions[m].status in ("assigned", "in_progress")]
        pool = live if data.draw(AIM, label="aim") and live else ids
        mid = pool[data.draw(INDEX, label="mission") % len(pool)]
        who = data.draw(st.sampled_from(["admin", "agent 0", "agent 1"]), label="caller")
        actor = self.admin if who == "admin" else self.agents[int(who[-1])]
        n = data.draw(st.integers(1, 3), label="new steps")
        tasks, deps, optional = [], [], []
        for i in range(n):
            explicit = data.draw(st.none() | st.sets(st.integers(0, i - 1), max_size=i) if i else st.none(),
                                 label=f"new depends_on {i}")
            optional.append(data.draw(st.booleans(), label=f"new optional {i}"))
            task = {"title": f"replanned {i + 1}", "kind": self.model.kind.name, "optional": optional[-1]}
            if explicit is not None:
                task["depends_on"] = [d + 1 for d in sorted(explicit)]
            deps.append(sorted(explicit) if explicit is not None else None)
            tasks.append(task)
        before = {str(r["id"]) for r in self.db.execute(
            "select id from missions_private.steps where mission_id = %s", (mid,))}
        got = call(self.db, actor, "select missions.replan_mission(%s, %s::jsonb) ->> 'status' as status",
                   (mid, json.dumps({"tasks": tasks, "reason": "model"})))
        new_ids = [str(r["id"]) for r in self.db.execute(
            "select id from missions_private.steps where mission_id = %s order by position", (mid,))
            if str(r["id"]) not in before]
        expected = self.model.replan(actor["id"], mid, new_ids if got.error is None else [], deps, optional) \
            if got.error is None else self.model.replan(actor["id"], mid, [], [], [])
        agree("replan_mission", got, expected, first("status"))

    @rule()
    def expire_claims(self) -> None:
        got = call(self.db, self.admin, "select missions.expire_claims() as n")
        agree("expire_claims", got, self.model.expire_claims(), first("n"))

    # ---- invariants ----------------------------------------------------------------------------

    def _rows(self, sql: str, ids: list[str]) -> list[dict]:
        return self.db.execute(sql, (ids,)).fetchall()

    @invariant()
    def statuses_match(self) -> None:
        """Every mission's and step's status (and each step's attempt and holder) is the model's."""
        want = {m.id: m.status for m in self.model.missions.values()}
        want.update({m.id: m.status for m in self.model.agent_missions.values()})
        got = {r["id"]: r["status"] for r in self._rows(
            "select id::text, status from missions_private.missions where id = any(%s::uuid[])", list(want))}
        assert got == want
        steps = {s.id: (s.status, s.attempt, s.leased_by) for s in self.model.steps.values()}
        got_steps = {r["id"]: (r["status"], r["attempt"], r["leased_by"]) for r in self._rows(
            "select id::text, status, attempt, leased_by::text from missions_private.steps "
            "where id = any(%s::uuid[])", list(steps))}
        assert got_steps == steps

    @invariant()
    def money_matches(self) -> None:
        """Balances = ledger sums = the model's balances; rewards exactly for the completed missions."""
        ids = list(self.model.participants)
        want = {(p.id, c): amount for p in self.model.participants.values() for c, amount in p.balances.items()}
        balances = {(r["pid"], r["currency"]): r["amount"] for r in self._rows(
            "select participant_id::text as pid, currency, amount from missions_private.balances "
            "where participant_id = any(%s::uuid[])", ids)}
        ledger = {(r["pid"], r["currency"]): r["total"] for r in self._rows(
            "select participant_id::text as pid, currency, sum(amount)::bigint as total "
            "from missions_private.ledger_entries where participant_id = any(%s::uuid[]) "
            "group by 1, 2", ids)}
        assert balances == want
        assert {k: v for k, v in want.items() if v or k in ledger} == ledger
        rewarded = {r["id"] for r in self._rows(
            "select mission_id::text as id from missions_private.mission_rewards "
            "where participant_id = any(%s::uuid[])", ids)}
        assert rewarded == {m.id for m in self.model.missions.values() if m.rewarded}

    @invariant()
    def streaks_triads_and_alerts_match(self) -> None:
        """Streaks, last check-in, last decay day, triad and open alerts are the model's."""
        ids = list(self.model.participants)
        want = {p.id: (p.streak, p.longest, p.last_check_in, p.last_decay_day, p.triad["TECHNICAL"],
                       p.triad["SOFT"], p.triad["COMMERCIAL"]) for p in self.model.participants.values()}
        got = {r["pid"]: (r["current_streak"], r["longest_streak"], r["last_check_in"], r["last_decay_day"],
                          r["triad_technical"], r["triad_soft"], r["triad_commercial"]) for r in self._rows(
            "select participant_id::text as pid, * from missions_private.participant_progress "
            "where participant_id = any(%s::uuid[])", ids)}
        assert got == want
        alerts = {(r["pid"], r["type"]) for r in self._rows(
            "select participant_id::text as pid, type from missions_private.alerts "
            "where status = 'triggered' and participant_id = any(%s::uuid[])", ids)}
        assert alerts == {(p.id, a) for p in self.model.participants.values() for a in p.alerts}

    @invariant()
    def engine_invariants_hold(self) -> None:
        """missions.check_invariants(): no violation of any of the engine's own invariants."""
        rows = self.db.execute("select invariant, violations, examples from missions.check_invariants()").fetchall()
        assert [r for r in rows if r["violations"]] == []


def run_machine(db: psycopg.Connection, how: settings, scratch: Path, figures: str) -> None:
    """Runs the state machine on this test's database with the given sizes and records what it did as
    `figures`; Hypothesis keeps its files (e.g. its cache of the constants in the source) in `scratch`,
    not in a .hypothesis/ of the checkout."""
    set_hypothesis_home_dir(scratch / "hypothesis")
    COUNTS.update(examples=0, sql_api_calls=0)
    try:
        run_state_machine_as_test(lambda: EngineMachine(db), settings=how)
    finally:
        set_hypothesis_home_dir(None)
        db.execute("reset missions.now")
    # recorded only when every call agreed with the model and every invariant held
    record(figures, {"max_examples": how.max_examples, "max_steps_per_example": how.stateful_step_count, **COUNTS})


def test_random_call_sequences_agree_with_the_model(db: psycopg.Connection, tmp_path: Path) -> None:
    run_machine(db, FAST, tmp_path, "model_based_small")


@pytest.mark.chaos
def test_thousands_of_random_calls_agree_with_the_model(db: psycopg.Connection, tmp_path: Path) -> None:
    run_machine(db, CHAOS, tmp_path, "model_based")


# ---- the engine bugs the machine found, pinned down as plain examples ------------------------------

def _ops_mission(db: psycopg.Connection, kind: str, steps: list[dict]) -> tuple[str, list[str]]:
    """An auto-approved ops mission of the given steps (all of `kind`); returns its id and step ids."""
    spec = {"title": "regression", "steps": [{"kind": kind, **s} for s in steps]}
    mid = str(db.execute("select missions.create_agent_mission(%s::jsonb) as id", (json.dumps(spec),)).fetchone()["id"])
    return mid, [str(r["id"]) for r in db.execute(
        "select id from missions_private.steps where mission_id = %s order by position", (mid,))]


def _one_attempt_kind(db: psycopg.Connection) -> str:
    kind = f"once_{uuid.uuid4().hex[:8]}"
    db.execute("select missions.upsert_step_kind(%s, %s::jsonb)",
               (kind, json.dumps({"trusted": True, "claim_ttl_seconds": 60, "max_attempts": 1})))
    return kind


def test_an_optional_step_skipped_by_expire_claims_readies_its_dependents(db: psycopg.Connection) -> None:
    db.execute("select set_config('missions.now', '2030-01-01 10:00+00', false)")
    kind, agent = _one_attempt_kind(db), make_principal(db, "agent")
    mid, (optional, last) = _ops_mission(db, kind, [{"title": "maybe", "optional": True}, {"title": "then"}])
    assert call(db, agent, "select * from missions.claim_mission_step(%s, %s)", (optional, agent["id"])).error is None
    db.execute("select set_config('missions.now', '2030-01-01 10:05+00', false)")
    assert db.execute("select missions.expire_claims() as n").fetchone()["n"] == 1
    statuses = {r["id"]: r["status"] for r in db.execute(
        "select id::text, status from missions_private.steps where mission_id = %s", (mid,))}
    assert statuses == {optional: "skipped", last: "ready"}
    token = call(db, agent, "select * from missions.claim_mission_step(%s, %s)", (last, agent["id"])).value[0]
    done = call(db, agent, "select * from missions.complete_step(%s, %s, %s)", (last, agent["id"], token["lease_token"]))
    assert done.error is None
    assert db.execute("select status from missions_private.missions where id = %s", (mid,)).fetchone()["status"] \
        == "completed"
    db.execute("reset missions.now")


def test_claiming_a_step_of_a_failed_mission_is_an_illegal_transition(db: psycopg.Connection) -> None:
    kind, agent = _one_attempt_kind(db), make_principal(db, "agent")
    mid, (first_step, second) = _ops_mission(db, kind, [{"title": "a"}, {"title": "b", "depends_on": []}])
    lease = call(db, agent, "select * from missions.claim_mission_step(%s, %s)", (first_step, agent["id"])).value[0]
    failed = call(db, agent, "select * from missions.fail_step(%s, %s, %s, 'broken', false)",
                  (first_step, agent["id"], lease["lease_token"]))
    assert failed.error is None
    assert db.execute("select status from missions_private.missions where id = %s", (mid,)).fetchone()["status"] \
        == "failed"
    refused = call(db, agent, "select * from missions.claim_mission_step(%s, %s)", (second, agent["id"]))
    assert refused.error == "MS409", refused.value
