"""Every SQL statement the Python layer sends, by name, in one place.

Each one calls a function of the public `missions` schema: Python holds no rule. The last section holds the
plumbing around them (sessions, roles, the queue, the catalog checks of migrate and the CLI). SQL files applied
whole (sql/, migrations/) are not statements in this sense.
"""

from psycopg import sql

from app.config import APP_ROLE, OWNER_ROLE

# Resolve a bearer key and become its principal for the rest of the transaction.
AUTHENTICATE = """
select set_config('role', a.db_role, true) as role,
       set_config('missions.principal_id', a.principal_id::text, true)::uuid as principal_id,
       set_config('missions.traceparent', %(traceparent)s::text, true) as traceparent
from missions.authenticate(%(key)s::text) a
"""

HEALTH = "select missions.health() as health"
METRICS = "select name, help, type, labels, value from missions.metrics() order by name, labels::text"

WHOAMI = "select p.* from missions.whoami() p"
PRINCIPAL = "select p.* from missions.principal(%(id)s::uuid) p"
ENROLL_PRINCIPAL = """
select missions.enroll_principal(%(role)s::text, %(display_name)s::text, %(attrs)s::jsonb, %(label)s::text) as enrollment
"""
CREATE_API_KEY = "select missions.create_api_key(%(principal_id)s::uuid, %(label)s::text) as api_key"
REVOKE_API_KEY = "select k.* from missions.revoke_api_key(%(id)s::uuid) k"

# ---- paging ---------------------------------------------------------------------------------
# Every list takes %(limit)s and %(after)s (the page key of the previous page's last row, app/http/paging.py)
# and returns `page_key`: its row's key in the list's order, as JSON text, for the next cursor.


def _key(*fields: str) -> str:
    """`jsonb_build_object('f', x.f, ...)::text as page_key` for fields written as 'name=expression'."""
    pairs = ", ".join(f"'{f.split('=', 1)[0]}', {f.split('=', 1)[1]}" for f in fields)
    return f"pg_catalog.jsonb_build_object({pairs})::text as page_key"


PAGE = "%(limit)s::integer, %(after)s::jsonb"

API_KEYS = f"""select k.*, {_key('created_at=k.created_at', 'id=k.id')}
from missions.api_keys(%(principal_id)s::uuid, {PAGE}) k"""
UPDATE_PRINCIPAL = "select p.* from missions.update_principal(%(id)s::uuid, %(attrs)s::jsonb) p"
SEARCH_PRINCIPALS = f"""select p.*, {_key('display_name=p.display_name', 'id=p.id')}
from missions.search_principals(%(role)s::text, %(cohort)s::text, %(level)s::text, %(active)s::boolean, %(q)s::text,
  {PAGE}) p"""

# ---- engagement -------------------------------------------------------------------------------
# The acting principal's id, for functions that take the reviewer/admin explicitly.
_ME = "(select w.id from missions.whoami() w)"
MISSION_COLUMNS = """m.id, m.status, m.template_id, m.participant_id, m.title, m.origin, m.period, m.assigned_at,
  m.started_at, m.submitted_at, m.completed_at, m.expires_at, m.proof_url, m.proof_text, m.reviewed_by,
  m.review_note, m.created_at, m.repeat_key"""

_CHALLENGE_KEY = _key('created_at=c.created_at', 'id=c.id')
TEMPLATES = f"select c.*, {_CHALLENGE_KEY} from missions.templates({PAGE}) c"
AVAILABLE_MISSIONS = f"select c.*, {_CHALLENGE_KEY} from missions.available_missions(%(user_id)s::uuid, {PAGE}) c"
# create_template returns the id; update_template with an empty spec (volatile, so it sees the new row) returns it.
CREATE_TEMPLATE = "select c.* from missions.update_template(missions.create_template(%(spec)s::jsonb), '{}'::jsonb) c"
UPDATE_TEMPLATE = "select c.* from missions.update_template(%(id)s::uuid, %(spec)s::jsonb) c"
SET_TEMPLATE_ACTIVE = "select c.* from missions.set_template_active(%(id)s::uuid, %(active)s::boolean) c"

