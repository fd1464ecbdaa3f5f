"""Agent-face missions and calls: create an ops mission, its step ids and status, a call as an agent."""

from __future__ import annotations

import json

import psycopg

from tests.helpers.principals import act_as


def create_mission(db, steps, **spec) -> str:
    spec = {"title": "Audit", "steps": steps, **spec}
    return str(db.execute("select missions.create_agent_mission(%s::jsonb) as id", (json.dumps(spec),)).fetchone()["id"])


def step_ids(db, mission_id) -> list[str]:
    return [str(r["id"]) for r in db.execute(
        "select id from missions_private.steps where mission_id = %s order by position", (mission_id,))]


def mission_status(db, mission_id) -> str:
    return db.execute("select status from missions_private.missions where id = %s", (mission_id,)).fetchone()["status"]


def as_agent(conn, agent, query, *args):
    """Run one call as the agent in its own transaction; returns rows or the psycopg error."""
    try:
        with conn.transaction():
            act_as(conn, agent)
            return conn.execute(query, args).fetchall()
    except psycopg.Error as exc:
        return exc
