"""The world the role matrix (tests/test_role_matrix.py) acts on: one principal per role, and the owner
participant's objects in every state an operation needs (a mission assigned / in progress / submitted,
an agent mission with a ready task, a leased step, a pending input request, a step waiting on a key,
learning missions at each review stage, an evidence file with its bytes in the store, a recipe, an
alert, an API key …).

Objects are built by name (`make_<name>`), on a superuser connection acting as the principals the way
the app does. `World.shared(name)` builds an object once; `World.fresh(name)` builds a new one, for
HTTP cells whose call changes the object (HTTP writes commit). `populate()` adds the rows that only the
row-level-security test reads (a completed learning mission with its portfolio item, a check-in …), so
that every participant table holds rows of the owner.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from app.reviewer import REVIEWER_ID
from app.storage import LocalStore
from tests.helpers.principals import act_as, make_principal

ROLES = ("anon", "owner", "other", "mentor", "admin", "agent", "service")
Obj = str | dict[str, str]


def _uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def full_spec(code: str) -> dict:
    """Four subtasks: evidence and nine hint levels at 1, a decision at 2 (isolate -> 3, monitor -> 4)."""
    return {"code": code, "title": f"{code} Triage", "tier": "beginner", "track": "defender", "pass_score": 0,
            "reflection_required": False, "skills": ["siem"],
            "subtasks": [
                {"title": "Collect logs", "required_evidence": 1, "skills": ["log_analysis"],
                 "hints": [f"hint {i}" for i in range(1, 10)]},
                {"title": "Choose containment", "decision": {
                    "key": "containment", "prompt": "Isolate or monitor?",
                    "choices": [{"key": "isolate", "label": "Isolate", "next": 3},
                                {"key": "monitor", "label": "Monitor", "next": 4}]}},
                {"title": "Isolate the host"}, {"title": "Set up monitoring"}]}


def short_spec(code: str) -> dict:
    """Two plain subtasks (hints at 1), pass score 0: any review approves."""
    return {"code": code, "title": f"{code} Short", "tier": "beginner", "track": "defender", "pass_score": 0,
            "skills": ["triage"], "subtasks": [{"title": "Step 1", "hints": ["a", "b", "c"]}, {"title": "Step 2"}]}


class World:
    """Principals (`owner`, `other`, `mentor`, `admin`, `agent`, `service`) and the owner's objects."""

    def __init__(self, su: psycopg.Connection, store_dir: Path):
        self.su = su
        self.store = LocalStore(store_dir)
        self.p: dict[str, dict] = {
            "owner": make_principal(su, "participant", "Owner", tier="PREMIUM", cohort="matrix"),
            "other": make_principal(su, "participant", "Other", cohort="matrix"),
            **{role: make_principal(su, role, role.title()) for role in ("mentor", "admin", "agent", "service")},
        }
        self._shared: dict[str, Obj] = {}
        su.execute("select missions.set_evidence_limits(null, 100, null)")
        # the world's agent and mentor are designated reviewers; its admin is not (so it may not claim reviews)
        su.execute("select missions.designate_reviewer('ai_review', %s)", (self.p["agent"]["id"],))
        su.execute("select missions.designate_reviewer('mentor_review', %s)", (self.p["mentor"]["id"],))

    # ---- access ---------------------------------------------------------------------------------

    def principal(self, role: str) -> dict | None:
        return self.p.get(role)

    def shared(self, name: str) -> Obj:
        if name in self.p:
            return self.p[name]["id"]
        if name not in self._shared:
            self._shared[name] = self.fresh(name)
        return self._shared[name]

    def fresh(self, name: str) -> Obj:
        builder: Callable[[], Obj] = getattr(self, f"make_{name}")
        return builder()

    # ---- helpers --------------------------------------------------------------------------------

    def as_(self, who: str | dict, sql: str, *args: Any) -> dict:
        """One statement as a principal (a role name of the world, or a principal dict), committed."""
        principal = self.p[who] if isinstance(who, str) else who
        with self.su.transaction():
            act_as(self.su, principal)
            return self.su.execute(sql, args).fetchone()

    def value(self, sql: str, *args: Any) -> Any:
        return next(iter(self.su.execute(sql, args).fetchone().values()))

    @property
    def owner(self) -> str:
        return self.p["owner"]["id"]

    # ---- engagement -----------------------------------------------------------------------------

    def _template(self, difficulty: str = "EASY") -> str:
        spec = {"title": _uniq("Challenge"), "skill_domain": "TECHNICAL", "difficulty": difficulty}
        return str(self.value("select missions.create_template(%s::jsonb)", json.dumps(spec)))

    def make_tpl(self) -> str:
        return self._template()

    def make_tpl_new(self) -> str:
        """A template the owner has never taken."""
        return self._template()

    def _assigned(self, difficulty: str = "MEDIUM") -> str:
        return str(self.as_("owner", "select id from missions.assign_mission(%s, %s)",
                            self.owner, self._template(difficulty))["id"])

    def make_m_assigned(self) -> str:
        return self._assigned()

    def make_m_working(self) -> str:
        mission = self._assigned()
        self.as_("owner", "select id from missions.start_mission(%s)", mission)
        return mission

    def make_m_submitted(self) -> str:
        mission = self.make_m_working()
        self.as_("owner", "select status from missions.submit_mission(%s, null, 'my proof')", mission)
        return mission

    def make_alert(self) -> str:
        """A triggered alert of the owner. One alert per type may be open: the shared one is LOW_MOMENTUM,
        fresh ones (built after it) MISSED_MISSIONS, closing the earlier fresh one first."""
        kind = "MISSED_MISSIONS" if "alert" in self._shared else "LOW_MOMENTUM"
        self.su.execute("update missions_private.alerts set status = 'resolved', resolved_at = now() "
                        "where participant_id = %s and type = %s and status = 'triggered'", (self.owner, kind))
        return str(self.value("insert into missions_private.alerts (participant_id, type, severity) "
                              "values (%s, %s, 'HIGH') returning id", self.owner, kind))

    def make_code(self) -> str:
        """A learning template code nobody used."""
        return _uniq("RM").upper()

    def make_hook(self) -> str:
        """A webhook subscription made by an owner session: admins manage it, services (not its owner) do not."""
        return str(self.value("select missions.create_webhook_subscription('https://hooks.example.com/rm', "
                              "'{mission.created}')->>'id'"))

    def make_hook_delivery(self) -> str:
        """A delivered delivery of a fresh subscription (of one of the owner's events)."""
        hook = self.make_hook()
        return str(self.value("insert into missions_private.webhook_deliveries (subscription_id, event_id, status, "
                              "attempts, finished_at) select %s, coalesce(max(id), 0), 'delivered', 1, now() "
                              "from missions_private.events returning id", hook))

    def make_tier(self) -> str:
        """A spare stipend tier at the lowest free rank (its code)."""
        code = "RM_" + uuid.uuid4().hex[:8].upper()
        self.su.execute("insert into missions_private.stipend_tiers (code, rank, currency, min_balance) "
                        "select %s, min(r), 'SKILL_XP', 1 from generate_series(1, 20) r "
                        "where r not in (select rank from missions_private.stipend_tiers)", (code,))
        return code

    def make_api_key(self) -> str:
        """A spare API key of the owner (not the one the matrix authenticates with)."""
        key = self.value("select missions.create_api_key(%s, 'spare')", self.owner)
        return str(self.value("select id from missions_private.api_keys where prefix = %s", key.split("_")[1]))

    # ---- agent face -----------------------------------------------------------------------------

    def _agent_mission(self, kind: str = "task") -> dict[str, str]:
        spec = {"type": "persistent", "title": _uniq("Errand"), "tasks": [{"title": "Do it", "kind": kind}]}
        mission = str(self.as_("owner", "select missions.create_agent_mission(%s::jsonb) as id",
                               json.dumps(spec))["id"])
        step = str(self.value("select id from missions_private.steps where mission_id = %s", mission))
        return {"id": mission, "step": step}

    def make_am(self) -> dict[str, str]:
        """The owner's persistent mission (approved: trusted kind) with one ready task."""
        return self._agent_mission()

    def make_am_blocked(self) -> dict[str, str]:
        """The owner's persistent mission whose only task the world's agent blocked."""
        mission = self._agent_mission()
        self.as_("agent", "select id from missions.block_task(%s, %s, 'rm:blocker', 'waiting')",
                 mission["id"], mission["step"])
        return mission

    def make_am_proposed(self) -> dict[str, str]:
        """The owner's persistent mission waiting for approval (an untrusted kind)."""
        return self._agent_mission("code_generation")

    def make_lease(self) -> dict[str, str]:
        """A task of the owner's mission claimed by the world's agent."""
        mission = self._agent_mission()
        claim = self.as_("agent", "select * from missions.claim_mission_step(%s, %s)",
                         mission["step"], self.p["agent"]["id"])
        return {"step": mission["step"], "token": str(claim["lease_token"])}

    def make_ir(self) -> dict[str, str]:
        """A pending input request on a task of the owner's mission, asked by the agent."""
        mission = self._agent_mission()
        row = self.as_("agent", "select id from missions.request_human_input(%s, %s, 'Proceed?')",
                       mission["id"], mission["step"])
        return {"id": str(row["id"])}

    def make_ew(self) -> dict[str, str]:
        """A task of the owner's mission that the world's agent made wait on a key of its own."""
        mission = self._agent_mission()
        key = _uniq("rm:wait")
        self.as_("agent", "select * from missions.wait_for_external_event(%s, %s, %s)", mission["id"], mission["step"], key)
        return {"id": mission["id"], "step": mission["step"], "key": key}

    def make_spare_agent(self) -> str:
        """An agent nobody designated as a reviewer."""
        return make_principal(self.su, "agent", _uniq("Spare agent"))["id"]

    def make_rv(self) -> str:
        """An agent designated for ai_review (to be revoked)."""
        agent = self.make_spare_agent()
        self.su.execute("select missions.designate_reviewer('ai_review', %s)", (agent,))
        return agent

    def make_ops(self) -> str:
        """A ready health_check step for claim-next (an ops mission of the admin, auto-approved)."""
        spec = {"type": "ops", "title": _uniq("Ops"), "steps": [{"title": "check", "kind": "health_check"}]}
        return str(self.as_("admin", "select missions.create_agent_mission(%s::jsonb) as id", json.dumps(spec))["id"])

    # ---- learning face --------------------------------------------------------------------------

    def _learning_template(self, spec: Callable[[str], dict]) -> str:
        return str(self.value("select missions.create_learning_template(%s::jsonb)",
                              json.dumps(spec(_uniq("RM").upper()))))

    def make_lt(self) -> str:
        return self._learning_template(full_spec)

    def make_lt_new(self) -> str:
        """A learning template nobody has started."""
        return self._learning_template(short_spec)

    def _start(self, spec: Callable[[str], dict]) -> str:
        template = self._learning_template(spec)
        return str(self.as_("owner", "select missions.start_learning_mission(%s, %s) as p",
                            self.owner, template)["p"]["id"])

    def _save(self, mission: str, **progress: Any) -> None:
        self.as_("owner", "select missions.save_mission_progress(%s, %s::jsonb)", mission, json.dumps(progress))

    def _evidence(self, mission: str, data: bytes = b"log line\n") -> str:
        """Evidence of subtask 1 with its bytes in the store (so downloads work)."""
        staged = self.store.stage()
        staged.write(data)
        staged.promote()
        row = self.as_("owner", "select missions.add_evidence(%s, 1, 'log.txt', 'text/plain', %s, %s) as f",
                       mission, staged.size, staged.sha256)
        return str(row["f"]["id"])

    def make_lm_working(self) -> dict[str, str]:
        """In progress at subtask 1: notes, a revealed hint and an evidence file."""
        mission = self._start(full_spec)
        evidence = self._evidence(mission)
        self._save(mission, subtask=1, notes="first notes")
        self.as_("owner", "select missions.reveal_hint(%s, 1)", mission)
        return {"id": mission, "evidence": evidence}

    def make_ev(self) -> dict[str, str]:
        """A deletable evidence file of the shared working mission."""
        mission = self.shared("lm_working")["id"]
        return {"mission": mission, "id": self._evidence(mission, uuid.uuid4().bytes)}

    def make_lm_decide(self) -> dict[str, str]:
        """Subtask 1 done: the containment decision is open."""
        mission = self._start(full_spec)
        self._evidence(mission)
        self._save(mission, subtask=1, done=True)
        return {"id": mission}

    def make_lm_ready(self) -> dict[str, str]:
        """Every subtask done: ready to submit."""
        mission = self._start(short_spec)
        self._save(mission, subtask=1, done=True)
        self._save(mission, subtask=2, done=True)
        return {"id": mission}

    def _submitted(self) -> dict[str, str]:
        mission = self._start(short_spec)
        evidence = self._evidence(mission)
        self._save(mission, subtask=1, done=True)
        self._save(mission, subtask=2, done=True)
        self.as_("owner", "select missions.submit_learning_mission(%s)", mission)
        return {"id": mission, "evidence": evidence}

    def _ai_step(self, mission: str) -> str:
        return str(self.value("select id from missions_private.steps where mission_id = %s and kind = 'ai_review'",
                              mission))

    def _ai_review(self, mission: str) -> None:
        """The built-in reviewer claims, scores and completes the mission's AI review."""
        reviewer, step = {"id": REVIEWER_ID, "role": "agent"}, self._ai_step(mission)
        token = self.as_(reviewer, "select lease_token from missions.claim_mission_step(%s, %s)",
                         step, REVIEWER_ID)["lease_token"]
        result = self.as_(reviewer, "select missions.rules_review(%s, %s, %s) as r", step, REVIEWER_ID, token)["r"]
        self.as_(reviewer, "select id from missions.complete_step(%s, %s, %s, %s::jsonb)",
                 step, REVIEWER_ID, token, json.dumps(result))

    def make_lm_ai_reviewed(self) -> dict[str, str]:
        """AI-reviewed, waiting for the (PREMIUM) owner to accept it or ask a mentor."""
        mission = self._submitted()
        self._ai_review(mission["id"])
        return mission

    def make_lm_ai_leased(self) -> dict[str, str]:
        """Submitted; the world's agent holds the lease on its AI review step."""
        mission = self._submitted()
        step = self._ai_step(mission["id"])
        claim = self.as_("agent", "select lease_token from missions.claim_mission_step(%s, %s)",
                         step, self.p["agent"]["id"])
        return {**mission, "step": step, "token": str(claim["lease_token"])}

    def make_lm_mentor(self) -> dict[str, str]:
        """A mentor review was requested (any mentor may read it now)."""
        mission = self.make_lm_ai_reviewed()
        self.as_("owner", "select missions.request_mentor_review(%s)", mission["id"])
        return mission

    def make_lm_claimed(self) -> dict[str, str]:
        """The world's mentor holds the claim on the mentor review."""
        mission = self.make_lm_mentor()
        self.as_("mentor", "select step_id from missions.claim_mentor_review(%s, %s)", mission["id"],
                 self.p["mentor"]["id"])
        return mission

    def make_recipe(self) -> str:
        slug = _uniq("rm-recipe")
        self.su.execute("select missions.upsert_recipe(%s::jsonb)", (json.dumps(
            {"slug": slug, "title": "Read auth logs", "type": "technical", "skills": ["siem"]}),))
        self.su.execute("select missions.link_recipe(%s, %s, 1)", (slug, self.shared("lt")))
        return slug

    # ---- rows only the RLS test reads -----------------------------------------------------------

    def populate(self) -> None:
        """Give the owner a row in every participant table: a completed (rewarded) mission of each face,
        a check-in, an alert, recipe usage and recommendations, a decision, hints and notes."""
        if self._shared.get("populated"):
            return
        easy = self._template("EASY")
        done = self.as_("owner", "select id from missions.assign_mission(%s, %s)", self.owner, easy)["id"]
        self.as_("owner", "select id from missions.start_mission(%s)", done)
        self.as_("owner", "select id from missions.submit_mission(%s)", done)
        self.as_("owner", "select checked_in from missions.check_in(%s)", self.owner)
        self.shared("alert")
        self.as_("owner", "select views from missions.track_recipe_usage(%s, %s, 'viewed')",
                 self.owner, self.shared("recipe"))
        learned = self.make_lm_claimed()["id"]
        review = {"decision": "approve", "recipes": [self.shared("recipe")],
                  "scores": [{"subtask": 1, "score": 90}, {"subtask": 2, "score": 80}]}
        self.as_("mentor", "select missions.complete_mentor_review(%s, %s, %s::jsonb)",
                 learned, self.p["mentor"]["id"], json.dumps(review))
        chosen = self.make_lm_decide()["id"]
        self.as_("owner", "select missions.choose_decision(%s, 'containment', 'isolate')", chosen)
        self.shared("lm_working")
        self._shared["populated"] = "yes"