PARTICIPANT_MISSIONS = f"""select {MISSION_COLUMNS}, {_key('created_at=m.created_at', 'id=m.id')}
from missions.participant_missions(%(user_id)s::uuid, %(statuses)s::text[], {PAGE}) m"""
ASSIGN_MISSION = f"select {MISSION_COLUMNS} from missions.assign_mission(%(user_id)s::uuid, %(template_id)s::uuid, %(deadline_days)s::integer) m"
START_MISSION = f"select {MISSION_COLUMNS} from missions.start_mission(%(id)s::uuid, %(user_id)s::uuid) m"
SUBMIT_MISSION = f"""select {MISSION_COLUMNS}
from missions.submit_mission(%(id)s::uuid, %(proof_url)s::text, %(proof_text)s::text, %(user_id)s::uuid,
  %(idempotency_key)s::text) m"""
PENDING_REVIEWS = f"""select {MISSION_COLUMNS}, {_key('submitted_at=m.submitted_at', 'id=m.id')}
from missions.pending_reviews({PAGE}) m"""
APPROVE_MISSION = f"select {MISSION_COLUMNS} from missions.approve_mission(%(id)s::uuid, {_ME}, %(idempotency_key)s::text) m"
FAIL_MISSION = f"""select {MISSION_COLUMNS}
from missions.fail_mission(%(id)s::uuid, {_ME}, %(reason)s::text, %(idempotency_key)s::text) m"""
ASSIGN_DAILY = "select missions.assign_daily_missions() as assigned"

CHECK_IN = "select c.* from missions.check_in(%(user_id)s::uuid) c"
BALANCES = "select b.* from missions.balances(%(user_id)s::uuid) b"
LEDGER = f"select e.*, {_key('id=e.id')} from missions.ledger(%(user_id)s::uuid, {PAGE}) e"
CREDIT = """select e.* from missions.credit(%(user_id)s::uuid, %(currency)s::text, %(amount)s::bigint,
  %(reason)s::text, %(idempotency_key)s::text) e"""
DEBIT = """select e.* from missions.debit(%(user_id)s::uuid, %(currency)s::text, %(amount)s::bigint,
  %(reason)s::text, %(idempotency_key)s::text) e"""

PARTICIPANT_STATS = "select missions.participant_stats(%(user_id)s::uuid) as stats"
ADMIN_STATS = "select missions.admin_stats() as stats"

ALERTS = f"select a.*, {_key('created_at=a.created_at', 'id=a.id')} from missions.alerts(%(status)s::text, {PAGE}) a"
RESOLVE_ALERT = "select a.* from missions.resolve_alert(%(id)s::uuid, " + _ME + ", %(notes)s::text) a"

NOTIFICATIONS = f"""select n.*, {_key('id=n.id')}
from missions.notifications(%(unread)s::boolean, {PAGE}) n"""
UNREAD_NOTIFICATIONS = "select missions.unread_notification_count() as unread"
MARK_NOTIFICATIONS_READ = "select missions.mark_notifications_read(%(ids)s::bigint[]) as marked"

POST_TO_WALL = """select w.id, w.participant_id, null::text as author, w.body, w.published_at, w.rank_score::float8, w.kind
from missions.post_to_wall(%(user_id)s::uuid, %(body)s::text) w"""
WALL_FEED = f"""select w.id, w.participant_id, w.author, w.body, w.published_at, w.rank_score::float8, w.kind,
  {_key('rank_score=w.rank_score', 'published_at=w.published_at', 'id=w.id')}
from missions.wall_feed({PAGE}) w"""
SET_CAMPAIGN_HASHTAG = "select missions.set_campaign_hashtag(%(hashtag)s::text) as hashtag"
SET_CHECK_IN_ON_REQUEST = "select missions.set_check_in_on_request(%(enabled)s::boolean) as enabled"
STIPEND_TIERS = "select t.code, t.rank, t.currency, t.min_balance, t.description from missions.stipend_tiers() t"
SET_STIPEND_TIER = """select missions.set_stipend_tier(%(code)s::text, %(rank)s::integer, %(currency)s::text,
  %(min_balance)s::bigint, %(description)s::text) as tier"""
DELETE_STIPEND_TIER = "select missions.delete_stipend_tier(%(code)s::text) as tier"
STIPEND_TIER = "select missions.stipend_tier(%(user_id)s::uuid) as eligibility"

# ---- agent face -------------------------------------------------------------------------------
STEP_COLUMNS = """s.id, s.mission_id, s.position, s.title, s.kind, s.status, s.optional, s.attempt, s.not_before,
  s.leased_by, s.lease_expires_at, s.wait_key, s.blocked_by, s.blocked_reason, s.blocked_since, s.started_at,
  s.completed_at"""
