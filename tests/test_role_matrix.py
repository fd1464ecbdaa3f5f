"""The role matrix (issue 7, item 7): every SQL function of schema `missions` and every HTTP operation,
called by every kind of caller, is allowed or refused as README.md says ("who may call" / "who" / "auth").
The table is tests/helpers/role_matrix_table.py (one row per operation, one token per role); the objects the calls
point at are the owner participant's, built by tests/helpers/role_matrix_world.py in one database for the module.

Roles: `anon`, `owner` (the participant whose objects the calls name), `other` (another participant),
`mentor`, `admin`, `agent`, `service`.

- SQL: each cell is one transaction on a connection logged in as `missions_app` (the app's login role),
  rolled back at the end, so cells never affect each other. A principal is bound exactly as the app does
  (`set_config('role', 'missions_<role>', true)` and `missions.principal_id`). **anonymous** is that same
  `missions_app` session with no principal bound: what a client reaches before authenticating (the key
  lookup, health, metrics; and the worker, which delivers external events as the app). A bare login role
  with only PUBLIC's rights is checked separately: it may execute no function at all.
- HTTP: one request per cell through the Litestar TestClient; anonymous sends no Authorization header.
  Writes commit, so operations whose call changes its object get a fresh object per cell (`fresh`).
- Completeness: the SQL functions come from pg_proc (schema `missions`, every overload, by name; an
  overload needs a row naming its argument types) and the HTTP operations from the app's OpenAPI
  document; a function or operation without a row fails, and so does a row naming nothing.
- Row-level security: every relation of missions_private holding per-participant rows that participants
  may SELECT must have RLS (views: security_invoker) unless it is public by design; and a participant's
  plain SELECTs return only rows that are theirs, checked against the owner's rows of the world.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient
from psycopg.rows import dict_row
from pytest_postgresql.janitor import DatabaseJanitor

from app.cluster import Cluster
from tests.helpers.calls import sqlstate
from tests.helpers.principals import act_as, bearer
from tests.helpers.role_matrix_table import (
    HTTP,
    OWNER_COLUMNS,
    PUBLIC_BY_DESIGN,
    ROLES,
    SQL,
    Http,
    Sql,
    expectations,
)
from tests.helpers.role_matrix_world import World

SQL_REFUSED = {"42501", "MS401", "MS403", "MS404"}
HTTP_REFUSED = {401, 403, 404}
PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:\.([a-z_]+))?\}")
MATRIX_DB = "role_matrix"


# ---- fixtures: one database, one world, for the whole module ------------------------------------------

@pytest.fixture(scope="module")
def matrix_dsn(engine: Any, cluster: Cluster) -> Iterator[str]:
    """A clone of the migrated template database, kept for the module."""
    janitor = DatabaseJanitor(user=engine.user, host=engine.host, port=engine.port, dbname=MATRIX_DB,
                              template_dbname=engine.template_dbname, maintenance_dbname=engine.maintenance_dbname,
                              password=engine.password)
    janitor.drop()
    with janitor:
        yield cluster.url(MATRIX_DB)


@pytest.fixture(scope="module")
def world(matrix_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with psycopg.connect(matrix_dsn, autocommit=True, row_factory=dict_row) as su:
        yield World(su, tmp_path_factory.mktemp("evidence"))


@pytest.fixture(scope="module")
def app_conn(world: World, cluster: Cluster) -> Iterator[psycopg.Connection]:
    """A session of the app's login role (missions_app), as the HTTP app and the worker have."""
    with psycopg.connect(cluster.url(MATRIX_DB, user="missions_app"), autocommit=True, row_factory=dict_row) as c:
        yield c


@pytest.fixture(scope="module")
def http(world: World, cluster: Cluster) -> Iterator[TestClient]:
    """The HTTP app on the matrix database (its evidence store is the world's)."""
    from app.http.app import create_app
    from app.http.events import controllers as event_stream

    app = create_app(database_url=cluster.url(MATRIX_DB, user="missions_app"), evidence_dir=world.store.root)
    with pytest.MonkeyPatch.context() as patch, TestClient(app) as client:
        patch.setattr(event_stream, "MAX_STREAM_SECONDS", 0)  # GET /events/stream: opened, then ended at once
        yield client


# ---- filling in a row ---------------------------------------------------------------------------------

