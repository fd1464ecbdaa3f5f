"""Benchmark 4: the daily/hourly jobs at scale, each vs a bare statement touching the same rows, and at
10 k participants vs the seed's approach (a Python loop of per-participant calls).

Data (set-based, INSERT … SELECT generate_series, straight into missions_private as the owner): N
participants in four time zones, their progress and four balances, one wall post each and one open
daily mission each (yesterday's, due at 06:00 local today). The engine clock is 2030-01-15 12:00 UTC
(07:00 in New York, 21:00 in Tokyo): yesterday ended for everyone without a check-in (decay), every
open mission is overdue (expire), today's daily is due for everyone (assign), the wall's scores are
stale (recalculate) and half the participants have not checked in for 7+ days (pause).

Every measured call runs in its own transaction that is rolled back, followed by VACUUM of what it
touched, so the job and its baseline see exactly the same rows.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import psycopg

from bench.common import Ctx, Row, Section, connect, say

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
TODAY, YESTERDAY = date(2030, 1, 15), date(2030, 1, 14)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]
TEMPLATES = 5
TOUCHED = ["missions_private.principals", "missions_private.participant_progress", "missions_private.balances",
           "missions_private.ledger_entries", "missions_private.alerts", "missions_private.wall_posts",
           "missions_private.missions", "missions_private.events", "pgmq.q_mission_events"]


# -- data ---------------------------------------------------------------------------------------------------

def generate(conn: psycopg.Connection, n: int) -> None:
    """Participants 1..n with progress, balances, a wall post and an open daily mission each."""
    zones = "array[" + ",".join(f"'{z}'" for z in ZONES) + "]"
    p = {"n": n, "now": NOW, "today": TODAY}
    with conn.transaction():
        conn.execute("set local session_replication_role = replica")
        conn.execute("set local maintenance_work_mem = '512MB'")
        conn.execute("""
          insert into missions_private.templates (id, face, title, created_at)
          select md5('tpl' || i)::uuid, 'engagement', 'Daily challenge ' || i, %(now)s - interval '60 days'
          from generate_series(1, 5) i on conflict do nothing""", p)
        conn.execute("""
          insert into missions_private.challenge_templates (template_id, skill_domain, difficulty, is_daily)
          select md5('tpl' || i)::uuid, (array['TECHNICAL','SOFT','COMMERCIAL'])[1 + i %% 3], 'EASY', true
          from generate_series(1, 5) i on conflict do nothing""", p)
        conn.execute(f"""
          insert into missions_private.principals (id, role, display_name, level, timezone, created_at)
          select md5('p' || i)::uuid, 'participant', 'Participant ' || i, 'L1_ACTIVATED',
                 ({zones})[1 + i %% 4], %(now)s - interval '30 days'
          from generate_series(1, %(n)s) i""", p)
        conn.execute("""
          insert into missions_private.participant_progress
            (participant_id, current_streak, longest_streak, last_check_in, last_decay_day,
             triad_technical, triad_soft, triad_commercial)
          select md5('p' || i)::uuid, i %% 5, 10, %(today)s - (i %% 14), %(today)s - 2, i %% 60, i %% 40, i %% 70
          from generate_series(1, %(n)s) i""", p)
        conn.execute("""
          insert into missions_private.balances (participant_id, currency, amount)
          select md5('p' || i)::uuid, c, case c when 'MOMENTUM' then i %% 100 when 'ARENA_POINTS' then i %% 50 else 0 end
          from generate_series(1, %(n)s) i, unnest(array['MOMENTUM','SKILL_XP','ARENA_POINTS','INCOME_PROOF']) c""", p)
        conn.execute("""
          insert into missions_private.wall_posts (participant_id, body, published_at, rank_score, ranked_at)
          select md5('p' || i)::uuid,
                 case when i %% 3 = 0 then 'Shipped my demo today #Cycle28 ' else 'Day ' || i %% 30 || ' of practice, ' end
                   || repeat('notes ', 1 + i %% 20),
                 %(now)s - interval '1 day' * (i %% 10) - interval '1 minute' * (i %% 1440), 0, %(now)s - interval '1 day'
          from generate_series(1, %(n)s) i""", p)
        conn.execute(f"""
          insert into missions_private.missions (face, template_id, participant_id, title, status, origin, period,
                                                 expires_at, assigned_at, status_changed_at, created_at)
          select 'engagement', md5('tpl' || (1 + i %% {TEMPLATES}))::uuid, md5('p' || i)::uuid, 'Daily challenge',
                 'assigned', 'daily', %(today)s - 1,
                 (%(today)s + time '06:00') at time zone ({zones})[1 + i %% 4],
                 %(now)s - interval '1 day', %(now)s - interval '1 day', %(now)s - interval '1 day'
          from generate_series(1, %(n)s) i""", p)
    for t in TOUCHED[:-2] + ["missions_private.templates", "missions_private.challenge_templates"]:
        conn.execute(f"vacuum analyze {t}")


def reset(conn: psycopg.Connection) -> None:
    conn.execute("truncate missions_private.principals, missions_private.templates, missions_private.events cascade")
    conn.execute("select pgmq.purge_queue('mission_events')")


def vacuum(conn: psycopg.Connection) -> None:
    for t in TOUCHED:
        conn.execute(f"vacuum analyze {t}")


# -- the jobs and their bare statements -----------------------------------------------------------------------
# (name, job call, setup run untimed in the same transaction first, bare statement, target-table SQL)

TARGETS = {
    "apply_momentum_decay": """
      create table bench.t_rows as
      select pp.participant_id as id from missions_private.participant_progress pp
      join missions_private.principals p on p.id = pp.participant_id where p.role = 'participant'""",
    "assign_daily_missions": """
      create table bench.t_rows as
      select p.id, md5('tpl' || (1 + abs(hashtext(p.id::text)) % 5))::uuid as template_id,
             ((date '2030-01-16') + time '06:00') at time zone p.timezone as expires_at
      from missions_private.principals p where p.role = 'participant'""",
    "expire_missions": """
      create table bench.t_rows as
      select m.id from missions_private.missions m
      where m.status in ('assigned', 'in_progress') and m.expires_at <= timestamptz '2030-01-15 12:00+00'""",
    "recalculate_wall_ranks": """
      create table bench.t_rows as
      select w.id, round((random() * 200)::numeric, 2) as score from missions_private.wall_posts w""",
    "pause_inactive_participants": """
      create table bench.t_rows as
      select p.id from missions_private.principals p
      join missions_private.participant_progress pp on pp.participant_id = p.id
      join missions_private.balances b on b.participant_id = p.id and b.currency = 'MOMENTUM'
      where p.role = 'participant' and p.active and not p.paused and b.amount < 30
        and coalesce(pp.last_check_in, (p.created_at at time zone p.timezone)::date)
            <= (timestamptz '2030-01-15 12:00+00' at time zone p.timezone)::date - 7""",
}

BARE = {
    "apply_momentum_decay": """
      with p as (
        update missions_private.participant_progress pp set last_decay_day = date '2030-01-14', current_streak = 0
        from bench.t_rows t where pp.participant_id = t.id returning pp.participant_id),
      b as (
        update missions_private.balances b set amount = greatest(b.amount - 5, 0)
        from p where b.participant_id = p.participant_id and b.currency = 'MOMENTUM' returning b.participant_id)
      insert into missions_private.ledger_entries (participant_id, currency, amount, requested, reason, reference,
                                                   idempotency_key)
      select b.participant_id, 'MOMENTUM', -5, -5, 'DECAY_INACTIVE', 'decay:2030-01-14', 'decay:2030-01-14' from b""",
    "assign_daily_missions": """
      insert into missions_private.missions (face, template_id, participant_id, title, status, origin, period, expires_at)
      select 'engagement', t.template_id, t.id, 'Daily challenge', 'assigned', 'daily', date '2030-01-15', t.expires_at
      from bench.t_rows t""",
    "expire_missions": """
      update missions_private.missions m set status = 'expired' from bench.t_rows t where m.id = t.id""",
    "recalculate_wall_ranks": """
      update missions_private.wall_posts w set rank_score = t.score, ranked_at = timestamptz '2030-01-15 12:00+00'
      from bench.t_rows t where w.id = t.id""",
    "pause_inactive_participants": """
      update missions_private.principals p set paused = true from bench.t_rows t where p.id = t.id""",
}

WHAT = {
    "apply_momentum_decay": "progress rows updated, MOMENTUM balances debited, ledger entries inserted",
    "assign_daily_missions": "missions inserted (+ their events and outbox messages, by the table's triggers)",
    "expire_missions": "missions updated to expired (+ events and outbox messages)",
    "recalculate_wall_ranks": "wall posts re-scored",
    "pause_inactive_participants": "principals paused",
}

JOBS = list(BARE)


def _in_rolled_back_tx(conn: psycopg.Connection, sql: str, setup: str | None = None,
                       timeout_s: int | None = None) -> tuple[float | None, int]:
    """Seconds `sql` takes inside a transaction at the bench clock (after `setup`, untimed and without
    triggers), rolled back; (None, 0) when it ran into `timeout_s`."""
    conn.execute("begin")
    try:
        conn.execute("set local missions.now = '2030-01-15 12:00+00'")
        if setup:  # only brings the rows to the state the measured call starts from
            conn.execute("set local session_replication_role = replica")
            conn.execute(setup)
            conn.execute("set local session_replication_role = origin")
        if timeout_s:
            conn.execute(f"set local statement_timeout = '{int(timeout_s)}s'")
        started = time.perf_counter()
        try:
            cur = conn.execute(sql)
        except psycopg.errors.QueryCanceled:
            return None, 0
        elapsed = time.perf_counter() - started
        n = cur.fetchone()[0] if cur.description else cur.rowcount
    finally:
        conn.execute("rollback")
    return elapsed, n


def _setup(job: str) -> str | None:
    """assign_daily_missions starts by expiring overdue missions; both it and its baseline are timed from the
    state after that expiry."""
    return ("update missions_private.missions set status = 'expired' where status in ('assigned', 'in_progress') "
            "and expires_at <= timestamptz '2030-01-15 12:00+00'") if job == "assign_daily_missions" else None


_bare_setup = _setup


def at_scale(ctx: Ctx, url: str) -> Section:
    n = ctx.scale
    sec = Section("daily_jobs", f"4. Daily jobs at {n:,} participants",
                  f"Each job on {n:,} participants, {n:,} wall posts and {n:,} open daily missions, vs a bare single "
                  "statement writing the same rows (an `UPDATE … FROM` / `INSERT … SELECT` by primary key from a "
                  "precomputed list `bench.t_rows`, on the same tables, so the same triggers fire). Times in seconds; "
                  "ratio = job / bare. `assign_daily_missions` first expires the overdue missions itself: both it and "
                  "its baseline are timed after that expiry (run untimed in the same transaction).")
    with connect(url) as conn:
        conn.execute("create schema if not exists bench")
        say(f"daily jobs: generating {n:,} participants")
        started = time.perf_counter()
        generate(conn, n)
        sec.facts.append(f"data generated in {time.perf_counter() - started:.0f} s; "
                         + ", ".join(f"{t.split('.')[1]} {c:,}" for t, c in _counts(conn)))
        for job in JOBS:
            conn.execute("drop table if exists bench.t_rows")
            conn.execute("set missions.now = '2030-01-15 12:00+00'")
            conn.execute(TARGETS[job])
            conn.execute("reset missions.now")
            conn.execute("analyze bench.t_rows")
            say(f"daily jobs: {job} at {n:,}")
            t_job, changed = _in_rolled_back_tx(conn, f"select missions.{job}()", _setup(job), ctx.job_timeout)
            vacuum(conn)
            t_bare, bare_rows = _in_rolled_back_tx(conn, BARE[job], _bare_setup(job), ctx.job_timeout)
            vacuum(conn)
            note = (f"{changed:,} {WHAT[job]}" if t_job is not None else f"job cancelled after {ctx.job_timeout} s") + \
                   (f"; bare: {bare_rows:,} rows" if t_bare is not None else f"; bare cancelled after {ctx.job_timeout} s")
            sec.rows.append(Row(f"`{job}()` s", t_job, t_bare, "s", "≤ 2×", higher_is_better=False, note=note))
            if t_job is None or t_bare is None:
                sec.findings.append(
                    f"`{job}` at {n:,}: the job and/or its baseline exceeded the time cap (`--job-timeout "
                    f"{ctx.job_timeout}`); raise the cap to measure it.")
        conn.execute("drop table if exists bench.t_rows")
    return sec


def _counts(conn: psycopg.Connection) -> list[tuple[str, int]]:
    tables = ["missions_private.principals", "missions_private.balances", "missions_private.wall_posts",
              "missions_private.missions"]
    return [(t, conn.execute(f"select count(*) from {t}").fetchone()[0]) for t in tables]


# -- the seed's approach: a Python loop of per-participant calls ---------------------------------------------------

def _local(tz: str) -> datetime:
    return NOW.astimezone(ZoneInfo(tz))


def loop_decay(conn: psycopg.Connection) -> int:
    done = 0
    people = conn.execute("""select p.id, p.timezone, p.created_at from missions_private.principals p
                             where p.role = 'participant' and p.active and not p.paused""").fetchall()
    for pid, tz, created in people:
        today = _local(tz).date()
        ended = today - timedelta(days=1)
        if created.astimezone(ZoneInfo(tz)).date() > ended:
            continue
        with conn.transaction():
            prog = conn.execute("""select last_decay_day, last_check_in from missions_private.participant_progress
                                   where participant_id = %s for update""", (pid,)).fetchone()
            if prog[0] is not None and prog[0] >= ended:
                continue
            missed = conn.execute("""select not exists (select from missions_private.check_ins
                                     where participant_id = %s and local_day = %s)""", (pid, ended)).fetchone()[0]
            reset_streak = missed and (prog[1] is None or prog[1] < ended)
            conn.execute("""update missions_private.participant_progress set last_decay_day = %s,
                            current_streak = case when %s then 0 else current_streak end where participant_id = %s""",
                         (ended, reset_streak, pid))
            if missed:
                amount = conn.execute("""select amount from missions_private.balances
                                         where participant_id = %s and currency = 'MOMENTUM' for update""",
                                      (pid,)).fetchone()[0]
                taken = min(amount, 5)
                conn.execute("""update missions_private.balances set amount = amount - %s
                                where participant_id = %s and currency = 'MOMENTUM'""", (taken, pid))
                conn.execute("""insert into missions_private.ledger_entries (participant_id, currency, amount, requested,
                                reason, reference, idempotency_key) values (%s, 'MOMENTUM', %s, -5, 'DECAY_INACTIVE', %s, %s)""",
                             (pid, -taken, f"decay:{ended}", f"decay:{ended}"))
                if amount - taken < 30:
                    conn.execute("""insert into missions_private.alerts (participant_id, type, severity)
                                    values (%s, 'LOW_MOMENTUM', 'HIGH')
                                    on conflict (participant_id, type) where status = 'triggered' do nothing""", (pid,))
                done += 1
    return done


def loop_assign(conn: psycopg.Connection) -> int:
    done = 0
    people = conn.execute("""select p.id, p.timezone, p.level from missions_private.principals p
                             where p.role = 'participant' and p.active and not p.paused""").fetchall()
    for pid, tz, level in people:
        local = _local(tz)
        if local.time() < dtime(6):
            continue
        period = local.date()
        with conn.transaction():
            if conn.execute("""select exists (select from missions_private.missions where participant_id = %s
                               and origin = 'daily' and period = %s)""", (pid, period)).fetchone()[0]:
                continue
            choices = conn.execute("""
              select c.id, c.title from missions_private.challenges c
              where c.is_active and c.is_daily
                and missions_private.level_rank(c.required_level) <= missions_private.level_rank(%s)
                and not exists (select from missions_private.missions o where o.participant_id = %s
                                and o.template_id = c.id and o.status in ('assigned', 'in_progress', 'submitted'))""",
                                   (level, pid)).fetchall()
            if not choices:
                continue
            tid, title = random.choice(choices)
            due = datetime.combine(period + timedelta(days=1), dtime(6), ZoneInfo(tz))
            conn.execute("""insert into missions_private.missions (face, template_id, participant_id, title, status,
                            origin, period, expires_at) values ('engagement', %s, %s, %s, 'assigned', 'daily', %s, %s)""",
                         (tid, pid, title, period, due))
            done += 1
    return done


def loop_expire(conn: psycopg.Connection) -> int:
    overdue = conn.execute("""select id, participant_id from missions_private.missions
                              where status in ('assigned', 'in_progress') and expires_at <= missions.now()""").fetchall()
    for mid, _ in overdue:
        with conn.transaction():
            conn.execute("update missions_private.missions set status = 'expired' where id = %s", (mid,))
    for pid in {p for _, p in overdue}:
        with conn.transaction():
            missed = conn.execute("""select count(*) from missions_private.missions where participant_id = %s
                                     and status in ('expired', 'failed')
                                     and status_changed_at > missions.now() - interval '7 days'""", (pid,)).fetchone()[0]
            if missed >= 3:
                conn.execute("""insert into missions_private.alerts (participant_id, type, severity)
                                values (%s, 'MISSED_MISSIONS', 'HIGH')
                                on conflict (participant_id, type) where status = 'triggered' do nothing""", (pid,))
    return len(overdue)


def loop_wall(conn: psycopg.Connection) -> int:
    import re

    tag = conn.execute("select missions_private.setting('campaign_hashtag')").fetchone()[0]
    word = re.compile(r"(^|[^\w])" + re.escape(tag) + r"([^\w]|$)", re.IGNORECASE)
    done = 0
    posts = conn.execute("select id, participant_id, body, published_at, rank_score from missions_private.wall_posts").fetchall()
    for wid, pid, body, published, old in posts:
        with conn.transaction():
            t, s, c, streak = conn.execute("""select triad_technical, triad_soft, triad_commercial, current_streak
                                              from missions_private.participant_progress where participant_id = %s""",
                                           (pid,)).fetchone()
            bal = dict(conn.execute("""select currency, amount from missions_private.balances where participant_id = %s
                                       and currency in ('MOMENTUM', 'ARENA_POINTS')""", (pid,)).fetchall())
            days = int((NOW - published).total_seconds() // 86400)
            from decimal import ROUND_HALF_UP, Decimal

            score = (Decimal(t + s + c) / 3 + bal.get("MOMENTUM", 0) + min(streak * 2, 30)
                     + Decimal(bal.get("ARENA_POINTS", 0)) / 10 + (10 if word.search(body) else 0)
                     + max(0, 30 - days * 2)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if score != old:
                conn.execute("update missions_private.wall_posts set rank_score = %s, ranked_at = %s where id = %s",
                             (score, NOW, wid))
                done += 1
    return done


def loop_pause(conn: psycopg.Connection) -> int:
    done = 0
    people = conn.execute("""select p.id, p.timezone, p.created_at from missions_private.principals p
                             where p.role = 'participant' and p.active and not p.paused""").fetchall()
    for pid, tz, created in people:
        with conn.transaction():
            last, momentum = conn.execute("""
              select pp.last_check_in, b.amount from missions_private.participant_progress pp
              join missions_private.balances b on b.participant_id = pp.participant_id and b.currency = 'MOMENTUM'
              where pp.participant_id = %s""", (pid,)).fetchone()
            last = last or created.astimezone(ZoneInfo(tz)).date()
            if momentum < 30 and last <= _local(tz).date() - timedelta(days=7):
                conn.execute("update missions_private.principals set paused = true where id = %s", (pid,))
                done += 1
    return done


LOOPS = {"apply_momentum_decay": loop_decay, "assign_daily_missions": loop_assign, "expire_missions": loop_expire,
         "recalculate_wall_ranks": loop_wall, "pause_inactive_participants": loop_pause}


def vs_seed_loop(ctx: Ctx, url: str) -> Section:
    n = ctx.seed_scale
    sec = Section("seed_loop", f"4b. Daily jobs vs the seed's per-participant loop at {n:,} participants",
                  f"Each job on {n:,} participants (same data shape as above) vs the seed's approach: Python "
                  "(psycopg, same machine, Unix socket) selects the participants (or posts, missions) and then, one "
                  "transaction per participant, reads its state, decides in Python and writes it "
                  "(`bench/daily_jobs.py`, `loop_*`). Figure: the job's speed-up = loop seconds / job seconds; "
                  "the table shows the job's seconds against the loop's seconds.")
    with connect(url) as conn, psycopg.connect(url) as loop_conn:
        loop_conn.execute("set missions.now = '2030-01-15 12:00+00'")
        loop_conn.commit()
        loop_conn.autocommit = True
        for job in JOBS:
            reset(conn)
            generate(conn, n)
            say(f"daily jobs vs loop: {job} at {n:,}")
            t_job, changed = _in_rolled_back_tx(conn, f"select missions.{job}()", _setup(job))
            if job == "assign_daily_missions":  # the loop, like the job, runs after expiry
                conn.execute("begin")
                conn.execute("set local missions.now = '2030-01-15 12:00+00'")
                conn.execute("select missions.expire_missions()")
                conn.execute("commit")
            vacuum(conn)
            started = time.perf_counter()
            looped = LOOPS[job](loop_conn)
            t_loop = time.perf_counter() - started
            # ratio = job / loop; target: the job at least 50× faster, i.e. ratio ≤ 1/50
            sec.rows.append(Row(f"`{job}()` s", t_job, t_loop, "s", "≤ 0.02×", higher_is_better=False,
                                note=f"job {changed:,} rows, loop {looped:,} rows; speed-up {t_loop / t_job:,.0f}×"))
        reset(conn)
    return sec
