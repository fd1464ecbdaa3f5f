"""What each argument of the MCP tools means, by snake_case field name: the descriptions a model reads in the
tools' input schemas (limits, enums and formats come from the HTTP API's own msgspec structs)."""

from __future__ import annotations

FIELD_DESCRIPTIONS: dict[str, str] = {
    # ids
    "mission_id": "Id (UUID) of the mission, as returned by mission_list or mission_create.",
    "task_id": "Id (UUID) of the task (a step of the mission), from the mission's `tasks`.",
    "step_id": "Id (UUID) of the step, as returned by step_claim_next (`stepId`) or in a mission's `tasks`.",
    "owner_id": "Principal id (UUID) of the person the mission is for (makes it a persistent mission).",
    "lead_agent_id": "Principal id (UUID) of the agent leading the mission (default: the calling agent).",
    "supporting_agent_ids": "Principal ids (UUIDs) of other agents that may work on the mission.",
    "agent_id": "Principal id (UUID) of the agent the event is about.",
    # missions
    "title": "Short human-readable title.",
    "description": "Longer free text: the goal, context, constraints.",
    "type": "ops: a plan of steps for agents; persistent: a long-running mission for a person, "
            "resumed across conversations. Default: persistent when it has an owner, else ops.",
    "priority": "low, normal, high or urgent (or 0..10); higher is handled first.",
    "status": "The new status (for missions: `active` means running).",
    "conversation_id": "The conversation this happens in (any string your agent uses to name one).",
    "due_at": "Deadline (RFC 3339 date-time, e.g. 2026-12-31T17:00:00Z); an unfinished mission expires after it.",
    "report_location": "Where the mission's report will be written (a path or URL).",
    "can_run_autonomously": "Whether agents may carry on without a person in the loop.",
    "blocked_by": "What blocks it: task:<task id> (another task of the mission) or an external reference such "
                  "as email_reply:<id>, cleared when an external event with that key arrives; null to clear.",
    "blocked_reason": "Why it is blocked, for people reading the mission.",
    "reason": "Why, recorded in the mission's event log.",
    "steps": "The plan: tasks in order (each depends on the previous one unless depends_on says otherwise).",
    "tasks": "The plan: tasks in order (each depends on the previous one unless depends_on says otherwise).",
    # tasks
    "kind": "Step kind (e.g. health_check, log_analysis); decides who may claim it, its lease and retries.",
    "optional": "Whether the mission may finish without this task.",
    "depends_on": "1-based positions of earlier tasks of the mission this task waits for ([] for none).",
    "input": "Free-form JSON input for whoever handles the task.",
    "result": "Free-form JSON result of the task.",
    # events
    "payload": "Free-form JSON details of the event.",
    "content": "The message text.",
    "metadata": "Free-form JSON metadata, stored with the event.",
    # listing and resuming
    "include_tasks": "Include each mission's tasks.",
    "include_recent_events": "How many of the most recent events to include per mission (0..500).",
    "recent_events": "How many of the most recent events to include (0..500).",
    "limit": "Page size.",
    "cursor": "The `nextCursor` of the previous page; omit for the first page.",
    "statuses": "Only missions in these statuses (`active`: every running state).",
    "priorities": "Only missions with these priorities.",
    # steps and leases
    "kinds": "Only steps of these kinds (default: every kind the caller may claim).",
    "lease_token": "The lease token from the claim (`leaseToken`); proves the caller still holds the step.",
    "error": "What went wrong (shown to people and kept with the attempt).",
    "retryable": "Whether to try the step again later (with backoff) while attempts remain.",
    "idempotency_key": "Any unique string: the same call with the same key again returns the first answer "
                       "instead of acting twice (use it when retrying after a timeout).",
    # human input and waits
    "prompt": "The question for the person.",
    "options": "Choices to offer (the person may also answer freely when allow_freeform is true).",
    "allow_freeform": "Whether the person may answer with free text besides the options.",
    "context": "Free-form JSON context shown with the question.",
    "urgency": "How soon an answer is needed: low, normal or high.",
    "expires_in_seconds": "Seconds until the question expires unanswered (60..2592000).",
    "key": "The external event key to wait for, e.g. email_reply:<tracking id>.",
}