LIST_AGENT_MISSIONS = f"""select m as mission, {_key("priority=m->'priority'", "created_at=m->'created_at'", "id=m->'id'")}
from missions.list_agent_missions(%(statuses)s::text[], %(priorities)s::text[], %(include_tasks)s::boolean,
  %(recent_events)s::integer, {PAGE}) m"""
AGENT_MISSION = "select missions.agent_mission(%(id)s::uuid, %(recent_events)s::integer, true) as mission"
# create_agent_mission returns the id; agent_mission is STABLE, so it reads in a second statement-level call
CREATE_AGENT_MISSION = "select missions.update_agent_mission(missions.create_agent_mission(%(spec)s::jsonb), '{}'::jsonb) as mission"
UPDATE_AGENT_MISSION = "select missions.update_agent_mission(%(id)s::uuid, %(spec)s::jsonb) as mission"
APPROVE_AGENT_MISSION = f"""select missions.update_agent_mission(m.id, '{{}}'::jsonb) as mission
from missions.approve_agent_mission(%(id)s::uuid, {_ME}, %(reason)s::text, %(idempotency_key)s::text) m"""
RESUME_MISSION = "select missions.resume_mission(%(id)s::uuid, %(recent_events)s::integer, %(conversation_id)s::text) as mission"
ADD_TASK = f"select {STEP_COLUMNS} from missions.add_task(%(id)s::uuid, %(spec)s::jsonb) s"
UPDATE_TASK = f"select {STEP_COLUMNS} from missions.update_task(%(id)s::uuid, %(task_id)s::uuid, %(spec)s::jsonb) s"
BLOCK_TASK = f"""select {STEP_COLUMNS}
from missions.block_task(%(id)s::uuid, %(task_id)s::uuid, %(blocked_by)s::text, %(blocked_reason)s::text) s"""
UNBLOCK_TASK = f"select {STEP_COLUMNS} from missions.unblock_task(%(id)s::uuid, %(task_id)s::uuid, %(reason)s::text) s"
REPLAN_MISSION = "select missions.replan_mission(%(id)s::uuid, %(spec)s::jsonb) as mission"
RECENT_AGENT_MISSIONS = "select r.* from missions.recent_agent_missions(%(limit)s::integer) r"
LOG_MISSION_EVENT = "select missions.log_mission_event(%(id)s::uuid, %(type)s::text, %(payload)s::jsonb) as id"
WAIT_FOR_EVENT = f"select {STEP_COLUMNS} from missions.wait_for_external_event(%(id)s::uuid, %(task_id)s::uuid, %(key)s::text) s"
REQUEST_INPUT = """select r.* from missions.request_human_input(%(id)s::uuid, %(step_id)s::uuid, %(prompt)s::text,
  %(spec)s::jsonb) r"""
INPUT_REQUESTS = f"""select r.*, {_key('created_at=r.created_at', 'id=r.id')}
from missions.input_requests(%(status)s::text, {PAGE}) r"""
RESPOND_INPUT = f"""select r.*
from missions.respond_to_input_request(%(id)s::uuid, {_ME}, %(response)s::jsonb, %(idempotency_key)s::text) r"""
CANCEL_INPUT = "select r.* from missions.cancel_input_request(%(id)s::uuid, %(reason)s::text) r"
DELIVER_EVENT = "select missions.deliver_external_event(%(key)s::text, %(payload)s::jsonb, %(event_id)s::text) as missions_unblocked"

# The live event stream: a page of the caller's visible events after a position; the listener's channel.
EVENT_STREAM_PAGE = "select missions.event_stream_page(%(after)s::bigint, %(limit)s::integer) as page"
LISTEN_EVENTS = "listen missions_events"
TOUCH_LISTENER = "select missions.touch_event_stream_listener(%(id)s::uuid)"

# Webhooks (admins and services): subscriptions, secrets, the delivery log, redelivery.
CREATE_WEBHOOK = """select missions.create_webhook_subscription(%(url)s::text, %(event_types)s::text[],
  %(participant_id)s::uuid, %(mission_id)s::uuid, %(face)s::text, %(description)s::text) as subscription"""
