"""The role matrix: who may call each SQL function and each HTTP operation (README "who may call" / "who" /
"auth" columns), one row per operation, read by tests/test_role_matrix.py.

`expect` holds one token per role, in the order of ROLES:

    anon  owner  other  mentor  admin  agent  service

- `+` allowed and succeeds (SQL: no error; HTTP: 2xx);
- `-` refused (SQL: 42501, MS401, MS403 or MS404; HTTP: 401, 403 or 404);
- anything else: allowed, but this business error is the expected outcome (a SQLSTATE for SQL, an HTTP
  status for HTTP), e.g. MS412 when an admin completes a mentor review another mentor holds.

Arguments point at the owner's objects of the world (tests/helpers/role_matrix_world.py): `{name}` or
`{name.field}` is a world object (`{owner}` a principal id), `{me}` the calling principal's id (for the
actor arguments: reviewer, approver, agent, mentor, responder). HTTP rows list in `fresh` the objects their
call changes: those are built anew for every cell (HTTP writes commit), the rest are shared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ROLES = ("anon", "owner", "other", "mentor", "admin", "agent", "service")

# Common rows of expectations.
EVERYONE = "- + + + + + +"      # every principal (the app's unbound session is not one)
OWN = "- + - - + - +"           # a participant's own data; admins and services for anyone
STAFF = "- - - - + - +"         # admins and services
AGENT_FACE = "- + - - + + +"    # agents, the mission's owner, staff (another participant: hidden)
LISTERS = "- + + - + + +"       # agent-face lists: everyone sees what is theirs (mentors have no agent face)
AGENT_ONLY = "- - - - - + -"    # the agent itself (a lease, a claim): staff are not agents (MS403)
AGENTS_STAFF = "- - - - + + +"
ADMIN_ONLY = "- - - - + - -"    # admins (a service manages only what it made)
ANALYSTS = "- - - + + - +"      # learning analytics readers, the mentor review queue
READERS_MENTOR = "- + - + + - +"  # a learning mission in mentor review: learner, staff, a designated mentor
READERS_AGENT = "- + - - + + +"   # a submitted learning mission whose AI review the (designated) agent holds


@dataclass(frozen=True)
class Sql:
    """One SQL function of schema `missions`: `select * from missions.<function>(<args>)`."""
    function: str
    args: str
    expect: str
    note: str = ""


@dataclass(frozen=True)
class Http:
    """One HTTP operation (by OpenAPI operationId): `<method> <path>` with a JSON body (or a multipart upload)."""
    operation: str
    request: str
    expect: str
    body: Any = None
    fresh: tuple[str, ...] = ()
    upload: bool = False
    note: str = ""


MENTOR_VERDICT = {"decision": "approve", "scores": [{"subtask": 1, "score": 90}, {"subtask": 2, "score": 80}]}
SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256(b"abc")

SQL: list[Sql] = [
    # ---- identity and operations ------------------------------------------------------------------
    Sql("now", "", "+ + + + + + +"),
    Sql("whoami", "", EVERYONE),
    Sql("principal", "{owner}", "- + - - + - +", "others' principals are hidden (MS404)"),
    Sql("create_principal", "'participant', 'Matrix'", STAFF),
    Sql("enroll_principal", "'participant', 'Matrix'", STAFF),
    Sql("update_principal", "{owner}, '{\"display_name\": \"Owner\", \"timezone\": \"UTC\"}'", OWN,
        "a participant only their own display name and time zone; mentors and agents: 42501"),
    Sql("search_principals", "'participant', 'matrix'", STAFF),
    Sql("create_api_key", "{owner}", STAFF),
    Sql("api_keys", "{owner}", STAFF),
    Sql("revoke_api_key", "{api_key}", STAFF),
    Sql("authenticate", "'mk_nobody_secret'", "+ - - - - - -", "the app's login role only"),
    Sql("health", "", "+ - - - + - +"),
    Sql("metrics", "", "+ - - - + - +"),
    Sql("cron_jobs", "", STAFF),
    Sql("check_invariants", "", STAFF),
    Sql("purge_idempotency_keys", "", STAFF),
    # ---- engagement ---------------------------------------------------------------------------------
    Sql("create_template", """'{"title": "Matrix", "skill_domain": "SOFT", "difficulty": "EASY"}'::jsonb""", STAFF),
    Sql("update_template", """{tpl}, '{"title": "Renamed"}'::jsonb""", STAFF),
    Sql("set_template_active", "{tpl}, true", STAFF),
    Sql("templates", "", EVERYONE),
    Sql("available_missions", "{owner}", OWN),
    Sql("assign_mission", "{owner}, {tpl_new}", OWN),
    Sql("start_mission", "{m_assigned}", OWN),
    Sql("submit_mission", "{m_working}, null, 'my proof'", OWN),
    Sql("approve_mission", "{m_submitted}, {me}", STAFF),
    Sql("fail_mission", "{m_submitted}, {me}, 'not enough'", STAFF),
    Sql("participant_missions", "{owner}", OWN),
    Sql("pending_reviews", "", STAFF),
    Sql("check_in", "{owner}", OWN),
    Sql("credit", "{owner}, 'MOMENTUM', 5, 'matrix'", STAFF),
    Sql("debit", "{owner}, 'MOMENTUM', 1, 'matrix'", STAFF),
    Sql("balances", "{owner}", OWN),
    Sql("ledger", "{owner}", OWN),
    Sql("participant_stats", "{owner}", OWN),
    Sql("admin_stats", "", STAFF),
    Sql("alerts", "", "- + + - + - +", "participants see their own alerts"),
    Sql("resolve_alert", "{alert}, {me}, 'handled'", STAFF),
    Sql("post_to_wall", "{owner}, 'hello'", OWN),
    Sql("wall_feed", "", EVERYONE),
    Sql("set_campaign_hashtag", "'#Cycle29'", STAFF),
    Sql("set_check_in_on_request", "false", STAFF),
    Sql("stipend_tiers", "", EVERYONE),
    Sql("notifications", "", EVERYONE, "every principal reads its own inbox only"),
    Sql("unread_notification_count", "", EVERYONE),
    Sql("mark_notifications_read", "", EVERYONE),
    Sql("event_stream_page", "", EVERYONE, "the event log's row-level security decides which events"),
    Sql("maintain_event_partitions", "", STAFF, "a daily job"),
    Sql("apply_retention", "", STAFF, "an hourly job"),
    Sql("touch_event_stream_listener", "gen_random_uuid()", "+ - - - - - -", "the HTTP app's listener"),
    # ---- webhooks: admins manage every subscription, services their own (the world's is an owner session's) --
    Sql("create_webhook_subscription", "'https://hooks.example.com/in', '{mission.*}'", STAFF),
    Sql("webhook_subscriptions", "", STAFF),
    Sql("webhook_subscription", "{hook}", ADMIN_ONLY),
    Sql("update_webhook_subscription", "{hook}, p_description => 'changed'", ADMIN_ONLY),
    Sql("delete_webhook_subscription", "{hook}", ADMIN_ONLY),
    Sql("rotate_webhook_secret", "{hook}", ADMIN_ONLY),
    Sql("webhook_deliveries", "{hook}", ADMIN_ONLY),
    Sql("webhook_delivery", "{hook_delivery}", ADMIN_ONLY),
    Sql("redeliver_webhook", "{hook_delivery}", ADMIN_ONLY),
    Sql("enqueue_webhook_deliveries", "'{}'", "+ - - - - - -", "the worker, as the app's login role"),
    Sql("webhook_delivery_to_send", "{hook_delivery}", "+ - - - - - -", "the worker, as the app's login role"),
    Sql("record_webhook_attempt", "{hook_delivery}, 204, 5, null", "+ - - - - - -", "the worker, as the app's login role"),
    Sql("notify_streaks_at_risk", "", STAFF),
    Sql("stipend_tier", "{owner}", OWN),
    Sql("set_stipend_tier", "'SUPPORT', 1, 'MOMENTUM', 40", STAFF),
    Sql("delete_stipend_tier", "{tier}", STAFF),
    Sql("assign_daily_missions", "", STAFF),
    Sql("assign_weekly_missions", "", STAFF),
    Sql("apply_momentum_decay", "", STAFF),
    Sql("expire_missions", "", STAFF),
    Sql("recalculate_wall_ranks", "", STAFF),
    Sql("pause_inactive_participants", "", STAFF),
    # ---- agent face ---------------------------------------------------------------------------------
    Sql("upsert_step_kind", """'rm_kind', '{"trusted": false}'::jsonb""", STAFF),
    Sql("step_kinds", "", AGENTS_STAFF),
    Sql("reviewers", "'ai_review'", STAFF),
    Sql("designate_reviewer", "'ai_review', {spare_agent}", STAFF),
    Sql("revoke_reviewer", "'ai_review', {agent}", STAFF, "the world's agent (rolled back)"),
    Sql("check_quota", "'task'", AGENTS_STAFF),
    Sql("create_agent_mission", "jsonb_build_object('type', 'persistent', 'title', 'Matrix', 'owner_id', {owner})",
        AGENT_FACE, "a persistent mission for the owner"),
    Sql("approve_agent_mission", "{am_proposed.id}, {me}", OWN, "a person: the owner or staff"),
    Sql("agent_mission", "{am.id}", AGENT_FACE),
    Sql("list_agent_missions", "", LISTERS),
    Sql("update_agent_mission", """{am.id}, '{"priority": "high"}'::jsonb""", AGENT_FACE),
    Sql("add_task", """{am.id}, '{"title": "More"}'::jsonb""", AGENT_FACE),
    Sql("update_task", """{am.id}, {am.step}, '{"title": "Renamed"}'::jsonb""", AGENT_FACE),
    Sql("block_task", "{am.id}, {am.step}, 'rm:block'", AGENT_FACE),
    Sql("unblock_task", "{am_blocked.id}, {am_blocked.step}", AGENT_FACE),
    Sql("replan_mission", """{am.id}, '{"tasks": [{"title": "New"}]}'::jsonb""", AGENT_FACE),
    Sql("recent_agent_missions", "", LISTERS),
    Sql("log_mission_event", "{am.id}, 'note', '{}'::jsonb", AGENT_FACE),
    Sql("resume_mission", "{am.id}", AGENT_FACE),
    Sql("request_human_input", "{am.id}, {am.step}, 'Proceed?'", AGENT_FACE),
    Sql("respond_to_input_request", """{ir.id}, {me}, '{"text": "yes"}'::jsonb""", OWN),
    Sql("input_requests", "", LISTERS),
    Sql("cancel_input_request", "{ir.id}", AGENTS_STAFF, "whoever asked (the world's agent) or staff"),
    Sql("wait_for_external_event", "{am.id}, {am.step}, 'rm:wait'", AGENTS_STAFF, "people cannot wait on keys"),
    Sql("deliver_external_event", "{ew.key}", "+ - - - + + +",
        "anon: the worker (app role); an agent only on keys steps of its missions wait on (else MS403)"),
    Sql("claim_mission_step", "{am.step}, {me}", AGENT_ONLY),
    Sql("claim_next_step", "{me}, ARRAY['health_check']", AGENT_ONLY),
    Sql("claim_next_steps", "{me}, ARRAY['health_check'], 2", AGENT_ONLY),
    Sql("complete_steps", "{me}, jsonb_build_array(jsonb_build_object('step_id', {lease.step}, 'lease_token', "
        "{lease.token}))", AGENT_ONLY, "a step refused answers its error; the batch needs the agent itself"),
    Sql("heartbeat_step", "{lease.step}, {me}, {lease.token}", AGENT_ONLY),
    Sql("complete_step", "{lease.step}, {me}, {lease.token}", AGENT_ONLY),
    Sql("fail_step", "{lease.step}, {me}, {lease.token}, 'boom'", AGENT_ONLY),
    Sql("release_step", "{lease.step}, {me}, {lease.token}", AGENT_ONLY),
    Sql("expire_claims", "", STAFF),
    Sql("expire_input_requests", "", STAFF),
    Sql("check_autonomous_missions", "", STAFF),
    # ---- learning face --------------------------------------------------------------------------------
    Sql("create_learning_template", """'{"code": "RM-NEW", "title": "New", "tier": "beginner", "track": "grc",
        "subtasks": [{"title": "One"}]}'::jsonb""", STAFF),
    Sql("set_template_rubric", """{lt}, '[{"subtask": 1, "criterion": "Logs", "weight": 1}]'::jsonb""", STAFF),
    Sql("learning_template", "{lt}", EVERYONE),
    Sql("learning_templates", "", EVERYONE),
    Sql("learning_dashboard", "{owner}", OWN),
    Sql("start_learning_mission", "{owner}, {lt_new}", OWN),
    Sql("learning_progress", "{lm_mentor.id}", READERS_MENTOR),
    Sql("save_mission_progress", """{lm_working.id}, '{"subtask": 1, "notes": "more"}'::jsonb""", OWN),
    Sql("mission_hints", "{lm_mentor.id}, 1", READERS_MENTOR),
    Sql("reveal_hint", "{lm_working.id}, 1", OWN),
    Sql("mission_decisions", "{lm_working.id}", OWN, "no mentor review requested: mentors do not read it"),
    Sql("choose_decision", "{lm_decide.id}, 'containment', 'isolate'", OWN),
    Sql("evidence_limits", "", EVERYONE),
    Sql("set_evidence_limits", "null, null, null", STAFF),
    Sql("add_evidence", f"{{lm_working.id}}, 1, 'abc.txt', 'text/plain', 3, '{SHA_ABC}'", OWN,
        "the app's session acting for them (as here), or a service; a direct SQL login: MS403 (test_evidence_trust)"),
    Sql("evidence_file", "{lm_mentor.evidence}", READERS_MENTOR),
    Sql("delete_evidence", "{lm_working.evidence}", OWN),
    Sql("submit_learning_mission", "{lm_ready.id}", OWN),
    Sql("review_packet", "{lm_ai_leased.id}", READERS_AGENT),
    Sql("rules_review", "{lm_ai_leased.step}, {me}, {lm_ai_leased.token}", AGENT_ONLY),
    Sql("ai_review", "{lm_ai_leased.id}", READERS_AGENT),
    Sql("accept_ai_review", "{lm_ai_reviewed.id}", OWN),
    Sql("request_mentor_review", "{lm_ai_reviewed.id}", OWN),
    Sql("mentor_reviews", "", ANALYSTS),
    Sql("claim_mentor_review", "{lm_mentor.id}, {me}", "- - - + - - -",
        "designated mentors (or admins): the world's admin is not designated (MS403), services never"),
    Sql("complete_mentor_review", "{lm_claimed.id}, {me}, '" + json.dumps(MENTOR_VERDICT) + "'::jsonb",
        "- - - + MS412 - -", "the claiming mentor; an admin without the claim: lease lost"),
    Sql("mentor_review", "{lm_mentor.id}", READERS_MENTOR),
    Sql("portfolio", "{owner}", OWN),
    Sql("skill_signals", "{owner}", OWN),
    Sql("warn_learning_deadlines", "", STAFF),
    Sql("auto_submit_learning_missions", "", STAFF),
    # ---- recipes and analytics ------------------------------------------------------------------------
    Sql("upsert_recipe", """'{"slug": "rm-upserted", "title": "T", "type": "concept"}'::jsonb""", STAFF),
    Sql("delete_recipe", "{recipe}", STAFF),
    Sql("recipe", "{recipe}", EVERYONE),
    Sql("recipes", "", EVERYONE),
    Sql("link_recipe", "{recipe}, {lt}, 2", STAFF),
    Sql("unlink_recipe", "{recipe}, {lt}, 1", STAFF),
    Sql("track_recipe_usage", "{owner}, {recipe}, 'viewed'", OWN),
    Sql("recommend_recipes", "{owner}, {lm_working.id}", OWN),
    Sql("mission_performance", "", ANALYSTS),
    Sql("step_funnel", "{lt}", ANALYSTS),
    Sql("completion_heatmap", "", ANALYSTS),
    Sql("participant_benchmarks", "", "- + + + + - +", "a participant gets their own row"),
    Sql("recipe_effectiveness", "", ANALYSTS),
    Sql("cohort_dashboard", "", ANALYSTS),
    Sql("recipe_usage_stats", "", ANALYSTS),
    Sql("decision_paths", "{lt}", ANALYSTS),
    Sql("tool_usage", "{lt}", ANALYSTS),
    Sql("refresh_learning_analytics", "", STAFF),
]

