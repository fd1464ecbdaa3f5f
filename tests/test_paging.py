"""Keyset paging of every list (issue 13, "bounded work per request"): over SQL (p_limit 1..200, p_after the
last row's key) and over HTTP (limit, an opaque cursor, the next cursor in the body or the X-Next-Cursor
header and a Link rel="next" header). Walking every page returns every row exactly once in the list's order,
also while other connections insert; a limit above the maximum and a bad cursor are 422 (MS422 in SQL), never
500; and structural checks make a new unbounded list — a set-returning SQL function without p_limit/p_after
or a list operation without `limit` in the OpenAPI document — fail the suite."""

from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from litestar.serialization import encode_json

from app import queries
from app.http.paging import MAX_LIMIT
from tests.helpers.engagement import (
    credit,
    fails,
    make_template,
    set_clock,
    submitted_mission,
)
from tests.helpers.learning import create_template as create_learning_template
from tests.helpers.principals import act_as, bearer, make_principal, race

PROBLEM = "application/problem+json"


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def walk_sql(conn: psycopg.Connection, query: str, params: dict, limit: int) -> list[dict]:
    """Every page of a list query of app/queries.py, each page after the previous page's last key."""
    seen: list[dict] = []
    after = None
    for _ in range(1000):
        rows = conn.execute(query, {**params, "limit": limit, "after": after}).fetchall()
        seen += rows
        if len(rows) < limit:
            return seen
        after = rows[-1]["page_key"]
    raise AssertionError("the walk does not end")


def ident(row: dict) -> str:
    """A row's identity: its page key (unique per list by construction of each list's order)."""
    return row["page_key"]


@pytest.fixture
def world(db):
    """Rows in every engagement, agent and learning list, many of them sharing a timestamp (one transaction),
    so the unique tie-breaker of each order is exercised."""
    set_clock(db, "2030-01-06 09:00:00+00")
    admin = make_principal(db, "admin")
    me = make_principal(db, "participant", "Paging participant", level="L5_CATALYST")
    agent = make_principal(db, "agent")
    with db.transaction():  # one transaction: one created_at for all of these
        easy = [make_template(db) for _ in range(5)]
        medium = [make_template(db, difficulty="MEDIUM") for _ in range(4)]
        keys = [db.execute("select missions.create_api_key(%s, 'k') as k", (me["id"],)).fetchone() for _ in range(5)]
        for i in range(6):
            credit(db, me["id"], i + 1)
        for kind in ("paging_a", "paging_b", "paging_c", "paging_d"):
            db.execute("select missions.upsert_step_kind(%s, '{\"trusted\": true}')", (kind,))
    set_clock(db, "2030-01-06 10:00:00+00")
    for t in easy[:3]:
        db.execute("select * from missions.assign_mission(%s, %s)", (me["id"], t))
    for t in medium:
        submitted_mission(db, me["id"], t)
    people = [make_principal(db, "participant", f"P{i}")["id"] for i in range(5)]
    db.execute("insert into missions_private.alerts (participant_id, type, severity) "
               "select p, t, 'HIGH' from unnest(%s::uuid[]) p, unnest(array['LOW_MOMENTUM', 'MISSED_MISSIONS']) t",
               (people,))
    for p in people:
        db.execute("select missions.post_to_wall(%s, 'same score')", (p,))
    with db.transaction():
        for i in range(7):
            db.execute("select missions.create_agent_mission(%s::jsonb)", (json.dumps({
                "title": f"Ops {i}", "priority": ["low", "normal", "high"][i % 3], "lead_agent_id": agent["id"],
                "steps": [{"title": "check", "kind": "health_check"}]}),))
    for i in range(6):
        db.execute("select missions.upsert_recipe(%s::jsonb)", (json.dumps(
            {"slug": f"recipe-{i}", "title": f"Recipe {i}", "type": "concept"}),))
    for code, tier in (("GRC-02", "advanced"), ("GRC-01", "beginner"), ("SIEM-01", "beginner"), ("SIEM-02", "mastery")):
        create_learning_template(db, code, tier=tier, track="grc" if code.startswith("GRC") else "defender")
    return {"admin": admin, "me": me, "agent": agent, "keys": keys, "people": people}