WEBHOOKS = f"""select s as subscription, {_key("created_at=s->'created_at'", "id=s->'id'")}
from missions.webhook_subscriptions({PAGE}) s"""
WEBHOOK = "select missions.webhook_subscription(%(id)s::uuid) as subscription"
UPDATE_WEBHOOK = """select missions.update_webhook_subscription(%(id)s::uuid, %(url)s::text, %(event_types)s::text[],
  %(description)s::text, %(enabled)s::boolean) as subscription"""
DELETE_WEBHOOK = "select missions.delete_webhook_subscription(%(id)s::uuid) as deleted"
ROTATE_WEBHOOK_SECRET = "select missions.rotate_webhook_secret(%(id)s::uuid, %(overlap)s::integer) as rotation"
WEBHOOK_DELIVERIES = f"""select d as delivery, {_key("created_at=d->'created_at'", "id=d->'id'")}
from missions.webhook_deliveries(%(id)s::uuid, %(status)s::text, {PAGE}) d"""
WEBHOOK_DELIVERY = "select missions.webhook_delivery(%(id)s::uuid) as delivery"
REDELIVER_WEBHOOK = "select missions.redeliver_webhook(%(id)s::uuid) as delivery"

# Webhooks (the worker's side): fan out a batch of events, fetch a delivery to send, record an attempt.
ENQUEUE_WEBHOOK_DELIVERIES = "select missions.enqueue_webhook_deliveries(%(ids)s::bigint[]) as queued"
WEBHOOK_DELIVERY_TO_SEND = "select missions.webhook_delivery_to_send(%(id)s::uuid) as job"
RECORD_WEBHOOK_ATTEMPT = """select missions.record_webhook_attempt(%(id)s::uuid, %(status)s::integer, %(latency)s::integer,
                                   %(error)s::text) as outcome"""

# A claim also answers the trace context of the request that created its mission (app/tracing.py).
_TRACE = "(select m.trace_context from missions_private.missions m where m.id = {}.mission_id) as trace_context"
CLAIM_STEP = f"select c.*, {_TRACE.format('c')} from missions.claim_mission_step(%(step_id)s::uuid, {_ME}) c"
CLAIM_NEXT = f"select c.*, {_TRACE.format('c')} from missions.claim_next_step({_ME}, %(kinds)s::text[]) c"
CLAIM_BATCH = f"select c.*, {_TRACE.format('c')} from missions.claim_next_steps({_ME}, %(kinds)s::text[], %(limit)s::integer) c"
COMPLETE_BATCH = f"select r.* from missions.complete_steps({_ME}, %(completions)s::jsonb) r"
HEARTBEAT = f"select c.*, {_TRACE.format('c')} from missions.heartbeat_step(%(step_id)s::uuid, {_ME}, %(lease_token)s::uuid) c"
COMPLETE_STEP = f"""select {STEP_COLUMNS}, {_TRACE.format('s')}
from missions.complete_step(%(step_id)s::uuid, {_ME}, %(lease_token)s::uuid, %(result)s::jsonb, %(idempotency_key)s::text) s"""
FAIL_STEP = f"""select {STEP_COLUMNS}
from missions.fail_step(%(step_id)s::uuid, {_ME}, %(lease_token)s::uuid, %(error)s::text, %(retryable)s::boolean) s"""
RELEASE_STEP = f"select {STEP_COLUMNS} from missions.release_step(%(step_id)s::uuid, {_ME}, %(lease_token)s::uuid) s"
CHECK_QUOTA = "select %(kind)s::text as kind, missions.check_quota(%(kind)s::text) as remaining"
STEP_KINDS = f"select k.*, {_key('kind=k.kind')} from missions.step_kinds({PAGE}) k"
UPSERT_STEP_KIND = """select k.*, null::integer as remaining_today
from missions.upsert_step_kind(%(kind)s::text, %(spec)s::jsonb) k"""
REVIEWERS = f"""select r.*, {_key('principal_id=r.principal_id')}
from missions.reviewers(%(kind)s::text, {PAGE}) r"""
DESIGNATE_REVIEWER = "select r.* from missions.designate_reviewer(%(kind)s::text, %(principal_id)s::uuid) r"
REVOKE_REVIEWER = "select r.* from missions.revoke_reviewer(%(kind)s::text, %(principal_id)s::uuid) r"

