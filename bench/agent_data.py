"""Data for the agent benchmarks (1, 2, 3, 5): agents, agent missions with ready steps, a pgmq queue.

Loaded set-based (INSERT … SELECT generate_series) directly into missions_private as the owner, with
session_replication_role = replica so the bulk load itself does not write millions of events; the
rows are exactly what create_agent_mission leaves for an approved ops mission (mission assigned,
steps ready, kind `task`: trusted, no quota, TTL 600 s).
"""

from __future__ import annotations

import psycopg

STEPS_PER_MISSION = 10


def prepare(conn: psycopg.Connection, agents: int) -> None:
    """Schema `bench` (readable by everyone) and `agents` principals with API keys: bench.agents(n, id, key)."""
    conn.execute("create schema if not exists bench")
    conn.execute("grant usage on schema bench to public")
    conn.execute("create table if not exists bench.agents (n int primary key, id uuid not null, key text not null)")
    conn.execute("grant select on bench.agents to public")
    have = conn.execute("select count(*) from bench.agents").fetchone()[0]
    for n in range(have, agents):
        out = conn.execute("select missions.enroll_principal('agent', %s, '{}'::jsonb)", (f"bench agent {n}",)).fetchone()[0]
        conn.execute("insert into bench.agents values (%s, %s, %s)", (n, out["principal"]["id"], out["api_key"]))


def add_steps_by_client(conn: psycopg.Connection, tag: str, clients: int, per_client: int) -> None:
    """Ready steps with known ids md5(tag || client || '-' || k)::uuid, k = 1..per_client, ten per mission
    (one client's consecutive steps share a mission)."""
    missions = -(-per_client // STEPS_PER_MISSION)
    _load(conn, f"""
      select md5(%(tag)s || 'm' || c || '-' || mi)::uuid as mission_id, c, mi
      from generate_series(0, %(clients)s - 1) c, generate_series(0, {missions} - 1) mi""",
          f"""
      select md5(%(tag)s || c || '-' || k)::uuid as id, md5(%(tag)s || 'm' || c || '-' || ((k - 1) / {STEPS_PER_MISSION}))::uuid
             as mission_id, (k - 1) %% {STEPS_PER_MISSION} + 1 as position
      from generate_series(0, %(clients)s - 1) c, generate_series(1, %(per)s) k""",
          {"tag": tag, "clients": clients, "per": per_client, "kind": "task", "priority": 5})


def add_queue_steps(conn: psycopg.Connection, tag: str, steps: int, kind: str = "task", priority: int = 5) -> None:
    """`steps` ready steps of a kind in missions of ten, ready_at spread over the last hour (so missions interleave)."""
    missions = -(-steps // STEPS_PER_MISSION)
    _load(conn, f"""
      select md5(%(tag)s || 'm' || mi)::uuid as mission_id, 0 as c, mi from generate_series(0, {missions} - 1) mi""",
          f"""
      select gen_random_uuid() as id, md5(%(tag)s || 'm' || ((k - 1) / {STEPS_PER_MISSION}))::uuid as mission_id,
             (k - 1) %% {STEPS_PER_MISSION} + 1 as position
      from generate_series(1, %(steps)s) k""",
          {"tag": tag, "steps": steps, "kind": kind, "priority": priority})


def _load(conn: psycopg.Connection, missions_sql: str, steps_sql: str, params: dict) -> None:
    with conn.transaction():
        conn.execute("set local session_replication_role = replica")
        conn.execute(f"""
          insert into missions_private.missions (id, face, title, status, priority, origin, assigned_at, status_changed_at)
          select x.mission_id, 'agent', 'bench mission ' || x.mi, 'assigned', 5, 'agent', now(), now()
          from ({missions_sql}) x""", params)
        conn.execute(f"""
          insert into missions_private.agent_missions (mission_id, kind, description)
          select x.mission_id, 'ops', 'benchmark' from ({missions_sql}) x""", params)
        conn.execute(f"""
          insert into missions_private.steps (id, mission_id, position, title, kind, status, priority, ready_at,
                                              status_changed_at, agent_queue)
          select x.id, x.mission_id, x.position, 'bench step ' || x.position, %(kind)s, 'ready', %(priority)s,
                 now() - interval '1 hour' * random(), now(), true
          from ({steps_sql}) x""", params)
    conn.execute("analyze missions_private.missions, missions_private.agent_missions, missions_private.steps")


def fill_queue(conn: psycopg.Connection, queue: str, messages: int) -> None:
    """A pgmq queue holding `messages` messages (sent with pgmq.send_batch, 10 000 per call)."""
    conn.execute("select pgmq.drop_queue(%s) where exists (select from pgmq.list_queues() q where q.queue_name = %s)",
                 (queue, queue))
    conn.execute("select pgmq.create(%s)", (queue,))
    left = messages
    while left > 0:
        n = min(left, 10_000)
        conn.execute("""select count(*) from pgmq.send_batch(%s, array(
                          select jsonb_build_object('step', gen_random_uuid(), 'n', i) from generate_series(1, %s) i))""",
                     (queue, n))
        left -= n
    conn.execute(f"analyze pgmq.q_{queue}")


def steps_sizes(conn: psycopg.Connection) -> dict[str, int]:
    """Heap and index sizes (bytes) of missions_private.steps."""
    row = conn.execute("""
      select pg_relation_size('missions_private.steps'), pg_indexes_size('missions_private.steps'),
             pg_total_relation_size('missions_private.steps'),
             (select count(*) from missions_private.steps)""").fetchone()
    sizes = {"heap": row[0], "indexes": row[1], "total": row[2], "rows": row[3]}
    for name, size in conn.execute("""
        select c.relname, pg_relation_size(c.oid) from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid = 'missions_private.steps'::regclass order by c.relname"""):
        sizes[f"index {name}"] = size
    return sizes