# Each list query of app/queries.py with its parameters (the page parameters come from the walk).
def sql_lists(w: dict) -> list[tuple[str, str, dict]]:
    me = w["me"]["id"]
    return [
        ("templates", queries.TEMPLATES, {}),
        ("available_missions", queries.AVAILABLE_MISSIONS, {"user_id": me}),
        ("participant_missions", queries.PARTICIPANT_MISSIONS, {"user_id": me, "statuses": None}),
        ("pending_reviews", queries.PENDING_REVIEWS, {}),
        ("ledger", queries.LEDGER, {"user_id": me}),
        ("alerts", queries.ALERTS, {"status": "all"}),
        ("wall_feed", queries.WALL_FEED, {}),
        ("api_keys", queries.API_KEYS, {"principal_id": me}),
        ("search_principals", queries.SEARCH_PRINCIPALS,
         {"role": None, "cohort": None, "level": None, "active": None, "q": None}),
        ("step_kinds", queries.STEP_KINDS, {}),
        ("list_agent_missions", queries.LIST_AGENT_MISSIONS,
         {"statuses": None, "priorities": None, "include_tasks": False, "recent_events": 0}),
        ("recipes", queries.RECIPES, {"search": None, "skill": None, "type": None}),
        ("learning_templates", queries.LEARNING_TEMPLATES, {"track": None}),
    ]


def test_walking_every_page_returns_every_row_once_in_order(db, world):
    for name, query, params in sql_lists(world):
        everything = db.execute(query, {**params, "limit": MAX_LIMIT, "after": None}).fetchall()
        assert len(everything) >= 2, name
        assert len({ident(r) for r in everything}) == len(everything), f"{name}: the order's key is not unique"
        for limit in (1, 2, 3):
            walked = walk_sql(db, query, params, limit)
            assert [ident(r) for r in walked] == [ident(r) for r in everything], (name, limit)


def test_the_orders_are_the_documented_ones(db, world):
    """Newest first (ties: the larger id first) for histories; oldest first for queues; by key for catalogues."""
    def ids(query, params):
        return [r["id"] for r in db.execute(query, {**params, "limit": MAX_LIMIT, "after": None})]
    assert ids(queries.TEMPLATES, {}) == [r["id"] for r in db.execute(
        "select id from missions_private.templates t join missions_private.challenge_templates c on c.template_id = t.id "
        "order by t.created_at desc, t.id desc")]
    assert ids(queries.LEDGER, {"user_id": world["me"]["id"]}) == [r["id"] for r in db.execute(
        "select id from missions_private.ledger_entries where participant_id = %s order by id desc", (world["me"]["id"],))]
    assert ids(queries.PENDING_REVIEWS, {}) == [r["id"] for r in db.execute(
        "select id from missions_private.missions where status = 'submitted' order by submitted_at, id")]
    codes = [r["template"]["code"] for r in db.execute(queries.LEARNING_TEMPLATES,
                                                       {"track": None, "limit": MAX_LIMIT, "after": None})]
    assert codes == ["SIEM-01", "SIEM-02", "GRC-01", "GRC-02"]  # track, tier rank, code
    priorities = [r["mission"]["priority"] for r in db.execute(queries.LIST_AGENT_MISSIONS, {
        "statuses": None, "priorities": None, "include_tasks": False, "recent_events": 0, "limit": MAX_LIMIT,
        "after": None})]
    assert priorities == sorted(priorities, reverse=True)


def test_participants_walk_only_their_own_rows(db, world, connect):
    """Paging keeps row-level security and the own-data rule: a participant's walk of the alerts is theirs."""
    conn = connect()
    mine = world["people"][0]
    with conn.transaction():
        act_as(conn, {"id": mine, "role": "participant"})
        walked = walk_sql(conn, queries.ALERTS, {"status": "all"}, 1)
    assert [r["participant_id"] for r in walked] == [uuid.UUID(mine)] * 2