# ---- learning face ----------------------------------------------------------------------------
# A participant's own data: the given participant, else the caller.
_PARTICIPANT = f"coalesce(%(participant_id)s::uuid, {_ME})"

# create_learning_template returns the id; learning_template (STABLE) reads it in a second statement.
CREATE_LEARNING_TEMPLATE = "select missions.create_learning_template(%(spec)s::jsonb) as id"
LEARNING_TEMPLATE = "select missions.learning_template(%(id)s::uuid) as template"
LEARNING_TEMPLATES = f"""select t as template, {_key("track=t->'track'", "tier=t->'tier'", "code=t->'code'")}
from missions.learning_templates(%(track)s::text, {PAGE}) t"""
SET_TEMPLATE_RUBRIC = "select r.* from missions.set_template_rubric(%(id)s::uuid, %(criteria)s::jsonb) r"

LEARNING_DASHBOARD = f"select missions.learning_dashboard({_PARTICIPANT}) as dashboard"
START_LEARNING_MISSION = f"select missions.start_learning_mission({_PARTICIPANT}, %(template_id)s::uuid) as progress"
LEARNING_PROGRESS = "select missions.learning_progress(%(id)s::uuid) as progress"
SAVE_MISSION_PROGRESS = "select missions.save_mission_progress(%(id)s::uuid, %(spec)s::jsonb) as progress"
MISSION_HINTS = "select missions.mission_hints(%(id)s::uuid, %(subtask)s::integer) as hints"
REVEAL_HINT = "select missions.reveal_hint(%(id)s::uuid, %(subtask)s::integer) as hint"
MISSION_DECISIONS = "select missions.mission_decisions(%(id)s::uuid) as decisions"
CHOOSE_DECISION = "select missions.choose_decision(%(id)s::uuid, %(decision)s::text, %(choice)s::text) as progress"

EVIDENCE_LIMITS = "select l.* from missions.evidence_limits() l"
ADD_EVIDENCE = """select missions.add_evidence(%(id)s::uuid, %(subtask)s::integer, %(filename)s::text,
  %(content_type)s::text, %(size_bytes)s::bigint, %(sha256)s::text) as file"""
EVIDENCE_FILE = "select missions.evidence_file(%(file_id)s::uuid) as file"
DELETE_EVIDENCE = "select missions.delete_evidence(%(file_id)s::uuid) as file"
# Stored bytes are shared by every evidence row with the same content: adding or removing the bytes of a
# storage key happens under a session-level advisory lock on the key (held past the commit, released after).
_STORAGE_LOCK_ID = "pg_catalog.hashtextextended('missions.evidence:' || %(key)s::text, 0)"
LOCK_STORAGE_KEY = f"select pg_catalog.pg_advisory_lock({_STORAGE_LOCK_ID})"
UNLOCK_STORAGE_KEY = f"select pg_catalog.pg_advisory_unlock({_STORAGE_LOCK_ID})"

SUBMIT_LEARNING_MISSION = """select missions.submit_learning_mission(%(id)s::uuid, %(reflection)s::text, %(idempotency_key)s::text)
  as progress"""
AI_REVIEW = "select missions.ai_review(%(id)s::uuid) as review"
ACCEPT_AI_REVIEW = "select missions.accept_ai_review(%(id)s::uuid) as progress"
REQUEST_MENTOR_REVIEW = "select missions.request_mentor_review(%(id)s::uuid) as progress"
MENTOR_REVIEW = "select missions.mentor_review(%(id)s::uuid) as review"
MENTOR_REVIEWS = f"""select r as review, {_key("requested_at=r->'requested_at'", "mission_id=r->'mission_id'")}
from missions.mentor_reviews({PAGE}) r"""
CLAIM_MENTOR_REVIEW = f"""select c.mission_id, c.step_id, c.agent_id as mentor_id, c.expires_at, c.attempt
from missions.claim_mentor_review(%(id)s::uuid, {_ME}) c"""
COMPLETE_MENTOR_REVIEW = f"""select missions.complete_mentor_review(%(id)s::uuid, {_ME}, %(review)s::jsonb,
  %(idempotency_key)s::text) as progress"""

PORTFOLIO = f"""select to_jsonb(i) as item, {_key('completed_at=i.completed_at', 'id=i.id')}
from missions.portfolio({_PARTICIPANT}, {PAGE}) i"""
SKILL_SIGNALS = f"""select to_jsonb(s) as signal, {_key('mastery=s.mastery', 'skill=s.skill')}
from missions.skill_signals({_PARTICIPANT}, {PAGE}) s"""