LEASE = {"leaseToken": "{lease.token}"}
PROGRESS = "/api/v1/mission-progress"
AGENT_MISSIONS = "/api/internal/missions"

HTTP: list[Http] = [
    # ---- system, principals, keys ---------------------------------------------------------------------
    Http("getHealth", "GET /health", "+ + + + + + +"),
    Http("getMetrics", "GET /metrics", "+ + + + + + +"),
    Http("getMe", "GET /me", EVERYONE),
    Http("listNotifications", "GET /notifications", EVERYONE),
    Http("countUnreadNotifications", "GET /notifications/unread-count", EVERYONE),
    Http("markNotificationsRead", "POST /notifications/read", EVERYONE, {}),
    Http("streamEvents", "GET /events/stream", EVERYONE, note="the matrix closes each stream at once"),
    Http("createWebhookSubscription", "POST /webhooks/subscriptions", STAFF,
         {"url": "https://hooks.example.com/in", "eventTypes": ["mission.*"]}),
    Http("listWebhookSubscriptions", "GET /webhooks/subscriptions", STAFF),
    Http("getWebhookSubscription", "GET /webhooks/subscriptions/{hook}", ADMIN_ONLY),
    Http("updateWebhookSubscription", "PATCH /webhooks/subscriptions/{hook}", ADMIN_ONLY, {"description": "changed"}),
    Http("deleteWebhookSubscription", "DELETE /webhooks/subscriptions/{hook}", ADMIN_ONLY, fresh=("hook",)),
    Http("rotateWebhookSecret", "POST /webhooks/subscriptions/{hook}/rotate-secret", ADMIN_ONLY, {"overlapSeconds": 60},
         fresh=("hook",)),
    Http("listWebhookDeliveries", "GET /webhooks/subscriptions/{hook}/deliveries", ADMIN_ONLY),
    Http("getWebhookDelivery", "GET /webhooks/deliveries/{hook_delivery}", ADMIN_ONLY),
    Http("redeliverWebhook", "POST /webhooks/deliveries/{hook_delivery}/redeliver", ADMIN_ONLY, fresh=("hook_delivery",)),
    Http("getPrincipal", "GET /principals/{owner}", "- + - - + - +"),
    Http("updatePrincipal", "PATCH /principals/{owner}", OWN, {"displayName": "Owner", "timezone": "UTC"},
         note="the owner's own values: every cell is allowed or refused, none changes the world"),
    Http("searchPrincipals", "GET /principals?role=participant&cohort=matrix&q=own", STAFF),
    Http("listApiKeys", "GET /admin/principals/{owner}/api-keys", STAFF),
    Http("createApiKey", "POST /admin/principals/{owner}/api-keys", STAFF, {"label": "matrix"}),
    Http("createPrincipal", "POST /admin/principals", STAFF, {"role": "participant", "displayName": "Matrix"}),
    Http("revokeApiKey", "DELETE /admin/api-keys/{api_key}", STAFF, fresh=("api_key",)),
    # ---- engagement -----------------------------------------------------------------------------------
    Http("listTemplates", "GET /missions/all", EVERYONE),
    Http("listMissions", "GET /missions/{owner}", OWN),
    Http("listAvailableMissions", "GET /missions/{owner}/available", OWN),
    Http("listActiveMissions", "GET /missions/{owner}/active", OWN),
    Http("getParticipantStats", "GET /missions/{owner}/stats", OWN),
    Http("assignMission", "POST /missions/{owner}/assign/{tpl_new}", OWN, {"deadlineDays": 7}, fresh=("tpl_new",)),
    Http("startMission", "POST /missions/{owner}/start/{m_assigned}", OWN, fresh=("m_assigned",)),
    Http("submitMission", "POST /missions/{owner}/submit/{m_working}", OWN, {"proofText": "proof"},
         fresh=("m_working",)),
    Http("checkIn", "POST /missions/{owner}/check-in", OWN),
    Http("getBalances", "GET /missions/{owner}/balances", OWN),
    Http("getLedger", "GET /missions/{owner}/ledger", OWN),
    Http("credit", "POST /missions/{owner}/credit", STAFF, {"currency": "MOMENTUM", "amount": 5, "reason": "m"}),
    Http("debit", "POST /missions/{owner}/debit", STAFF, {"currency": "MOMENTUM", "amount": 1, "reason": "m"}),
    Http("postToWall", "POST /missions/{owner}/wall", OWN, {"body": "hello"}),
    Http("getWallFeed", "GET /wall", EVERYONE),
    Http("createTemplate", "POST /missions/admin/create", STAFF,
         {"title": "Matrix", "skillDomain": "SOFT", "difficulty": "EASY"}),
    Http("updateTemplate", "PATCH /missions/admin/{tpl}", STAFF, {"title": "Renamed"}),
    Http("setTemplateActive", "PATCH /missions/admin/{tpl}/status", STAFF, {"isActive": True}),
    Http("listPendingReviews", "GET /missions/admin/pending", STAFF),
    Http("approveMission", "POST /missions/admin/{m_submitted}/approve", STAFF, fresh=("m_submitted",)),
    Http("failMission", "POST /missions/admin/{m_submitted}/fail", STAFF, {"reason": "no"}, fresh=("m_submitted",)),
    Http("assignDailyMissions", "POST /missions/admin/assign-daily", STAFF),
    Http("getAdminStats", "GET /missions/admin/stats", STAFF),
    Http("setCampaignHashtag", "PUT /missions/admin/campaign-hashtag", STAFF, {"hashtag": "#Cycle29"}),
    Http("setCheckInOnRequest", "PUT /missions/admin/check-in-on-request", STAFF, {"enabled": True}),
    Http("getStipendTier", "GET /missions/{owner}/stipend-tier", OWN),
    Http("listStipendTiers", "GET /stipend-tiers", EVERYONE),
    Http("setStipendTier", "PUT /stipend-tiers/SUPPORT", STAFF, {"rank": 1, "currency": "MOMENTUM", "minBalance": 30}),
    Http("deleteStipendTier", "DELETE /stipend-tiers/{tier}", STAFF, fresh=("tier",)),
    Http("listAlerts", "GET /alerts", "- + + - + - +", note="participants see their own"),
    Http("resolveAlert", "POST /alerts/{alert}/resolve", STAFF, {"notes": "ok"}, fresh=("alert",)),
    # ---- agent face -----------------------------------------------------------------------------------
    Http("listAgentMissions", f"GET {AGENT_MISSIONS}", LISTERS),
    Http("createAgentMission", f"POST {AGENT_MISSIONS}", AGENT_FACE,
         {"type": "persistent", "title": "Matrix", "ownerId": "{owner}"}),
    Http("getAgentMission", f"GET {AGENT_MISSIONS}/{{am.id}}", AGENT_FACE),
    Http("updateAgentMission", f"PATCH {AGENT_MISSIONS}/{{am.id}}", AGENT_FACE, {"priority": "high"}),
    Http("approveAgentMission", f"POST {AGENT_MISSIONS}/{{am_proposed.id}}/approve", OWN, fresh=("am_proposed",)),
    Http("addTask", f"POST {AGENT_MISSIONS}/{{am.id}}/tasks", AGENT_FACE, {"title": "More"}),
    Http("updateTask", f"PATCH {AGENT_MISSIONS}/{{am.id}}/tasks/{{am.step}}", AGENT_FACE, {"title": "Renamed"}),
    Http("blockTask", f"POST {AGENT_MISSIONS}/{{am.id}}/tasks/{{am.step}}/block", AGENT_FACE,
         {"blockedBy": "rm:block"}, fresh=("am",)),
    Http("unblockTask", f"POST {AGENT_MISSIONS}/{{am_blocked.id}}/tasks/{{am_blocked.step}}/unblock", AGENT_FACE,
         fresh=("am_blocked",)),
    Http("replanMission", f"POST {AGENT_MISSIONS}/{{am.id}}/replan", AGENT_FACE, {"tasks": [{"title": "New"}]},
         fresh=("am",)),
    Http("listRecentAgentMissions", f"GET {AGENT_MISSIONS}/recent", LISTERS),
    Http("waitForExternalEvent", f"POST {AGENT_MISSIONS}/{{am.id}}/tasks/{{am.step}}/wait", AGENTS_STAFF,
         {"key": "rm:wait"}, fresh=("am",)),
    Http("logMissionEvent", f"POST {AGENT_MISSIONS}/{{am.id}}/events", AGENT_FACE, {"type": "note", "payload": {}}),
    Http("resumeMission", f"POST {AGENT_MISSIONS}/{{am.id}}/resume", AGENT_FACE),
    Http("requestHumanInput", f"POST {AGENT_MISSIONS}/{{am.id}}/input-requests", AGENT_FACE,
         {"prompt": "Proceed?", "stepId": "{am.step}"}, fresh=("am",)),
    Http("claimStep", "POST /api/internal/steps/{am.step}/claim", AGENT_ONLY, fresh=("am",)),
    Http("claimNextStep", "POST /api/internal/steps/claim-next", AGENT_ONLY, {"kinds": ["health_check"]},
         fresh=("ops",), note="200 with a claim, or 204"),
    Http("claimStepBatch", "POST /api/internal/steps/claim-batch", AGENT_ONLY, {"kinds": ["health_check"], "limit": 2},
         fresh=("ops",)),
    Http("completeStepBatch", "POST /api/internal/steps/complete-batch", AGENT_ONLY,
         {"completions": [{"stepId": "{lease.step}", "leaseToken": "{lease.token}", "result": {"ok": True}}]},
         fresh=("lease",)),
    Http("heartbeatStep", "POST /api/internal/steps/{lease.step}/heartbeat", AGENT_ONLY, LEASE, fresh=("lease",)),
    Http("completeStep", "POST /api/internal/steps/{lease.step}/complete", AGENT_ONLY,
         {**LEASE, "result": {"ok": True}}, fresh=("lease",)),
    Http("failStep", "POST /api/internal/steps/{lease.step}/fail", AGENT_ONLY, {**LEASE, "error": "boom"},
         fresh=("lease",)),
    Http("releaseStep", "POST /api/internal/steps/{lease.step}/release", AGENT_ONLY, LEASE, fresh=("lease",)),
    Http("checkQuota", "GET /api/internal/quotas/task", AGENTS_STAFF),
    Http("listStepKinds", "GET /api/internal/step-kinds", AGENTS_STAFF),
    Http("upsertStepKind", "PUT /api/internal/step-kinds/rm_kind", STAFF, {"trusted": False}),
    Http("listReviewers", "GET /api/internal/step-kinds/ai_review/reviewers", STAFF),
    Http("designateReviewer", "PUT /api/internal/step-kinds/ai_review/reviewers/{spare_agent}", STAFF,
         fresh=("spare_agent",)),
    Http("revokeReviewer", "DELETE /api/internal/step-kinds/ai_review/reviewers/{rv}", STAFF, fresh=("rv",)),
    Http("listInputRequests", "GET /api/internal/input-requests", LISTERS),
    Http("respondToInputRequest", "POST /api/internal/input-requests/{ir.id}/respond", OWN,
         {"response": {"text": "yes"}}, fresh=("ir",)),
    Http("cancelInputRequest", "POST /api/internal/input-requests/{ir.id}/cancel", AGENTS_STAFF, fresh=("ir",),
         note="whoever asked (the world's agent) or staff"),
    Http("deliverExternalEvent", "POST /api/internal/external-events", AGENTS_STAFF, {"key": "{ew.key}"},
         fresh=("ew",), note="the agent made the step wait; other agents: MS403 (tests/test_inbox.py)"),
    # ---- learning face --------------------------------------------------------------------------------
    Http("getLearningDashboard", "GET /api/v1/missions/dashboard?participant_id={owner}", OWN),
    Http("startLearningMission", "POST /api/v1/missions/{lt_new}/start?participant_id={owner}", OWN,
         fresh=("lt_new",)),
    Http("getMissionProgress", f"GET {PROGRESS}/{{lm_mentor.id}}", READERS_MENTOR),
    Http("saveMissionProgress", f"PATCH {PROGRESS}/{{lm_working.id}}", OWN, {"subtask": 1, "notes": "more"}),
    Http("uploadEvidence", f"POST {PROGRESS}/{{lm_working.id}}/files", OWN, upload=True),
    Http("downloadEvidence", f"GET {PROGRESS}/{{lm_mentor.id}}/files/{{lm_mentor.evidence}}", READERS_MENTOR),
    Http("deleteEvidence", f"DELETE {PROGRESS}/{{ev.mission}}/files/{{ev.id}}", OWN, fresh=("ev",)),
    Http("submitLearningMission", f"POST {PROGRESS}/{{lm_ready.id}}/submit", OWN, fresh=("lm_ready",)),
    Http("getAiReview", f"GET {PROGRESS}/{{lm_ai_leased.id}}/ai-review", READERS_AGENT),
    Http("acceptAiReview", f"POST {PROGRESS}/{{lm_ai_reviewed.id}}/ai-review/accept", OWN,
         fresh=("lm_ai_reviewed",)),
    Http("requestMentorReview", f"POST {PROGRESS}/{{lm_ai_reviewed.id}}/mentor-review", OWN,
         fresh=("lm_ai_reviewed",)),
    Http("getMentorReview", f"GET {PROGRESS}/{{lm_mentor.id}}/mentor-review", READERS_MENTOR),
    Http("claimMentorReview", f"POST {PROGRESS}/{{lm_mentor.id}}/mentor-review/claim", "- - - + - - -",
         fresh=("lm_mentor",), note="designated mentors (or admins): the world's admin is not designated"),
    Http("completeMentorReview", f"POST {PROGRESS}/{{lm_claimed.id}}/mentor-review/complete", "- - - + 409 - -",
         MENTOR_VERDICT, fresh=("lm_claimed",), note="the claiming mentor; an admin without the claim: lease lost"),
    Http("listMentorReviews", "GET /api/v1/mentor-reviews", ANALYSTS),
    Http("listDecisions", "GET /api/v1/missions/{lm_working.id}/decisions", OWN),
    Http("chooseDecision", "POST /api/v1/missions/{lm_decide.id}/decisions/containment/choose", OWN,
         {"choice": "isolate"}, fresh=("lm_decide",)),
    Http("getHints", "GET /api/v1/missions/{lm_mentor.id}/hints/1", READERS_MENTOR),
    Http("revealHint", "POST /api/v1/missions/{lm_working.id}/hints/1", OWN),
    Http("getPortfolio", "GET /api/v1/portfolio?participant_id={owner}", OWN),
    Http("getSkillSignals", "GET /api/v1/skill-signals?participant_id={owner}", OWN),
    Http("listLearningTemplates", "GET /api/v1/learning-templates", EVERYONE),
    Http("createLearningTemplate", "POST /api/v1/learning-templates", STAFF,
         {"code": "{code}", "title": "New", "tier": "beginner", "track": "grc", "subtasks": [{"title": "One"}]},
         fresh=("code",)),
    Http("getLearningTemplate", "GET /api/v1/learning-templates/{lt}", EVERYONE),
    Http("setTemplateRubric", "PUT /api/v1/learning-templates/{lt}/rubric", STAFF,
         {"criteria": [{"subtask": 1, "criterion": "Logs", "weight": 1}]}),
    # ---- recipes and analytics ------------------------------------------------------------------------
    Http("listRecipes", "GET /api/v1/recipes", EVERYONE),
    Http("createRecipe", "POST /api/v1/recipes", STAFF, {"slug": "rm-created", "title": "T", "type": "concept"}),
    Http("getRecipe", "GET /api/v1/recipes/{recipe}", EVERYONE),
    Http("putRecipe", "PUT /api/v1/recipes/rm-put", STAFF, {"title": "T", "type": "concept"}),
    Http("deleteRecipe", "DELETE /api/v1/recipes/{recipe}", STAFF, fresh=("recipe",)),
    Http("linkRecipe", "POST /api/v1/recipes/{recipe}/links", STAFF, {"templateId": "{lt}", "subtask": 2}),
    Http("unlinkRecipe", "DELETE /api/v1/recipes/{recipe}/links?template_id={lt}&subtask=3", STAFF),
    Http("trackRecipeUsage", "POST /api/v1/recipes/{recipe}/usage", OWN,
         {"event": "viewed", "participantId": "{owner}"}),
    Http("recommendRecipes", f"GET {PROGRESS}/{{lm_working.id}}/recipes", OWN),
    Http("getMissionPerformance", "GET /api/v1/missions/analytics/performance", ANALYSTS),
    Http("getStepFunnel", "GET /api/v1/missions/analytics/funnel?template_id={lt}", ANALYSTS),
    Http("getCompletionHeatmap", "GET /api/v1/missions/analytics/heatmap", ANALYSTS),
    Http("getParticipantBenchmarks", "GET /api/v1/missions/analytics/benchmarks", "- + + + + - +"),
    Http("getCohortDashboard", "GET /api/v1/missions/analytics/cohorts", ANALYSTS),
    Http("getRecipeEffectiveness", "GET /api/v1/recipes/analytics/effectiveness", ANALYSTS),
    Http("getRecipeUsageStats", "GET /api/v1/recipes/analytics/usage-stats", ANALYSTS),
    Http("getDecisionPaths", "GET /api/v1/missions/analytics/decisions?template_id={lt}", ANALYSTS),
    Http("getToolUsage", "GET /api/v1/missions/analytics/tools?template_id={lt}", ANALYSTS),
    Http("refreshLearningAnalytics", "POST /api/v1/missions/analytics/refresh", STAFF),
]

# Relations of missions_private with participant data that every participant may read on purpose.
PUBLIC_BY_DESIGN: dict[str, str] = {
    "wall_posts": "the wall is public: wall_feed shows every post, with its author, to every principal",
}
# Columns that tie a row to a principal (directly or through its mission or step).
OWNER_COLUMNS = ("participant_id", "principal_id", "owner_id", "caller", "mission_id", "step_id")


def expectations(expect: str) -> dict[str, str]:
    tokens = expect.split()
    assert len(tokens) == len(ROLES), expect
    return dict(zip(ROLES, tokens))


def _check_unique(keys: list[str]) -> None:
    dupes = {k for k in keys if keys.count(k) > 1}
    assert not dupes, f"rows listed twice: {dupes}"


_check_unique([r.function for r in SQL])
_check_unique([r.operation for r in HTTP])