def test_inserts_while_walking_neither_repeat_nor_skip_existing_rows(db, world, connect):
    """Real parallel connections: one walks the templates (newest first) and the review queue (oldest first)
    one row per page, each page its own transaction, while another inserts templates and submissions. Every
    row that existed before the walk is returned exactly once, in order, and no row twice (offset paging would
    repeat rows as new ones push the old ones down)."""
    me = world["me"]["id"]
    before_t = [ident(r) for r in db.execute(queries.TEMPLATES, {"limit": MAX_LIMIT, "after": None})]
    before_q = [ident(r) for r in db.execute(queries.PENDING_REVIEWS, {"limit": MAX_LIMIT, "after": None})]
    set_clock(db, "2030-01-06 11:00:00+00")
    fresh = [make_template(db, difficulty="MEDIUM") for _ in range(12)]
    walker, writer = connect(autocommit=True), connect(autocommit=True)
    writer.execute("set missions.now = '2030-01-06 12:00:00+00'")

    def walk() -> tuple[list[str], list[str]]:
        return ([ident(r) for r in walk_sql(walker, queries.TEMPLATES, {}, 1)],
                [ident(r) for r in walk_sql(walker, queries.PENDING_REVIEWS, {}, 1)])

    def write() -> int:
        for t in fresh:
            make_template(writer)
            submitted_mission(writer, me, t)
        return len(fresh)

    (templates, queue), written = race([walk, write])
    assert written == len(fresh)
    for walked, before in ((templates, before_t), (queue, before_q)):
        assert len(walked) == len(set(walked)), "a row came twice"
        assert [k for k in walked if k in set(before)] == before, "an existing row was skipped or moved"


def test_page_size_and_page_key_are_validated_in_sql(db, world):
    """MS422 for a limit outside 1..200 and for a key that is not the list's (extra, missing or null keys);
    a key value of the wrong type is a 22xxx data error. Nothing is returned either way."""
    me = world["me"]["id"]
    for limit in (0, -1, MAX_LIMIT + 1, None):
        assert fails(db, "select * from missions.templates(%s)", (limit,)).sqlstate == "MS422"
        assert fails(db, "select * from missions.ledger(%s, %s)", (me, limit)).sqlstate == "MS422"
    for key in ('{"id": 1, "extra": 2}', '{"created_at": "2030-01-01"}', '[1]', '"x"', '{}',
                '{"created_at": null, "id": null}', '{"created_at": {"a": 1}, "id": "x"}'):
        assert fails(db, "select * from missions.templates(5, %s::jsonb)", (key,)).sqlstate == "MS422", key
    bad_type = fails(db, "select * from missions.templates(5, %s::jsonb)", ('{"created_at": "soon", "id": "x"}',))
    assert bad_type.sqlstate.startswith("22")
    assert fails(db, "select * from missions.ledger(%s, 5, %s::jsonb)", (me, '{"id": "x"}')).sqlstate.startswith("22")


# ---- every set-returning SQL function is paged, or says why it needs not be -----------------------------
NOT_PAGED = {
    "authenticate": "at most one row (a key's principal)",
    "revoke_api_key": "one row",
    "metrics": "a fixed set of metric families",
    "check_invariants": "one row per invariant (seven)",
    "balances": "one row per currency (four)",
    "update_template": "one row", "set_template_active": "one row",
    "check_in": "one row", "resolve_alert": "one row", "post_to_wall": "one row",
    "claim_next_step": "at most one row",
    "claim_next_steps": "at most p_limit rows, 1..100", "complete_steps": "one row per completion given, 1..100",
    "evidence_limits": "one row", "set_evidence_limits": "one row",
    "recommend_recipes": "a ranked top-N: p_limit 1..50, no later pages",
    "cron_jobs": "the engine's fixed list of pg_cron jobs",
    "designate_reviewer": "one row", "revoke_reviewer": "one row",
    "stipend_tiers": "at most 20 rows (ranks 1..20 are unique)",
    "recent_agent_missions": "the last N finished missions: p_limit 1..100, no later pages (seed 003's ops view)",
}


def test_every_set_returning_function_is_paged_or_bounded(db):
    rows = db.execute("""
        select p.proname as name, coalesce(p.proargnames, '{}') as args,
               pg_catalog.pg_get_function_identity_arguments(p.oid) as signature
        from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'missions' and p.proretset""").fetchall()
    unpaged = sorted(f"{r['name']}({r['signature']})" for r in rows
                     if not {"p_limit", "p_after"} <= set(r["args"]) and r["name"] not in NOT_PAGED)
    assert unpaged == [], "a set-returning function without p_limit and p_after (page it, or name why it is bounded)"
    paged = [r["name"] for r in rows if {"p_limit", "p_after"} <= set(r["args"])]
    assert len(paged) >= 20
    stale = set(NOT_PAGED) - {r["name"] for r in rows}
    assert not stale, f"exempted but not set-returning (drop them from NOT_PAGED): {sorted(stale)}"