# ---- recipes and learning analytics ---------------------------------------------------------
RECIPE = "select missions.recipe(%(slug)s::text) as recipe"
RECIPES = f"""select to_jsonb(r) as recipe, {_key('slug=r.slug')}
from missions.recipes(%(search)s::text, %(skill)s::text, %(type)s::text, {PAGE}) r"""
# upsert_recipe returns the row and whether it created it (201) or changed it (200); recipe (STABLE, with the
# links) reads it in a second statement.
UPSERT_RECIPE = "select r.slug, r.created from missions.upsert_recipe(%(spec)s::jsonb) r"
DELETE_RECIPE = "select to_jsonb(r) as recipe from missions.delete_recipe(%(slug)s::text) r"
LINK_RECIPE = "select missions.link_recipe(%(slug)s::text, %(template_id)s::uuid, %(subtask)s::integer) as changed"
UNLINK_RECIPE = "select missions.unlink_recipe(%(slug)s::text, %(template_id)s::uuid, %(subtask)s::integer) as changed"
TRACK_RECIPE_USAGE = f"""select to_jsonb(u) || jsonb_build_object('slug', %(slug)s::text) as usage
from missions.track_recipe_usage({_PARTICIPANT}, %(slug)s::text, %(event)s::text, %(seconds)s::integer,
  %(mission_id)s::uuid) u"""
# For the mission's own participant: learning_progress is 404 unless the caller may see the mission.
RECOMMEND_RECIPES = """select to_jsonb(r) as recipe
from missions.recommend_recipes((missions.learning_progress(%(id)s::uuid)->>'participant_id')::uuid, %(id)s::uuid,
  %(subtask)s::integer, %(limit)s::integer) r"""

REFRESH_LEARNING_ANALYTICS = "select missions.refresh_learning_analytics() as refreshed"
MISSION_PERFORMANCE = f"""select to_jsonb(x) as doc, {_key('track=x.track', 'tier=x.tier', 'code=x.code')}
from missions.mission_performance(%(track)s::text, {PAGE}) x"""
STEP_FUNNEL = f"""select to_jsonb(x) as doc, {_key('subtask=x.subtask')}
from missions.step_funnel(%(template_id)s::uuid, {PAGE}) x"""
COMPLETION_HEATMAP = f"""select to_jsonb(x) as doc, {_key('track=x.track', 'iso_dow=x.iso_dow', 'hour=x.hour')}
from missions.completion_heatmap(%(track)s::text, {PAGE}) x"""
PARTICIPANT_BENCHMARKS = f"""select to_jsonb(x) as doc, {_key('cohort=x.cohort', 'percentile=x.percentile', 'participant_id=x.participant_id')}
from missions.participant_benchmarks(%(cohort)s::text, {PAGE}) x"""
# A recipe without a lift (no ended missions on one side) has the key lift "none".
_NO_LIFT = "coalesce(to_jsonb(x.lift), to_jsonb('none'::text))"
RECIPE_EFFECTIVENESS = f"""select to_jsonb(x) as doc, {_key('lift=' + _NO_LIFT, 'slug=x.slug')}
from missions.recipe_effectiveness({PAGE}) x"""
COHORT_DASHBOARD = f"select to_jsonb(x) as doc, {_key('cohort=x.cohort')} from missions.cohort_dashboard({PAGE}) x"
RECIPE_USAGE_STATS = f"""select to_jsonb(x) as doc, {_key('views=x.views', 'slug=x.slug')}
from missions.recipe_usage_stats({PAGE}) x"""
DECISION_PATHS = f"""select to_jsonb(x) as doc, {_key('subtask=x.subtask', 'choice_key=x.choice_key')}
from missions.decision_paths(%(template_id)s::uuid, {PAGE}) x"""
TOOL_USAGE = f"""select to_jsonb(x) as doc, {_key('missions=x.missions', 'tool=x.tool')}
from missions.tool_usage(%(template_id)s::uuid, {PAGE}) x"""

