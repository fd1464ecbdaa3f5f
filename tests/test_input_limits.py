"""Input limits: every column a caller can fill is bounded in the database, oversize input is refused
(SQL: 23514 with the constraint's name; HTTP: 413 over the body limit, 422 over a field's limit) and
nothing of the refused call is stored. Evidence files: tests/test_learning_http.py (413/415)."""

from __future__ import annotations

import json
import re

import psycopg
import pytest

from app.http.app import MAX_BODY_BYTES
from tests.helpers.agents import as_agent as agent_call
from tests.helpers.agents import create_mission, step_ids
from tests.helpers.principals import bearer

# Columns only the engine writes, derived from input that is bounded elsewhere; every other text,
# text[] and jsonb column of missions_private must carry a size/length CHECK or a foreign key.
ENGINE_WRITTEN = {
    ("alerts", "details"): "built by the alert rules from counters",
    ("api_keys", "prefix"): "generated hex",
    ("events", "type"): "event names are literals of the engine's functions",
    ("evidence_files", "storage_key"): "generated from the checked sha256",
    ("events", "from_status"): "a state machine status",
    ("events", "to_status"): "a state machine status",
    ("idempotency_keys", "caller"): "a principal id or a role name",
    ("idempotency_keys", "operation"): "a function name",
    ("idempotency_keys", "request"): "the call's arguments, each bounded where it is stored",
    ("idempotency_keys", "response"): "a row the call returned, bounded by its table",
    ("learning_missions", "ai_review"): "scores and reasoning of a bounded step result",
    ("learning_missions", "mentor_review"): "built from a bounded review",
    ("mission_rewards", "skill_domain"): "copied from the template's checked domain",
    ("portfolio_items", "code"): "copied from the learning template",
    ("portfolio_items", "title"): "copied from the template",
    ("portfolio_items", "tier"): "copied from the template",
    ("portfolio_items", "track"): "copied from the template",
    ("portfolio_items", "evidence"): "links to bounded evidence rows",
    ("portfolio_items", "rubric"): "a copy of a bounded rubric with scores",
    ("settings", "key"): "setting names are literals of the engine's functions",
    ("transitions", "from_status"): "the state machines' own table",
    ("transitions", "to_status"): "the state machines' own table",
}

BOUNDING = re.compile(r"(length|pg_column_size|cardinality|octet_length)\(|= ANY \(ARRAY\[|~ '\^")

FILLABLE_COLUMNS = """
select t.relname as table_name, a.attname as column_name,
       exists (select from pg_constraint k where k.conrelid = t.oid and k.contype = 'f' and a.attnum = any (k.conkey))
         as referenced,
       coalesce((select array_agg(pg_get_constraintdef(k.oid)) from pg_constraint k
                 where k.conrelid = t.oid and k.contype = 'c' and a.attnum = any (k.conkey)), '{}') as checks
from pg_attribute a
join pg_class t on t.oid = a.attrelid and t.relnamespace = 'missions_private'::regnamespace
  and t.relkind in ('r', 'p') and not t.relispartition  -- a partitioned table once (its partitions share its checks)
where a.attnum > 0 and not a.attisdropped and a.atttypid in ('text'::regtype, 'text[]'::regtype, 'jsonb'::regtype)
"""


def test_every_column_a_caller_fills_is_bounded_by_the_database(db):
    columns = db.execute(FILLABLE_COLUMNS).fetchall()
    unbounded = sorted((c["table_name"], c["column_name"]) for c in columns
                       if not c["referenced"] and not any(BOUNDING.search(k) for k in c["checks"]))
    assert [c for c in unbounded if c not in ENGINE_WRITTEN] == [], "add a size CHECK (sql/schema/12_size_limits.sql)"
    assert sorted(set(ENGINE_WRITTEN) - set(unbounded)) == [], "stale exemptions: these columns are bounded now"


def as_agent(conn: psycopg.Connection, agent: dict, sql: str, *args: object) -> object:
    """One call as the agent in its own transaction: the first row, or the psycopg error."""
    rows = agent_call(conn, agent, sql, *args)
    return rows if isinstance(rows, psycopg.Error) else rows[0]


def claimed(db: psycopg.Connection, agent: dict) -> tuple[str, str]:
    mission = create_mission(db, [{"title": "analyse", "kind": "task"}])
    step = step_ids(db, mission)[0]
    claim = as_agent(db, agent, "select lease_token from missions.claim_mission_step(%s, %s)", step, agent["id"])
    return step, str(claim["lease_token"])


def stored_results(db: psycopg.Connection, step: str) -> int:
    return db.execute("select count(*) as n from missions_private.step_results where step_id = %s",
                      (step,)).fetchone()["n"]


