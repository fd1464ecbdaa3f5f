"""The database's own rules about itself: every function checked, commented, granted per role,
SECURITY DEFINER only with a fixed search_path, nothing executable by PUBLIC."""

from __future__ import annotations

ENGINE_FUNCTIONS = """
select p.oid, p.oid::regprocedure::text as signature, p.prosecdef, p.proconfig, l.lanname,
       p.prorettype = 'trigger'::regtype as is_trigger
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_language l on l.oid = p.prolang
where n.nspname in ('missions', 'missions_private')
"""


def test_engine_has_functions_to_check(db):
    names = {r["signature"] for r in db.execute(ENGINE_FUNCTIONS)}
    assert {"missions.now()", "missions.create_principal(text,text,jsonb)", "missions.create_api_key(uuid,text)"} <= names


def test_plpgsql_check_reports_no_errors(db):
    db.execute("create extension if not exists plpgsql_check")
    errors = db.execute("""
        with fns as (""" + ENGINE_FUNCTIONS + """),
        targets as (
          select f.signature, f.oid, coalesce(t.tgrelid, 0) as relid, t.tgoldtable, t.tgnewtable
          from fns f
          left join lateral (select tg.tgrelid, tg.tgoldtable, tg.tgnewtable from pg_trigger tg
                             where tg.tgfoid = f.oid order by tg.tgoldtable nulls last limit 1) t on true
          where f.lanname = 'plpgsql'
        )
        select t.signature, c.level, c.message, c.lineno
        from targets t,
             plpgsql_check_function_tb(t.oid, t.relid, fatal_errors => false,
                                       oldtable => t.tgoldtable, newtable => t.tgnewtable) c
        where c.level = 'error'
    """).fetchall()
    checked = db.execute("select count(*) as n from (" + ENGINE_FUNCTIONS + ") f where lanname = 'plpgsql'").fetchone()
    assert checked["n"] >= 10
    assert errors == []


def test_security_definer_functions_fix_their_search_path(db):
    loose = [r["signature"] for r in db.execute(ENGINE_FUNCTIONS)
             if r["prosecdef"] and not any(c.startswith("search_path=") for c in (r["proconfig"] or []))]
    assert loose == []


def test_every_function_fixes_its_search_path(db):
    loose = [r["signature"] for r in db.execute(ENGINE_FUNCTIONS)
             if not any(c.startswith("search_path=") for c in (r["proconfig"] or []))]
    assert loose == []


def test_no_function_is_executable_by_public(db):
    public = db.execute("""
        select f.signature from (""" + ENGINE_FUNCTIONS + """) f
        where has_function_privilege('public', f.oid, 'EXECUTE')
    """).fetchall()
    assert public == []


def test_every_function_has_a_comment(db):
    missing = db.execute("""
        select f.signature from (""" + ENGINE_FUNCTIONS + """) f
        where obj_description(f.oid, 'pg_proc') is null
    """).fetchall()
    assert missing == []


def test_participant_data_readable_by_participants_has_row_level_security(db):
    """Every table with participant data (a participant_id column, or principals) that participants
    may SELECT has RLS; public tables (templates, the wall, settings) have no participant secrets."""
    rows = db.execute("""
        select c.relname, c.relrowsecurity
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'missions_private' and c.relkind in ('r', 'p')
          and has_table_privilege('missions_participant', c.oid, 'SELECT')
          and (c.relname in ('principals', 'steps')
               or exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'participant_id'
                          and c.relname <> 'wall_posts'))
    """).fetchall()
    assert rows, "participants read some tables"
    assert [r["relname"] for r in rows if not r["relrowsecurity"]] == []


def test_api_keys_are_unreadable_by_every_caller_role(db):
    for role in ("participant", "admin", "mentor", "agent", "service", "app"):
        assert not db.execute("select has_table_privilege(%s, 'missions_private.api_keys', 'SELECT') as ok",
                              (f"missions_{role}",)).fetchone()["ok"], role


# Template content that reaches callers only through functions: a template's free-form spec and a subtask's
# spec (it holds the hint texts, which only missions.reveal_hint hands out, recording the reveal).
SECRET_COLUMNS = [("templates", "spec"), ("template_steps", "spec")]
CALLER_ROLES = ("missions_participant", "missions_mentor", "missions_agent", "missions_app")


def test_no_caller_role_can_select_secret_template_columns(db):
    for table, column in SECRET_COLUMNS:
        for role in CALLER_ROLES:
            ok = db.execute("select has_column_privilege(%s, %s, %s, 'SELECT') as ok",
                            (role, f"missions_private.{table}", column)).fetchone()["ok"]
            assert not ok, f"{role} can select {table}.{column}"


def test_no_view_a_caller_role_reads_exposes_secret_template_columns(db):
    """A view over a secret column would leak it as well (a security_invoker view still needs the
    column privilege, a plain one would not): no readable view may depend on one."""
    rows = db.execute("""
        select distinct v.oid::regclass::text as view, a.attname as col, r.role
        from pg_depend d
        join pg_rewrite w on w.oid = d.objid
        join pg_class v on v.oid = w.ev_class
        join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
        cross join unnest(%s::text[]) r(role)
        where d.classid = 'pg_rewrite'::regclass
          and (d.refobjid::regclass::text, a.attname) in
              (select 'missions_private.' || t, c from unnest(%s::text[], %s::text[]) x(t, c))
          and v.oid <> d.refobjid
          and has_table_privilege(r.role, v.oid, 'SELECT')
    """, (list(CALLER_ROLES), [t for t, _ in SECRET_COLUMNS], [c for _, c in SECRET_COLUMNS])).fetchall()
    assert rows == []


def test_staff_still_read_whole_templates(db):
    for role in ("missions_admin", "missions_service"):
        for table, column in SECRET_COLUMNS:
            assert db.execute("select has_column_privilege(%s, %s, %s, 'SELECT') as ok",
                              (role, f"missions_private.{table}", column)).fetchone()["ok"], (role, table)
