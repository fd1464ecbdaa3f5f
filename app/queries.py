"""Every SQL statement the Python layer sends, by name, in one place.

Each one calls a function of the public `missions` schema: Python holds no rule.
"""

# Resolve a bearer key and become its principal for the rest of the transaction.
AUTHENTICATE = """
select set_config('role', a.db_role, true) as role,
       set_config('missions.principal_id', a.principal_id::text, true)::uuid as principal_id
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
API_KEYS = "select k.* from missions.api_keys(%(principal_id)s::uuid) k"
REVOKE_API_KEY = "select k.* from missions.revoke_api_key(%(id)s::uuid) k"

# ---- engagement -------------------------------------------------------------------------------
# The acting principal's id, for functions that take the reviewer/admin explicitly.
_ME = "(select w.id from missions.whoami() w)"
MISSION_COLUMNS = """m.id, m.status, m.template_id, m.participant_id, m.title, m.origin, m.period, m.assigned_at,
  m.started_at, m.submitted_at, m.completed_at, m.expires_at, m.proof_url, m.proof_text, m.reviewed_by,
  m.review_note, m.created_at"""

TEMPLATES = "select c.* from missions.templates() c"
AVAILABLE_MISSIONS = "select c.* from missions.available_missions(%(user_id)s::uuid) c"
# create_template returns the id; update_template with an empty spec (volatile, so it sees the new row) returns it.
CREATE_TEMPLATE = "select c.* from missions.update_template(missions.create_template(%(spec)s::jsonb), '{}'::jsonb) c"
UPDATE_TEMPLATE = "select c.* from missions.update_template(%(id)s::uuid, %(spec)s::jsonb) c"
SET_TEMPLATE_ACTIVE = "select c.* from missions.set_template_active(%(id)s::uuid, %(active)s::boolean) c"

PARTICIPANT_MISSIONS = f"select {MISSION_COLUMNS} from missions.participant_missions(%(user_id)s::uuid, %(statuses)s::text[]) m"
ASSIGN_MISSION = f"select {MISSION_COLUMNS} from missions.assign_mission(%(user_id)s::uuid, %(template_id)s::uuid, %(deadline_days)s::integer) m"
START_MISSION = f"select {MISSION_COLUMNS} from missions.start_mission(%(id)s::uuid, %(user_id)s::uuid) m"
SUBMIT_MISSION = f"""select {MISSION_COLUMNS}
from missions.submit_mission(%(id)s::uuid, %(proof_url)s::text, %(proof_text)s::text, %(user_id)s::uuid) m"""
PENDING_REVIEWS = f"select {MISSION_COLUMNS} from missions.pending_reviews() m"
APPROVE_MISSION = f"select {MISSION_COLUMNS} from missions.approve_mission(%(id)s::uuid, {_ME}) m"
FAIL_MISSION = f"select {MISSION_COLUMNS} from missions.fail_mission(%(id)s::uuid, {_ME}, %(reason)s::text) m"
ASSIGN_DAILY = "select missions.assign_daily_missions() as assigned"

CHECK_IN = "select c.* from missions.check_in(%(user_id)s::uuid) c"
BALANCES = "select b.* from missions.balances(%(user_id)s::uuid) b"
LEDGER = "select e.* from missions.ledger(%(user_id)s::uuid, %(limit)s::integer, %(offset)s::integer) e"
CREDIT = """select e.* from missions.credit(%(user_id)s::uuid, %(currency)s::text, %(amount)s::bigint,
  %(reason)s::text, %(idempotency_key)s::text) e"""
DEBIT = """select e.* from missions.debit(%(user_id)s::uuid, %(currency)s::text, %(amount)s::bigint,
  %(reason)s::text, %(idempotency_key)s::text) e"""

PARTICIPANT_STATS = "select missions.participant_stats(%(user_id)s::uuid) as stats"
ADMIN_STATS = "select missions.admin_stats() as stats"

ALERTS = "select a.* from missions.alerts(%(status)s::text) a"
RESOLVE_ALERT = "select a.* from missions.resolve_alert(%(id)s::uuid, " + _ME + ", %(notes)s::text) a"

POST_TO_WALL = """select w.id, w.participant_id, null::text as author, w.body, w.published_at, w.rank_score::float8
from missions.post_to_wall(%(user_id)s::uuid, %(body)s::text) w"""
WALL_FEED = """select w.id, w.participant_id, w.author, w.body, w.published_at, w.rank_score::float8
from missions.wall_feed(%(limit)s::integer, %(offset)s::integer) w"""
SET_CAMPAIGN_HASHTAG = "select missions.set_campaign_hashtag(%(hashtag)s::text) as hashtag"