# ---- HTTP ---------------------------------------------------------------------------------------------

def next_from_link(response) -> str | None:
    link = response.headers.get("link")
    if not link:
        return None
    target, rel = link.split(";", 1)
    assert rel.strip() == 'rel="next"' and target.startswith("<") and target.endswith(">")
    return target[1:-1]


def test_following_the_link_header_walks_a_seed_list_kept_as_an_array(client, world):
    """/missions/all keeps seed 000's JSON array; the cursor is in Link and X-Next-Cursor."""
    auth = bearer(world["me"])
    everything = client.get(f"/missions/all?limit={MAX_LIMIT}", headers=auth)
    assert everything.status_code == 200 and isinstance(everything.json(), list)
    assert "link" not in everything.headers and "x-next-cursor" not in everything.headers
    url, walked, pages = "/missions/all?limit=2", [], 0
    while url:
        r = client.get(url, headers=auth)
        assert r.status_code == 200, r.text
        walked += [t["id"] for t in r.json()]
        url, pages = next_from_link(r), pages + 1
        if url:
            assert parse_qs(urlsplit(url).query)["cursor"] == [r.headers["x-next-cursor"]]
            assert parse_qs(urlsplit(url).query)["limit"] == ["2"]
            assert urlsplit(url).path == "/missions/all"
    assert walked == [t["id"] for t in everything.json()] and pages == len(walked) // 2 + 1


def test_an_object_list_carries_the_next_cursor_in_body_and_headers(client, world):
    admin = bearer(world["admin"])
    everything = client.get("/alerts?status=all&limit=200", headers=admin).json()
    assert everything["nextCursor"] is None and len(everything["items"]) == 10
    walked, url = [], "/alerts?status=all&limit=3"
    while url:
        r = client.get(url, headers=admin)
        body = r.json()
        walked += [a["id"] for a in body["items"]]
        url = next_from_link(r)
        assert body["nextCursor"] == r.headers.get("x-next-cursor")
        assert (url is None) == (body["nextCursor"] is None)
    assert walked == [a["id"] for a in everything["items"]]
    # the same walk with the body's cursor and another filter value kept in the link
    first = client.get("/alerts?status=all&limit=4", headers=admin)
    assert "status=all" in next_from_link(first)


def test_agent_missions_walk_over_http(client, world):
    """The heavy list of the issue (1.4 MB for 3,000 missions) comes a bounded page at a time."""
    agent = bearer(world["agent"])
    everything = [m["id"] for m in client.get("/api/internal/missions?limit=200", headers=agent).json()]
    assert len(everything) == 7
    url, walked = "/api/internal/missions?include_tasks=true&limit=2", []
    while url:
        r = client.get(url, headers=agent)
        assert r.status_code == 200 and len(r.json()) <= 2
        assert all(m["tasks"] for m in r.json())  # the other parameters ride along in the link
        walked += [m["id"] for m in r.json()]
        url = next_from_link(r)
    assert walked == everything


def openapi(client) -> dict:
    return json.loads(encode_json(client.app.openapi_schema.to_schema()))


def list_operations(spec: dict) -> list[tuple[str, dict]]:
    """GET operations whose 200 answer is a JSON array or a page object ({items, nextCursor})."""
    found = []
    for path, item in spec["paths"].items():
        op = item.get("get")
        schema = (op or {}).get("responses", {}).get("200", {}).get("content", {}).get("application/json", {}) \
            .get("schema", {})
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        if schema.get("type") == "array" or "nextCursor" in schema.get("properties", {}):
            found.append((path, op))
    return found


# Lists whose length the data cannot grow: they need no limit.
BOUNDED_LISTS = {
    "listStipendTiers": "at most 20 tiers (ranks 1..20 are unique)",
    "getBalances": "one entry per currency (four)",
    "listDecisions": "the decision points of one mission's template",
}
TOP_N = {"recommendRecipes": "a ranked top-N (limit 1..50), no later pages",
         "listRecentAgentMissions": "the last N finished missions (limit 1..100), no later pages"}


