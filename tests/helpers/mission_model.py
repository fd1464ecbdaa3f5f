"""A small pure-Python model of the engine's rules, for the model-based tests (tests/test_model_based.py).

It knows no SQL: each method takes the ids the database handed out (mission, step and lease ids are
observed, never predicted), applies the rule as README.md and the spec state it, and returns an
`Outcome`: the SQLSTATE the engine must raise, or the value it must return. Covered rules:

- engagement missions: assign (one open assignment per participant and template; the template's repeat
  policy: once, cooldown after the last payout, unlimited under a per-local-day cap), start, submit
  (EASY completes with rewards, MEDIUM/HARD need proof and await review), approve / fail (only
  submitted, never by the participant), deadlines and expire_missions(), rewards exactly once;
- check-ins and streaks in the participant's local day, bonuses at 7/14/30, apply_momentum_decay();
- alerts LOW_MOMENTUM, MISSED_MISSIONS and TRIAD_IMBALANCE (at most one open per participant and type);
- agent missions: steps with dependencies, claims by id and next-in-queue, fenced leases (complete,
  fail with retry and backoff, release, heartbeat), lease expiry and expire_claims(); blocked tasks
  (block_task / unblock_task, a task blocker cleared when its task is done) and re-planning
  (replan_mission: executing -> proposed -> assigned, the old plan's unfinished steps skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

CURRENCIES = ("MOMENTUM", "SKILL_XP", "ARENA_POINTS", "INCOME_PROOF")
DOMAINS = ("TECHNICAL", "SOFT", "COMMERCIAL")
OPEN_STATUSES = ("assigned", "in_progress", "submitted")
SLOT_FREED = ("failed", "expired", "cancelled")  # missions in these statuses free their repeat slot
STREAK_BONUS = {7: 50, 14: 100, 30: 200}
TRIAD_POINTS = {"EASY": 5, "MEDIUM": 10, "HARD": 20}
DONE_STEP = ("completed", "skipped")
UNFINISHED_STEP = ("pending", "ready", "in_progress", "blocked")  # the model has no waits
LIVE_MISSION = ("assigned", "in_progress", "waiting", "paused")   # may be blocked in and re-planned
DECAY = 5
LOW_MOMENTUM = 30


@dataclass(frozen=True)
class Outcome:
    """What a call must produce: an error SQLSTATE, or (error None) a value."""

    error: str | None = None
    value: Any = None


def ok(value: Any = None) -> Outcome:
    """A successful outcome with its value."""
    return Outcome(None, value)


def fail(sqlstate: str) -> Outcome:
    """An outcome that is the error `sqlstate`."""
    return Outcome(sqlstate, None)


class Refused(Exception):
    """Raised inside the model when a rule refuses a call; carries the SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@dataclass
class Template:
    """A challenge template: difficulty, domain and rewards."""

    id: str
    difficulty: str
    domain: str
    momentum: int
    skill_xp: int
    arena_points: int
    repeat: str = "once"           # once | cooldown | unlimited (none of the model's templates is periodic)
    cooldown: timedelta | None = None
    daily_cap: int | None = None


@dataclass
class Participant:
    """A participant's money, triad, streak and alerts."""

    id: str
    tz: ZoneInfo
    joined: date
    balances: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CURRENCIES, 0))
    triad: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DOMAINS, 0))
    streak: int = 0
    longest: int = 0
    last_check_in: date | None = None
    check_ins: set[date] = field(default_factory=set)
    last_decay_day: date | None = None
    alerts: set[str] = field(default_factory=set)


@dataclass
class Mission:
    """An engagement mission (an assignment of a template)."""

    id: str
    participant_id: str
    template_id: str
    status: str
    expires_at: datetime
    status_changed_at: datetime
    repeat_key: str | None = None
    rewarded: bool = False


@dataclass
class StepKind:
    """The lease and retry settings of a step kind."""

    name: str
    ttl: timedelta
    max_attempts: int
    backoff: timedelta


