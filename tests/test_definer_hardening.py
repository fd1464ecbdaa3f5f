"""No function runs as a superuser, and a direct SQL login cannot hijack a definer function's names.

The attack (issue 13): with `search_path = ''` the session's temporary schema is still searched first
for types, so `CREATE DOMAIN pg_temp.text … CHECK (pg_temp.f())` ran `f` as a definer function's
owner, then a superuser. Functions now resolve from `pg_catalog, pg_temp` and belong to
`missions_owner`, a NOLOGIN non-superuser.
"""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import sql

ATTACKER = "mallory_direct"
SHADOWED_TYPES = ("text", "jsonb", "uuid", "timestamptz")
# A spread of the API a participant may call (definer helpers run inside each of them), plus some it may not.
CALLS = [
    "select missions.whoami()",
    "select * from missions.balances({me})",
    "select * from missions.check_in({me})",
    "select missions.participant_stats({me})",
    "select * from missions.participant_missions({me}, null)",
    "select * from missions.available_missions({me})",
    "select * from missions.ledger({me}, 10, null)",
    "select * from missions.wall_feed(10, null)",
    "select * from missions.templates()",
    "select * from missions.assign_mission({me}, {template}, null)",
    "select missions.post_to_wall({me}, 'hello')",
    "select * from missions.claim_next_step(null, null)",
    "select missions.authenticate('mk_x_y')",
]


@pytest.fixture
def attacker(db, dsn):
    """A participant with a login of its own, allowed temporary objects (as a database that never
    revoked TEMPORARY would), plus one template it may self-assign."""
    db.execute(sql.SQL("do $$ begin if not exists (select from pg_roles where rolname = {}) then "
                       "create role {} login in role missions_participant; end if; end $$")
               .format(sql.Literal(ATTACKER), sql.Identifier(ATTACKER)))
    db.execute(sql.SQL("grant temporary on database {} to {}").format(sql.Identifier(db.info.dbname),
                                                                       sql.Identifier(ATTACKER)))
    me = db.execute("select missions.create_principal('participant', 'Mallory', %s::jsonb) as id",
                    (json.dumps({"db_role": ATTACKER}),)).fetchone()["id"]
    template = db.execute("select missions.create_template(%s::jsonb) as id", (json.dumps(
        {"title": "Say hi", "skill_domain": "SOFT", "difficulty": "EASY"}),)).fetchone()["id"]
    return {"id": me, "template": template, "url": dsn.replace("postgresql://postgres@", f"postgresql://{ATTACKER}@")}


def shadow_and_call(url: str, type_name: str, me: str, template: str) -> list[str]:
    """One attacker session: shadow `type_name` with a domain whose CHECK tries to become superuser and
    records who ran it; then call the API. Returns the roles the CHECK ran as."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set search_path = ''")
        conn.execute("""
            create function pg_temp.escalate() returns boolean language plpgsql as $f$
            begin
              perform pg_catalog.set_config('attack.ran_as',
                pg_catalog.concat_ws(',', nullif(pg_catalog.current_setting('attack.ran_as', true), ''), current_user),
                false);
              begin
                execute pg_catalog.format('alter role %I superuser', session_user);
              exception when others then null;
              end;
              return true;
            end $f$""")
        conn.execute(sql.SQL("create domain pg_temp.{} as pg_catalog.{} check (pg_temp.escalate())")
                     .format(sql.Identifier(type_name), sql.Identifier(type_name)))
        for call in CALLS:
            try:
                conn.execute(call.format(me=sql.Literal(me).as_string(conn),
                                         template=sql.Literal(template).as_string(conn)))
            except psycopg.Error:
                pass  # refusals are fine; what matters is who ran the CHECK
        ran_as = conn.execute("select current_setting('attack.ran_as', true)").fetchone()[0]
    return [r for r in (ran_as or "").split(",") if r]


@pytest.mark.parametrize("type_name", SHADOWED_TYPES)
def test_a_shadowed_type_never_runs_as_another_role(db, attacker, type_name):
    ran_as = shadow_and_call(attacker["url"], type_name, attacker["id"], attacker["template"])
    assert set(ran_as) <= {ATTACKER}, ran_as
    assert db.execute("select rolsuper from pg_roles where rolname = %s", (ATTACKER,)).fetchone()["rolsuper"] is False


def test_the_attack_can_run_at_all(db, attacker):
    """The CHECK does run when the attacker uses the shadowed type itself (as itself): the probe works."""
    with psycopg.connect(attacker["url"], autocommit=True) as conn:
        conn.execute("create function pg_temp.probe() returns boolean language sql as "
                     "$f$ select pg_catalog.set_config('attack.ran_as', current_user, false) is not null $f$")
        conn.execute("create domain pg_temp.text as pg_catalog.text check (pg_temp.probe())")
        conn.execute("select 'x'::pg_temp.text")
        assert conn.execute("select current_setting('attack.ran_as', true)").fetchone()[0] == ATTACKER


def test_every_engine_function_resolves_pg_catalog_first_and_pg_temp_last(db):
    rows = db.execute("""select p.oid::regprocedure::text as signature, p.proconfig from pg_proc p
                         join pg_namespace n on n.oid = p.pronamespace
                         where n.nspname in ('missions', 'missions_private')""").fetchall()
    assert len(rows) > 100
    assert [r["signature"] for r in rows if "search_path=pg_catalog, pg_temp" not in (r["proconfig"] or [])] == []


def test_no_superuser_owns_an_engine_object(db):
    owners = db.execute("""
        select distinct r.rolname, r.rolsuper, r.rolcanlogin from (
          select p.proowner as owner from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname in ('missions', 'missions_private')
          union all
          select c.relowner from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname in ('missions', 'missions_private')
          union all
          select n.nspowner from pg_namespace n where n.nspname in ('missions', 'missions_private')
          union all
          select t.typowner from pg_type t join pg_namespace n on n.oid = t.typnamespace
          where n.nspname in ('missions', 'missions_private')
        ) o join pg_roles r on r.oid = o.owner""").fetchall()
    assert owners == [{"rolname": "missions_owner", "rolsuper": False, "rolcanlogin": False}]


def test_the_owner_role_has_no_special_attributes(db):
    row = db.execute("select rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolcanlogin "
                     "from pg_roles where rolname = 'missions_owner'").fetchone()
    assert not any(row.values()), row