def test_every_list_operation_declares_limit_and_cursor(client):
    """Structural: a new list operation without `limit` (and `cursor`) fails here."""
    spec = openapi(client)
    ops = list_operations(spec)
    assert len(ops) >= 25
    for path, op in ops:
        names = {p["name"]: p for p in op.get("parameters", [])}
        if op["operationId"] in BOUNDED_LISTS:
            continue
        assert "limit" in names, f"{op['operationId']} ({path}) is a list without limit"
        assert names["limit"]["schema"].get("maximum") <= MAX_LIMIT, op["operationId"]
        if op["operationId"] in TOP_N:
            continue
        assert "cursor" in names, f"{op['operationId']} ({path}) takes limit but no cursor"
        assert {"Link", "X-Next-Cursor"} <= set(op["responses"]["200"].get("headers", {})), op["operationId"]
        assert "422" in op["responses"], op["operationId"]


def _fill(path: str, world: dict) -> str:
    return (path.replace("{user_id}", world["me"]["id"]).replace("{principal_id}", world["me"]["id"])
            .replace("{mission_id}", str(uuid.uuid4())).replace("{subscription_id}", str(uuid.uuid4())))


@pytest.mark.parametrize("query", [
    f"limit={MAX_LIMIT + 1}", "limit=0", "limit=ten",
    "cursor=%25%25%25",                                   # not base64url
    "cursor=" + b64("not json"),                          # not JSON
    "cursor=" + b64("[1, 2]"),                            # not an object
    "cursor=" + b64('{"bogus": 1}'),                      # not this list's key (MS422 from SQL)
    "cursor=" + b64("x" * 3000),                          # too long
])
def test_bad_limits_and_cursors_are_422_on_every_list(client, world, query):
    admin = bearer(world["admin"])
    spec = openapi(client)
    checked = 0
    for path, op in list_operations(spec):
        names = {p["name"] for p in op.get("parameters", [])}
        param = query.split("=", 1)[0]
        if param not in names:
            continue
        extra = f"&template_id={uuid.uuid4()}" if "template_id" in names else ""
        r = client.get(f"{_fill(path, world)}?{query}{extra}", headers=admin)
        assert r.status_code == 422, (op["operationId"], query, r.status_code, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        checked += 1
    assert checked >= 20


def test_a_cursor_with_the_right_keys_and_wrong_values_is_422(client, world):
    admin = bearer(world["admin"])
    for key in ('{"created_at": "soon", "id": "x"}', '{"created_at": "2030-01-01", "id": 7}'):
        r = client.get("/missions/all?cursor=" + b64(key), headers=admin)
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), r.text
    r = client.get(f"/missions/{world['me']['id']}/ledger?cursor=" + b64('{"id": "seven"}'), headers=admin)
    assert r.status_code == 422, r.text


def test_offset_is_refused_not_ignored(client, world):
    """The ledger, the wall and the recipes took `offset` before cursors: an old client's offset loop gets a 422
    instead of page one again and again."""
    auth = bearer(world["me"])
    for url in ("/wall?offset=50", f"/missions/{world['me']['id']}/ledger?limit=5&offset=5", "/api/v1/recipes?offset=1"):
        r = client.get(url, headers=auth)
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), (url, r.text)


# Every list function's page query, as the superuser (the own-data and role checks let it through).
def list_calls(w: dict) -> list[str]:
    me, lt = w["me"]["id"], w["learning_template"]
    return [
        f"missions.api_keys('{me}')", "missions.templates()", f"missions.available_missions('{me}')",
        f"missions.participant_missions('{me}')", "missions.pending_reviews()", f"missions.ledger('{me}')",
        "missions.alerts('all')", "missions.alerts('triggered')", "missions.wall_feed()", "missions.step_kinds()",
        "missions.list_agent_missions()", "missions.input_requests('all')", "missions.input_requests()",
        "missions.learning_templates()", "missions.learning_templates('grc')", "missions.mentor_reviews()",
        f"missions.portfolio('{me}')", f"missions.skill_signals('{me}')", "missions.recipes()",
        "missions.mission_performance()", f"missions.step_funnel('{lt}')", "missions.completion_heatmap()",
        "missions.participant_benchmarks()", "missions.recipe_effectiveness()", "missions.cohort_dashboard()",
        "missions.recipe_usage_stats()", f"missions.decision_paths('{lt}')", f"missions.tool_usage('{lt}')",
    ]