@dataclass
class Step:
    """An agent mission's step with its lease."""

    id: str
    mission_id: str
    deps: list[str]
    optional: bool
    priority: int
    status: str = "pending"
    attempt: int = 0
    leased_by: str | None = None
    token: str | None = None
    lease_expires_at: datetime | None = None
    not_before: datetime | None = None
    ready_at: datetime | None = None
    blocked_by: str | None = None  # the blocking step's id, or a reference ("ref:…") when blocked
    tokens: list[tuple[str, str]] = field(default_factory=list)  # every (agent, token) ever granted

    def live(self, now: datetime) -> bool:
        """Whether the step holds a lease that has not expired."""
        return self.status == "in_progress" and self.lease_expires_at is not None and self.lease_expires_at > now


@dataclass
class AgentMission:
    """An ops mission: its status, the agents it names (none: any agent) and its steps in order."""

    id: str
    status: str
    agents: frozenset[str]
    steps: list[str]

    def allows(self, agent_id: str) -> bool:
        """A mission naming no agents admits any agent."""
        return not self.agents or agent_id in self.agents


class EngineModel:
    """The rules, applied to plain Python state; `now` is the engine clock."""

    def __init__(self, now: datetime, kind: StepKind) -> None:
        self.now = now
        self.kind = kind
        self.roles: dict[str, str] = {}
        self.participants: dict[str, Participant] = {}
        self.templates: dict[str, Template] = {}
        self.missions: dict[str, Mission] = {}
        self.agent_missions: dict[str, AgentMission] = {}
        self.steps: dict[str, Step] = {}

    # ---- setup ---------------------------------------------------------------------------------

    def add_principal(self, principal_id: str, role: str, tz: str = "UTC") -> None:
        """Registers a principal; participants get accounts and their join day (the clock's local day)."""
        self.roles[principal_id] = role
        if role == "participant":
            zone = ZoneInfo(tz)
            self.participants[principal_id] = Participant(principal_id, zone, self.now.astimezone(zone).date())

    def add_template(self, template: Template) -> None:
        """Registers a challenge template."""
        self.templates[template.id] = template

    def advance(self, delta: timedelta) -> datetime:
        """Moves the clock forward; returns the new time."""
        self.now += delta
        return self.now

    # ---- helpers -------------------------------------------------------------------------------

    def local_day(self, participant_id: str) -> date:
        """The participant's calendar day at the current instant."""
        return self.now.astimezone(self.participants[participant_id].tz).date()

    def _authorize_participant(self, caller: str | None, participant_id: str) -> None:
        """Only the participant, staff, or an owner session (caller None) act for a participant."""
        if caller is not None and caller != participant_id and self.roles.get(caller) not in ("admin", "service"):
            raise Refused("MS403")

    def _set_status(self, mission: Mission, status: str) -> None:
        mission.status = status
        mission.status_changed_at = self.now

    def _raise_alert(self, participant_id: str, kind: str) -> None:
        self.participants[participant_id].alerts.add(kind)

    def _missed_missions_check(self, participant_ids: set[str]) -> None:
        """MISSED_MISSIONS when 3+ missions expired or failed in the last 7 days."""
        since = self.now - timedelta(days=7)
        for pid in participant_ids:
            missed = [m for m in self.missions.values() if m.participant_id == pid
                      and m.status in ("expired", "failed") and m.status_changed_at > since]
            if len(missed) >= 3:
                self._raise_alert(pid, "MISSED_MISSIONS")

    def _reward(self, mission: Mission) -> None:
        """Pays the template's rewards and triad points once; TRIAD_IMBALANCE when lopsided."""
        assert not mission.rewarded, "the model itself must reward once"
        mission.rewarded = True
        template = self.templates[mission.template_id]
        person = self.participants[mission.participant_id]
        person.balances["MOMENTUM"] += template.momentum
        person.balances["SKILL_XP"] += template.skill_xp
        person.balances["ARENA_POINTS"] += template.arena_points
        person.triad[template.domain] += TRIAD_POINTS[template.difficulty]
        if min(person.triad.values()) < 20 and max(person.triad.values()) > 50:
            self._raise_alert(person.id, "TRIAD_IMBALANCE")

    def _run(self, rule: Any, *args: Any) -> Outcome:
        """Runs a rule; a Refused becomes the error outcome (rules check before they change anything)."""
        try:
            return ok(rule(*args))
        except Refused as refused:
            return fail(refused.sqlstate)

    # ---- engagement missions -------------------------------------------------------------------

    def assign(self, caller: str | None, participant_id: str, template_id: str, days: int,
               new_id: str | None) -> Outcome:
        """assign_mission: one open assignment per participant and template (23505), deadline now + days."""
        def rule() -> str:
            self._authorize_participant(caller, participant_id)
            if any(m.participant_id == participant_id and m.template_id == template_id
                   and m.status in OPEN_STATUSES for m in self.missions.values()):
                raise Refused("23505")
            key = self._repeat_slot(participant_id, template_id)
            assert new_id is not None, "the engine returned no mission"
            self.missions[new_id] = Mission(new_id, participant_id, template_id, "assigned",
                                            self.now + timedelta(days=days), self.now, key)
            return "assigned"
        return self._run(rule)

    def _repeat_slot(self, participant_id: str, template_id: str) -> str | None:
        """The repeat key a new assignment takes (None: unlimited, reviewed); MS409 when the policy allows none."""
        template = self.templates[template_id]
        mine = [m for m in self.missions.values() if m.participant_id == participant_id
                and m.template_id == template_id]
        taken = {m.repeat_key for m in mine if m.status not in SLOT_FREED}
        if template.repeat == "once":
            key = "once"
        elif template.repeat == "cooldown":
            paid = [m for m in mine if m.status == "completed"]
            last = max(paid, key=lambda m: m.status_changed_at, default=None)
            if last is not None and last.status_changed_at + template.cooldown > self.now:
                raise Refused("MS409")
            key = f"after:{last.id if last else 'none'}"
        elif template.daily_cap is not None:
            day = self.local_day(participant_id)
            free = [n for n in range(1, template.daily_cap + 1) if f"cap:{day}#{n}" not in taken]
            if not free:
                raise Refused("MS409")
            return f"cap:{day}#{free[0]}"
        else:
            return None
        if key in taken:
            raise Refused("MS409")
        return key

    def _lock(self, caller: str | None, mission_id: str) -> Mission:
        mission = self.missions[mission_id]
        self._authorize_participant(caller, mission.participant_id)
        return mission

    def _before_deadline(self, mission: Mission) -> None:
        if mission.expires_at <= self.now:
            raise Refused("MS409")

    def start(self, caller: str | None, mission_id: str) -> Outcome:
        """start_mission: assigned -> in_progress before the deadline."""
        def rule() -> str:
            mission = self._lock(caller, mission_id)
            if mission.status != "assigned":
                raise Refused("MS409")
            self._before_deadline(mission)
            self._set_status(mission, "in_progress")
            return mission.status
        return self._run(rule)

    def submit(self, caller: str | None, mission_id: str, with_proof: bool) -> Outcome:
        """submit_mission: in_progress before the deadline; EASY -> completed (rewards), else proof -> submitted."""
        def rule() -> str:
            mission = self._lock(caller, mission_id)
            if mission.status != "in_progress":
                raise Refused("MS409")
            self._before_deadline(mission)
            difficulty = self.templates[mission.template_id].difficulty
            if difficulty != "EASY" and not with_proof:
                raise Refused("MS422")
            if difficulty == "EASY":
                self._set_status(mission, "completed")
                self._reward(mission)
            else:
                self._set_status(mission, "submitted")
            return mission.status
        return self._run(rule)

    def review(self, caller: str | None, reviewer_id: str, mission_id: str, approve: bool) -> Outcome:
        """approve_mission / fail_mission: the reviewer is the caller, not the participant; only submitted."""
        def rule() -> str:
            if caller is not None and caller != reviewer_id:
                raise Refused("MS403")
            mission = self.missions[mission_id]
            if mission.participant_id == reviewer_id:
                raise Refused("MS403")
            if mission.status != "submitted":
                raise Refused("MS409")
            if approve:
                self._set_status(mission, "completed")
                self._reward(mission)
            else:
                self._set_status(mission, "failed")
                self._missed_missions_check({mission.participant_id})
            return mission.status
        return self._run(rule)

    def expire_missions(self) -> Outcome:
        """expire_missions(): assigned/in_progress past the deadline -> expired; then MISSED_MISSIONS."""
        due = [m for m in self.missions.values()
               if m.status in ("assigned", "in_progress") and m.expires_at <= self.now]
        for mission in due:
            self._set_status(mission, "expired")
        self._missed_missions_check({m.participant_id for m in due})
        return ok(len(due))

    # ---- check-ins and decay -------------------------------------------------------------------

    def check_in(self, caller: str | None, participant_id: str) -> Outcome:
        """check_in: the first of a local day extends (after yesterday) or restarts the streak; bonuses."""
        def rule() -> tuple[bool, date, int, int, int]:
            self._authorize_participant(caller, participant_id)
            person = self.participants[participant_id]
            today = self.local_day(participant_id)
            if today in person.check_ins:
                return (False, today, person.streak, person.longest, 0)
            person.check_ins.add(today)
            extends = person.last_check_in == today - timedelta(days=1)
            person.streak = person.streak + 1 if extends else 1
            person.longest = max(person.longest, person.streak)
            person.last_check_in = today
            bonus = STREAK_BONUS.get(person.streak, 0)
            person.balances["MOMENTUM"] += bonus
            return (True, today, person.streak, person.longest, bonus)
        return self._run(rule)

    def apply_momentum_decay(self) -> Outcome:
        """apply_momentum_decay(): once per local day, a day that ended without a check-in costs 5 momentum
        (floored at 0) and the streak (unless already checked in today); LOW_MOMENTUM under 30."""
        decayed = 0
        for person in self.participants.values():
            ended = self.local_day(person.id) - timedelta(days=1)
            if person.joined > ended or (person.last_decay_day is not None and person.last_decay_day >= ended):
                continue
            person.last_decay_day = ended
            if ended in person.check_ins:
                continue
            if person.last_check_in is None or person.last_check_in < ended:
                person.streak = 0
            person.balances["MOMENTUM"] -= min(person.balances["MOMENTUM"], DECAY)
            decayed += 1
            if person.balances["MOMENTUM"] < LOW_MOMENTUM:
                self._raise_alert(person.id, "LOW_MOMENTUM")
        return ok(decayed)

    # ---- agent missions ------------------------------------------------------------------------

    def create_agent_mission(self, mission_id: str, step_ids: list[str], deps: list[list[int]],
                             optional: list[bool], agents: frozenset[str], priority: int) -> Outcome:
        """create_agent_mission with trusted kinds only: assigned at once; steps without dependencies ready."""
        self.agent_missions[mission_id] = AgentMission(mission_id, "assigned", agents, list(step_ids))
        for i, step_id in enumerate(step_ids):
            self.steps[step_id] = Step(step_id, mission_id, [step_ids[d] for d in deps[i]], optional[i], priority)
        self._advance(mission_id)
        return ok("assigned")

    def _advance(self, mission_id: str) -> None:
        """Readies pending steps whose dependencies are completed or skipped; completes a running mission
        whose steps are all completed or skipped."""
        mission = self.agent_missions[mission_id]
        steps = [self.steps[s] for s in mission.steps]
        for step in steps:  # a step blocked by a step that is done is unblocked first
            if step.status == "blocked" and step.blocked_by in self.steps \
                    and self.steps[step.blocked_by].status in DONE_STEP:
                step.status, step.blocked_by = "pending", None
        readied = [s for s in steps if s.status == "pending"
                   and all(self.steps[d].status in DONE_STEP for d in s.deps)]
        for step in readied:
            step.status, step.ready_at = "ready", self.now
        if mission.status in ("in_progress", "waiting") and all(s.status in DONE_STEP for s in steps):
            mission.status = "completed"

    def _fail_mission_of(self, step: Step) -> None:
        mission = self.agent_missions[step.mission_id]
        if mission.status in ("in_progress", "waiting", "paused"):
            mission.status = "failed"

    def _grant(self, step: Step, agent_id: str, token: str | None) -> tuple[str, int, datetime]:
        assert token is not None, "the engine granted no lease token"
        step.status, step.leased_by, step.token = "in_progress", agent_id, token
        step.attempt += 1
        step.lease_expires_at = self.now + self.kind.ttl
        step.not_before = None
        step.tokens.append((agent_id, token))
        mission = self.agent_missions[step.mission_id]
        if mission.status == "assigned":
            mission.status = "in_progress"
        return (step.id, step.attempt, step.lease_expires_at)

    def _running(self, step: Step) -> bool:
        return self.agent_missions[step.mission_id].status in ("assigned", "in_progress")

    def claim_step(self, agent_id: str, step_id: str, token: str | None) -> Outcome:
        """claim_mission_step: MS409 mission not running, MS403 agent not named, MS409 held / not ready /
        backing off / out of attempts; an expired lease is taken over (attempt + 1)."""
        def rule() -> tuple[str, int, datetime]:
            step = self.steps[step_id]
            if not self._running(step):
                raise Refused("MS409")
            if not self.agent_missions[step.mission_id].allows(agent_id):
                raise Refused("MS403")
            if step.live(self.now) or step.status not in ("ready", "in_progress"):
                raise Refused("MS409")
            if step.not_before is not None and step.not_before > self.now:
                raise Refused("MS409")
            if step.attempt >= self.kind.max_attempts:
                raise Refused("MS409")
            return self._grant(step, agent_id, token)
        return self._run(rule)

    def _claimable(self, step: Step, agent_id: str) -> bool:
        return (step.attempt < self.kind.max_attempts and self._running(step)
                and self.agent_missions[step.mission_id].allows(agent_id))

    def next_step(self, agent_id: str) -> Step | None:
        """The step claim_next_step must pick: expired leases first (priority, expiry, id), then ready
        steps past their backoff (priority, time ready, id)."""
        expired = sorted((s for s in self.steps.values() if s.status == "in_progress"
                          and s.lease_expires_at is not None and s.lease_expires_at <= self.now
                          and self._claimable(s, agent_id)),
                         key=lambda s: (-s.priority, s.lease_expires_at, s.id))
        if expired:
            return expired[0]
        ready = sorted((s for s in self.steps.values() if s.status == "ready"
                        and (s.not_before is None or s.not_before <= self.now) and self._claimable(s, agent_id)),
                       key=lambda s: (-s.priority, s.ready_at, s.id))
        return ready[0] if ready else None

    def claim_next(self, agent_id: str, token: str | None) -> Outcome:
        """claim_next_step: the claim of next_step(), or None when nothing is claimable."""
        step = self.next_step(agent_id)
        return ok(None if step is None else self._grant(step, agent_id, token))

    def _lease(self, agent_id: str, step_id: str, token: str) -> Step:
        """Fencing: the agent must hold this token's live lease (MS412), and see the mission (else MS404)."""
        step = self.steps[step_id]
        if step.live(self.now) and step.leased_by == agent_id and step.token == token:
            return step
        if not self.agent_missions[step.mission_id].allows(agent_id):
            raise Refused("MS404")
        raise Refused("MS412")

    def heartbeat(self, agent_id: str, step_id: str, token: str) -> Outcome:
        """heartbeat_step: the lease runs the kind's TTL from now."""
        def rule() -> datetime:
            step = self._lease(agent_id, step_id, token)
            step.lease_expires_at = self.now + self.kind.ttl
            return step.lease_expires_at
        return self._run(rule)

    def complete(self, agent_id: str, step_id: str, token: str) -> Outcome:
        """complete_step: completed; dependents ready; the mission completes when every step is done."""
        def rule() -> str:
            step = self._lease(agent_id, step_id, token)
            self._end_lease(step, "completed")
            self._advance(step.mission_id)
            return step.status
        return self._run(rule)

    def _end_lease(self, step: Step, status: str) -> None:
        step.status = status
        step.leased_by = step.token = step.lease_expires_at = None
        step.blocked_by = None  # leaving blocked drops the blocker (never set on other statuses)

    def _lock_step(self, agent_id: str, step: Step) -> AgentMission:
        """lock_step_first, then lock_agent_mission: MS409 when another agent holds a live lease on the step,
        MS404 when the agent may not see the mission."""
        if step.live(self.now) and step.leased_by != agent_id:
            raise Refused("MS409")
        mission = self.agent_missions[step.mission_id]
        if not mission.allows(agent_id):
            raise Refused("MS404")
        return mission

    def block(self, agent_id: str, step_id: str, blocker: str) -> Outcome:
        """block_task: a pending/ready/in-progress/blocked step of a live mission becomes blocked (its lease
        dropped); a step blocker must be another step of the mission, not done, and close no cycle (MS422)."""
        def rule() -> str:
            step = self.steps[step_id]
            mission = self._lock_step(agent_id, step)
            if mission.status not in LIVE_MISSION or step.status not in UNFINISHED_STEP:
                raise Refused("MS409")
            if blocker in self.steps:
                if blocker == step_id or self.steps[blocker].status in DONE_STEP:
                    raise Refused("MS422")
                chain = blocker
                while chain in self.steps:
                    if chain == step_id:
                        raise Refused("MS422")
                    chain = self.steps[chain].blocked_by
            self._end_lease(step, "blocked")
            step.blocked_by = blocker
            return step.status
        return self._run(rule)

    def unblock(self, agent_id: str, step_id: str) -> Outcome:
        """unblock_task: MS409 unless blocked in a live mission; pending, then ready when its dependencies are done."""
        def rule() -> str:
            step = self.steps[step_id]
            mission = self._lock_step(agent_id, step)
            if step.status != "blocked" or mission.status not in LIVE_MISSION:
                raise Refused("MS409")
            step.status, step.blocked_by = "pending", None
            self._advance(step.mission_id)
            return step.status
        return self._run(rule)

    def replan(self, caller: str | None, mission_id: str, step_ids: list[str], deps: list[list[int] | None],
               optional: list[bool]) -> Outcome:
        """replan_mission with trusted kinds: MS404 when the agent may not see it, MS409 unless live; the
        unfinished steps are skipped (leases withdrawn), the new ones appended (default: after the previous
        step, the first after the old plan's last), and the mission is assigned again."""
        def rule() -> str:
            mission = self.agent_missions[mission_id]
            if caller is not None and self.roles.get(caller) == "agent" and not mission.allows(caller):
                raise Refused("MS404")
            if mission.status not in LIVE_MISSION:
                raise Refused("MS409")
            for old in mission.steps:
                if self.steps[old].status in UNFINISHED_STEP:
                    self._end_lease(self.steps[old], "skipped")
            assert len(step_ids) == len(deps), "the engine added another number of steps"
            previous = mission.steps[-1] if mission.steps else None
            priority = self.steps[mission.steps[0]].priority if mission.steps else 5
            for i, new_id in enumerate(step_ids):
                after = [step_ids[d] for d in deps[i]] if deps[i] is not None else \
                    ([step_ids[i - 1]] if i else ([previous] if previous else []))
                self.steps[new_id] = Step(new_id, mission_id, after, optional[i], priority)
            mission.steps.extend(step_ids)
            mission.status = "assigned"
            self._advance(mission_id)
            return mission.status
        return self._run(rule)

    def fail_step(self, agent_id: str, step_id: str, token: str, retryable: bool) -> Outcome:
        """fail_step: retry after backoff × 2^(attempt−1) while attempts remain; else skipped (optional)
        or failed (and the running mission fails)."""
        def rule() -> str:
            step = self._lease(agent_id, step_id, token)
            if retryable and step.attempt < self.kind.max_attempts:
                self._end_lease(step, "ready")
                step.ready_at = self.now
                step.not_before = self.now + self.kind.backoff * 2 ** (step.attempt - 1)
            else:
                self._finish_out_of_attempts(step)
            return step.status
        return self._run(rule)

    def _finish_out_of_attempts(self, step: Step) -> None:
        if step.optional:
            self._end_lease(step, "skipped")
            self._advance(step.mission_id)
        else:
            self._end_lease(step, "failed")
            self._fail_mission_of(step)

    def release(self, agent_id: str, step_id: str, token: str) -> Outcome:
        """release_step: back to ready at once; the attempt does not count."""
        def rule() -> str:
            step = self._lease(agent_id, step_id, token)
            self._end_lease(step, "ready")
            step.ready_at = self.now
            step.attempt -= 1
            return step.status
        return self._run(rule)

    def expire_claims(self) -> Outcome:
        """expire_claims(): expired leases -> ready (attempts left), else skipped (optional) or failed;
        then missions with a failed step fail and the others advance (a skipped step counts as done)."""
        expired = [s for s in self.steps.values() if s.status == "in_progress"
                   and s.lease_expires_at is not None and s.lease_expires_at <= self.now]
        for step in expired:
            if step.attempt < self.kind.max_attempts:
                self._end_lease(step, "ready")
                step.ready_at = self.now
            else:
                self._end_lease(step, "skipped" if step.optional else "failed")
        for step in expired:
            if step.status == "failed":
                self._fail_mission_of(step)
        for mission_id in {s.mission_id for s in expired if s.status == "skipped"}:
            self._advance(mission_id)
        return ok(len(expired))
