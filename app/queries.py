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