# ---- operations: the CLI, the worker, the reviewer, the demo loader, migrate ------------------------
CHECK_INVARIANTS = "select i.invariant, i.violations, i.examples from missions.check_invariants() i"
# Backups: what the manifest records (DATABASE_EXISTS, CREATE_DATABASE: below).
BACKUP_FACTS = """select pg_catalog.current_database() as database,
  pg_catalog.current_setting('server_version') as server_version,
  (select coalesce(max(e.id), 0) from missions_private.events e) as events,
  (select count(*) from missions_private.principals p) as principals"""

# The worker: an inbox message is deleted in the transaction that delivers it (DELIVER_EVENT).
DELETE_QUEUE_MESSAGE = "select pgmq.delete(%(queue)s::text, %(msg_id)s::bigint) as deleted"

# The built-in AI reviewer acts as its agent (like AUTHENTICATE, without a key) for the rest of the transaction.
AS_REVIEWER = """select set_config('role', 'missions_agent', true) as role,
       set_config('missions.principal_id', %(agent_id)s::text, true) as principal_id"""
CLAIM_AI_REVIEW = "select c.* from missions.claim_next_step(%(agent_id)s::uuid, array['ai_review']::text[]) c"
RULES_REVIEW = "select missions.rules_review(%(step_id)s::uuid, %(agent_id)s::uuid, %(lease_token)s::uuid) as review"
REVIEW_PACKET = "select missions.review_packet(%(mission_id)s::uuid) as packet"
COMPLETE_REVIEW = """select s.id
from missions.complete_step(%(step_id)s::uuid, %(agent_id)s::uuid, %(lease_token)s::uuid, %(result)s::jsonb) s"""
FAIL_REVIEW = """select s.id
from missions.fail_step(%(step_id)s::uuid, %(agent_id)s::uuid, %(lease_token)s::uuid, %(error)s::text, true) s"""

# Sessions of the app and the worker act as the app's role even when the URL names an owner or superuser login.
IS_APP_ROLE = "select current_user = %(role)s::name as is_app"
BECOME_APP_ROLE = f'set role "{APP_ROLE}"'
# migrate: one at a time, and never waiting long for a lock (then it retries).
MIGRATE_LOCK = "select pg_advisory_xact_lock(hashtext('missions migrate'))"
SET_LOCK_TIMEOUT = "select set_config('lock_timeout', %(ms)s::text, true)"
SET_STATEMENT_TIMEOUT = "select set_config('statement_timeout', %(ms)s::text, false)"
# Whether a login is a superuser or may become the engine's owner (the app refuses to run on such a login).
LOGIN_PRIVILEGES = """select r.rolname, r.rolsuper,
  case when exists (select from pg_catalog.pg_roles o where o.rolname = %(owner)s::name)
       then pg_catalog.pg_has_role(session_user, %(owner)s::name, 'MEMBER') else false end as owner
from pg_catalog.pg_roles r where r.rolname = session_user"""

# Migrate and the demo loader, as the migrating login or the owner.
BECOME_OWNER = f"set role {OWNER_ROLE}"
PGMQ_INSTALLED = "select pg_catalog.to_regnamespace('pgmq') is not null as installed"
ENGINE_INSTALLED = "select pg_catalog.to_regclass('missions_private.api_keys') is not null as installed"
CRON_DATABASE = "select pg_catalog.current_setting('cron.database_name', true) as cron_database"
CRON_JOBS = "select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(j)), '[]') as jobs from missions.cron_jobs() j"
SYNC_CRON_JOBS = "select missions_cron.sync_jobs(%(database)s::text, %(jobs)s::jsonb)"
CREATE_PG_CRON = "create extension if not exists pg_cron"
DATABASE_EXISTS = "select 1 from pg_catalog.pg_database where datname = %(dbname)s::name"
IN_RECOVERY = "select pg_catalog.pg_is_in_recovery()"
CREATE_DATABASE = sql.SQL("create database {}")  # .format(sql.Identifier(dbname))
# The keys sql/demo/010_principals.sql wrote into its temporary table.
DEMO_KEYS = "select d.role, d.display_name, d.api_key, d.revoked from demo_keys d order by d.role"
# Which of the public demo keys (by secret hash) still authenticate, as the owner (serve refuses them).
ACTIVE_KEYS_BY_HASH = """select p.display_name, k.id, k.prefix from missions_private.api_keys k
join missions_private.principals p on p.id = k.principal_id
where k.revoked_at is null and p.active and k.secret_hash = any(%(hashes)s::bytea[]) order by k.prefix"""