def test_every_page_is_read_in_index_order_without_a_sort(db, world):
    """The ORDER BY of every page query is backed by an index: with sorting disabled in the planner, the plan
    of each list function's page statement (captured by auto_explain from inside the function) has no Sort
    node, so a page costs the rows it returns (plus the invisible ones skipped), never a sort of the table."""
    world["learning_template"] = db.execute(
        "select template_id from missions_private.learning_templates limit 1").fetchone()["template_id"]
    plans: list[str] = []
    db.add_notice_handler(lambda diag: plans.append(diag.message_primary or ""))
    db.execute("load 'auto_explain'")
    for setting, value in (("auto_explain.log_min_duration", "0"), ("auto_explain.log_nested_statements", "on"),
                           ("auto_explain.log_level", "notice"), ("client_min_messages", "notice"),
                           ("enable_sort", "off"), ("enable_incremental_sort", "off"), ("enable_seqscan", "off")):
        db.execute(f"set {setting} = {value}")
    for call in list_calls(world):
        plans.clear()
        db.execute(f"select count(*) from {call}")
        pages = [p for p in plans if "v_limit" in p]
        assert pages, (call, plans)
        for plan in pages:
            assert " Sort" not in plan and "Sort Key" not in plan, f"{call} sorts:\n{plan}"


def test_the_learning_lists_walk_over_http_with_every_key_shape(client, db):
    """The analytics views (tier rank, negated percentile, a recipe without a lift: key "none"), the portfolio and
    the skill signals, walked one and two rows a page by nextCursor, equal the whole list."""
    from tests.helpers.analytics import build

    data = build(db)
    db.execute("select missions.refresh_learning_analytics()")
    p = data["p"]
    admin = bearer(p["admin"])
    alice = p["alice"]["id"]
    lists = ["/api/v1/missions/analytics/performance", f"/api/v1/missions/analytics/funnel?template_id={data['t2']}",
             "/api/v1/missions/analytics/heatmap", "/api/v1/missions/analytics/benchmarks",
             "/api/v1/missions/analytics/cohorts", "/api/v1/recipes/analytics/effectiveness",
             "/api/v1/recipes/analytics/usage-stats",
             f"/api/v1/portfolio?participant_id={alice}", f"/api/v1/skill-signals?participant_id={alice}",
             "/api/v1/learning-templates", "/api/v1/recipes"]
    for path in lists:
        sep = "&" if "?" in path else "?"
        whole = client.get(f"{path}{sep}limit=200", headers=admin).json()
        assert whole["nextCursor"] is None and len(whole["items"]) >= 2, path
        for limit in (1, 2):
            walked, cursor = [], None
            while True:
                url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
                r = client.get(url, headers=admin)
                assert r.status_code == 200, (url, r.text)
                walked += r.json()["items"]
                cursor = r.json()["nextCursor"]
                if cursor is None:
                    break
            assert walked == whole["items"], (path, limit)
    lifts = [r["lift"] for r in client.get("/api/v1/recipes/analytics/effectiveness?limit=200", headers=admin)
             .json()["items"]]
    assert None in lifts  # the "none" key was walked over


def test_without_a_limit_a_list_answers_the_default_page(client, db):
    """The issue's case: a caller that asks for a list without a limit gets 50 rows and the way on, not all."""
    admin = make_principal(db, "admin")
    with db.transaction():
        for _ in range(55):
            make_template(db)
    r = client.get("/missions/all", headers=bearer(admin))
    assert r.status_code == 200 and len(r.json()) == 50
    rest = client.get(next_from_link(r), headers=bearer(admin))
    assert len(rest.json()) == 5 and "link" not in rest.headers
    assert len({t["id"] for t in r.json() + rest.json()}) == 55
    r = db.execute("select count(*) as n from missions.templates()").fetchone()
    assert r["n"] == 50  # the SQL default is the same page