def _lookup(objects: dict[str, Any], name: str, part: str | None, me: str) -> str:
    if name == "me":
        return me
    value = objects[name]
    return str(value[part] if part else value)


def _objects(world: World, names: set[str], fresh: tuple[str, ...]) -> dict[str, Any]:
    """World objects by name: the `fresh` ones built for this cell, the others shared."""
    built = {name: world.fresh(name) for name in fresh}
    return {name: built[name] if name in built else world.shared(name) for name in names - {"me"}}


def _names(*texts: str) -> set[str]:
    return {m.group(1) for text in texts for m in PLACEHOLDER.finditer(text)}


def _fill(text: str, objects: dict[str, Any], me: str) -> str:
    return PLACEHOLDER.sub(lambda m: _lookup(objects, m.group(1), m.group(2), me), text)


def _fill_json(body: Any, objects: dict[str, Any], me: str) -> Any:
    if isinstance(body, str):
        return _fill(body, objects, me)
    if isinstance(body, dict):
        return {k: _fill_json(v, objects, me) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill_json(v, objects, me) for v in body]
    return body


def _param(value: str) -> Any:
    """Ids are sent as uuid (so they fit any argument, jsonb_build_object included); anything else as text."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return value


def _caller_id(world: World, role: str) -> str:
    principal = world.principal(role)
    return principal["id"] if principal else world.owner  # anon: actor arguments name the owner


# ---- SQL cells ------------------------------------------------------------------------------------------

def sql_outcome(conn: psycopg.Connection, world: World, row: Sql, role: str) -> str:
    """'ok' or the SQLSTATE of one call of the row's function by the role, in a rolled-back transaction."""
    me = _caller_id(world, role)
    objects = _objects(world, _names(row.args), ())
    params: list[Any] = []

    def bind(m: re.Match) -> str:
        params.append(_param(_lookup(objects, m.group(1), m.group(2), me)))
        return "%s"

    query = f"select * from missions.{row.function}({PLACEHOLDER.sub(bind, row.args)})"
    state = sqlstate(conn, None if role == "anon" else world.p[role], query, *params, rollback=True)
    return "ok" if state is None else state or "?"


def sql_matches(token: str, outcome: str) -> bool:
    if token == "+":
        return outcome == "ok"
    if token == "-":
        return outcome in SQL_REFUSED
    return outcome == token


SQL_CELLS = [pytest.param(row, role, id=f"{row.function}-{role}") for row in SQL for role in ROLES]


@pytest.mark.parametrize(("row", "role"), SQL_CELLS)
def test_sql_role_matrix(app_conn: psycopg.Connection, world: World, row: Sql, role: str) -> None:
    """The function is allowed (+), refused (-) or fails with the named business error for this role."""
    expected = expectations(row.expect)[role]
    outcome = sql_outcome(app_conn, world, row, role)
    assert sql_matches(expected, outcome), f"{row.function} as {role}: expected {expected}, got {outcome}"


# ---- HTTP cells -----------------------------------------------------------------------------------------

def http_status(client: TestClient, world: World, row: Http, role: str) -> int:
    """The status of one request of the row's operation by the role."""
    method, path = row.request.split(" ", 1)
    body_text = json.dumps(row.body) if row.body is not None else ""
    objects = _objects(world, _names(path, body_text), row.fresh)
    me = _caller_id(world, role)
    principal = world.principal(role)
    kwargs: dict[str, Any] = {"headers": bearer(principal) if principal else {}}
    if row.upload:
        kwargs["files"] = {"file": ("log.txt", b"more logs\n", "text/plain")}
        kwargs["data"] = {"subtask": "1"}
    elif row.body is not None:
        kwargs["json"] = _fill_json(row.body, objects, me)
    return client.request(method, _fill(path, objects, me), **kwargs).status_code


def http_matches(token: str, status: int) -> bool:
    if token == "+":
        return 200 <= status < 300
    if token == "-":
        return status in HTTP_REFUSED
    return str(status) == token


HTTP_CELLS = [pytest.param(row, role, id=f"{row.operation}-{role}") for row in HTTP for role in ROLES]