def test_an_oversize_step_result_is_refused_over_sql_and_stores_nothing(db, principals):
    agent = principals["agent"]
    step, token = claimed(db, agent)
    huge = json.dumps({"log": "x" * 1_100_000})
    err = as_agent(db, agent, "select * from missions.complete_step(%s, %s, %s, %s::jsonb, 'k-1')",
                   step, agent["id"], token, huge)
    assert isinstance(err, psycopg.errors.CheckViolation) and err.diag.constraint_name == "step_results_result_size"
    assert stored_results(db, step) == 0
    assert db.execute("select status from missions_private.steps where id = %s", (step,)).fetchone()["status"] \
        == "in_progress"
    assert db.execute("select count(*) as n from missions_private.idempotency_keys").fetchone()["n"] == 0
    done = as_agent(db, agent, "select status from missions.complete_step(%s, %s, %s, '{\"ok\": true}', 'k-1')",
                    step, agent["id"], token)
    assert done["status"] == "completed"


def test_an_oversize_event_payload_or_answer_is_refused_over_sql(db, principals):
    agent = principals["agent"]
    mission = create_mission(db, [{"title": "ask", "kind": "task"}])
    before = db.execute("select count(*) as n from missions_private.events").fetchone()["n"]
    err = as_agent(db, agent, "select missions.log_mission_event(%s, 'note', %s::jsonb)",
                   mission, json.dumps({"text": "y" * 1_100_000}))
    assert isinstance(err, psycopg.errors.CheckViolation) and err.diag.constraint_name == "events_payload_size"
    assert db.execute("select count(*) as n from missions_private.events").fetchone()["n"] == before
    err = as_agent(db, agent, "select * from missions.request_human_input(%s, %s, 'Go?', %s::jsonb)",
                   mission, step_ids(db, mission)[0], json.dumps({"context": {"dump": "z" * 70_000}}))
    assert isinstance(err, psycopg.errors.CheckViolation) and err.diag.constraint_name == "input_requests_context_size"
    assert db.execute("select count(*) as n from missions_private.input_requests").fetchone()["n"] == 0


def test_an_agent_mission_or_task_title_over_500_characters_is_refused_over_sql(db, principals):
    """Seed 004's model: mission and task titles of up to 500 characters."""
    agent = principals["agent"]
    err = as_agent(db, agent, "select missions.create_agent_mission(%s::jsonb)",
                   json.dumps({"title": "t" * 501, "steps": [{"title": "one"}]}))
    assert isinstance(err, psycopg.errors.CheckViolation) and err.diag.constraint_name == "missions_title_length"
    err = as_agent(db, agent, "select missions.create_agent_mission(%s::jsonb)",
                   json.dumps({"title": "t", "steps": [{"title": "s" * 501}]}))
    assert isinstance(err, psycopg.errors.CheckViolation) and err.diag.constraint_name == "steps_title_length"
    assert db.execute("select count(*) as n from missions_private.missions").fetchone()["n"] == 0
    row = as_agent(db, agent, "select missions.create_agent_mission(%s::jsonb) as id",
                   json.dumps({"title": "t" * 500, "steps": [{"title": "s" * 500}]}))
    assert db.execute("select length(m.title) as m, length(s.title) as s from missions_private.missions m "
                      "join missions_private.steps s on s.mission_id = m.id where m.id = %s",
                      (row["id"],)).fetchone() == {"m": 500, "s": 500}


def test_the_other_faces_keep_their_200_character_mission_titles(db):
    """The 500 characters are the agent face's: a mission of another face is still bounded at 200."""
    with pytest.raises(psycopg.errors.CheckViolation) as info:
        db.execute("insert into missions_private.missions (face, title) values ('engagement', %s)", ("t" * 201,))
    assert info.value.diag.constraint_name == "missions_title_length"


def test_a_body_over_the_limit_is_413_and_the_step_stays_claimed(client, db, principals):
    agent = principals["agent"]
    step, token = claimed(db, agent)
    body = json.dumps({"leaseToken": token, "result": {"log": "x" * MAX_BODY_BYTES}})
    r = client.post(f"/api/internal/steps/{step}/complete", content=body,
                    headers={**bearer(agent), "content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
    assert stored_results(db, step) == 0


@pytest.mark.parametrize("field, value", [("title", "t" * 501), ("description", "d" * 20_001)])
def test_a_field_over_its_length_is_422_and_stores_nothing(client, db, principals, field, value):
    body = {"title": "Audit", "tasks": [{"title": "one"}], field: value}
    r = client.post("/api/internal/missions", json=body, headers=bearer(principals["agent"]))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert db.execute("select count(*) as n from missions_private.missions").fetchone()["n"] == 0
    at_the_limit = client.post("/api/internal/missions", json={**body, field: value[:-1]},
                               headers=bearer(principals["agent"]))
    assert at_the_limit.status_code == 201, at_the_limit.text


def test_a_wall_post_over_5000_characters_is_422_and_not_published(client, db, principals):
    me = principals["participant"]
    r = client.post(f"/missions/{me['id']}/wall", json={"body": "w" * 5001}, headers=bearer(me))
    assert r.status_code == 422
    assert db.execute("select count(*) as n from missions_private.wall_posts").fetchone()["n"] == 0