@pytest.mark.parametrize(("row", "role"), HTTP_CELLS)
def test_http_role_matrix(http: TestClient, world: World, row: Http, role: str) -> None:
    """The operation answers 2xx (+), a refusal (-: 401/403/404) or the named business status for this role."""
    expected = expectations(row.expect)[role]
    status = http_status(http, world, row, role)
    assert http_matches(expected, status), f"{row.operation} as {role}: expected {expected}, got {status}"


def test_every_row_names_seven_outcomes_and_someone_who_may_call_it() -> None:
    """Each row has one valid token per role, and at least one role succeeds: the world really supports the
    call, so the refusals are refusals of a call that works."""
    for row in [*SQL, *HTTP]:
        tokens = expectations(row.expect)
        assert "+" in tokens.values(), row
        assert all(re.fullmatch(r"[+-]|MS\d{3}|\d{3}|\d{2}[0-9A-Z]{3}", t) for t in tokens.values()), row


# ---- completeness -----------------------------------------------------------------------------------------

def engine_functions(conn: psycopg.Connection) -> dict[str, list[str]]:
    """Every function of schema missions: name -> the argument types of each overload."""
    rows = conn.execute("""
        select p.proname as name, pg_catalog.pg_get_function_identity_arguments(p.oid) as args
        from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'missions' order by 1, 2""").fetchall()
    functions: dict[str, list[str]] = {}
    for r in rows:
        functions.setdefault(r["name"], []).append(r["args"])
    return functions


def test_every_sql_function_has_a_matrix_row(world: World) -> None:
    """A function added to schema missions without a row (or an overload of one) fails here; so does a row
    naming a function that no longer exists."""
    functions = engine_functions(world.su)
    rows = {r.function for r in SQL}
    missing = sorted(set(functions) - rows)
    stale = sorted(rows - set(functions))
    overloaded = {name: args for name, args in functions.items() if len(args) > 1}
    assert not missing, f"SQL functions without a role-matrix row: {missing}"
    assert not stale, f"role-matrix rows naming no function: {stale}"
    assert not overloaded, f"overloads need one matrix row each (extend Sql with the argument types): {overloaded}"


def openapi_operations(client: TestClient) -> dict[str, str]:
    """operationId -> 'METHOD /path' of every operation in the app's OpenAPI document."""
    spec = client.app.openapi_schema
    operations: dict[str, str] = {}
    for path, item in (spec.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is not None:
                operations[operation.operation_id] = f"{method.upper()} {path}"
    return operations


def request_matches(openapi_line: str, request: str) -> bool:
    """Whether a row's request line (placeholders or literals in the path, maybe a query) is the operation's."""
    method, path = openapi_line.split(" ", 1)
    pattern = "^" + re.sub(r"\\{[^}]*\\}", "[^/]+", re.escape(path)) + "$"
    row_method, row_path = request.split(" ", 1)
    return method == row_method and re.match(pattern, row_path.split("?")[0]) is not None


def test_every_http_operation_has_a_matrix_row(http: TestClient) -> None:
    """An operation added to the app without a row fails here, as does a row whose operation is gone or
    whose method and path are not the operation's."""
    operations = openapi_operations(http)
    rows = {r.operation: r for r in HTTP}
    missing, stale = sorted(set(operations) - set(rows)), sorted(set(rows) - set(operations))
    assert not missing, f"HTTP operations without a role-matrix row: {missing}"
    assert not stale, f"role-matrix rows naming no operation: {stale}"
    wrong = {op: (rows[op].request, line) for op, line in operations.items()
             if not request_matches(line, rows[op].request)}
    assert not wrong, f"rows whose request is not the operation's: {wrong}"


def test_a_login_with_only_public_rights_may_execute_no_function(world: World, cluster: Cluster) -> None:
    """A login role that is no engine role (only PUBLIC's rights) gets 42501 from every function."""
    world.su.execute("do $$ begin if not exists (select from pg_roles where rolname = 'rm_public_only') then "
                     "create role rm_public_only login; end if; end $$")
    calls = world.su.execute("""
        select p.oid::regprocedure::text as signature, 'select * from missions.' || quote_ident(p.proname) || '('
               || coalesce((select string_agg('null::' || format_type(t, null), ', ')
                            from unnest(p.proargtypes::oid[]) t), '') || ')' as query
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'missions'""").fetchall()
    outcomes: dict[str, str] = {}
    with psycopg.connect(cluster.url(MATRIX_DB, user="rm_public_only"), autocommit=True) as bare:
        for call in calls:
            try:
                with bare.transaction(force_rollback=True):
                    bare.execute(call["query"])
                outcomes[call["signature"]] = "ok"
            except psycopg.Error as exc:
                outcomes[call["signature"]] = exc.sqlstate or "?"
    assert len(outcomes) > 100
    assert {sig: state for sig, state in outcomes.items() if state != "42501"} == {}


# ---- row-level security -----------------------------------------------------------------------------------

def participant_relations(conn: psycopg.Connection) -> list[dict]:
    """Relations of missions_private with a column tying rows to a principal, and whether participants may
    SELECT them (any column), whether RLS is on, whether a view runs as its invoker."""
    return conn.execute("""
        select c.relname as name, c.relkind as kind, c.relrowsecurity as rls,
               coalesce('security_invoker=true' = any (c.reloptions), false) as invoker,
               pg_catalog.has_any_column_privilege('missions_participant', c.oid, 'SELECT') as readable,
               array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0
                     and not a.attisdropped and a.attname = any (%s)) as owner_columns
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'missions_private' and c.relkind in ('r', 'p', 'v', 'm', 'f')
        order by c.relname""", (list(OWNER_COLUMNS),)).fetchall()


def readable_participant_relations(conn: psycopg.Connection) -> list[dict]:
    """The relations with per-participant rows that participants may read, less those public by design."""
    return [rel for rel in participant_relations(conn)
            if (rel["name"] == "principals" or rel["owner_columns"]) and rel["readable"]
            and rel["name"] not in PUBLIC_BY_DESIGN]


def test_every_participant_readable_relation_with_participant_data_has_row_level_security(world: World) -> None:
    """From the catalog: a table that participants may read and that holds per-participant rows needs RLS (a
    view: security_invoker; a materialized view cannot have it), unless it is public by design."""
    unguarded = []
    for rel in readable_participant_relations(world.su):
        guarded = rel["rls"] if rel["kind"] in ("r", "p") else rel["kind"] == "v" and rel["invoker"]
        if not guarded:
            unguarded.append(rel["name"])
    assert unguarded == [], f"participant-readable relations without row-level security: {unguarded}"


def row_owner(row: dict, relation: str, mission_owner: dict[str, str | None],
              step_mission: dict[str, str]) -> str | None:
    """The principal a row belongs to: its principal column, else the participant of its mission (or step's)."""
    if relation == "principals":
        return str(row["id"])
    for column in ("participant_id", "principal_id", "owner_id", "caller"):
        if column in row:
            return None if row[column] is None else str(row[column])
    mission = row.get("mission_id") or step_mission.get(str(row.get("step_id")))
    return mission_owner.get(str(mission)) if mission else None


def visible_rows(conn: psycopg.Connection, world: World, role: str, relation: str) -> list[dict]:
    with conn.transaction(force_rollback=True):
        act_as(conn, world.p[role])
        return [r["row"] for r in conn.execute(
            f"select to_jsonb(t) as row from missions_private.{relation} t").fetchall()]


def test_participants_read_only_their_own_rows_with_plain_selects(world: World, app_conn: psycopg.Connection) -> None:
    """For every per-participant relation participants may read (from the catalog): the owner sees rows, all
    the owner's, and another participant sees none of the owner's rows — only rows that are their own."""
    world.populate()
    mission_owner = {str(r["id"]): (str(r["participant_id"]) if r["participant_id"] else None)
                     for r in world.su.execute("select id, participant_id from missions_private.missions")}
    step_mission = {str(r["id"]): str(r["mission_id"])
                    for r in world.su.execute("select id, mission_id from missions_private.steps")}
    problems: list[str] = []
    checked = readable_participant_relations(world.su)
    for rel in checked:
        for role in ("owner", "other"):
            me = world.p[role]["id"]
            rows = visible_rows(app_conn, world, role, rel["name"])
            foreign = [r for r in rows if row_owner(r, rel["name"], mission_owner, step_mission) != me]
            if foreign:
                problems.append(f"{rel['name']}: {role} sees {len(foreign)} row(s) of others")
            if role == "owner" and not rows:
                problems.append(f"{rel['name']}: the world gives the owner no row (extend World.populate)")
    assert len(checked) >= 15, checked
    assert problems == [], problems
