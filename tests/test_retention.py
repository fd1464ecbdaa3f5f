"""Bounded growth: with the engine clock moved two years on, the retention job drops the event log's old months,
trims old step results, settled input requests, finished webhook deliveries, read notifications and pgmq
archives, and keeps everything current and the whole ledger."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers.agents import as_agent, create_mission
from tests.helpers.engagement import engine_now, fails, new_mission, set_clock
from tests.helpers.principals import make_principal

COUNTS = """select
  (select count(*) from missions_private.ledger_entries) as ledger,
  (select count(*) from missions_private.step_results) as results,
  (select count(*) from missions_private.notifications) as notifications,
  (select count(*) from missions_private.webhook_deliveries) as deliveries,
  (select count(*) from pgmq.a_mission_events) as archived"""


def partitions(db) -> list[str]:
    return [r["relname"] for r in db.execute(
        "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
        "where i.inhparent = 'missions_private.events'::regclass order by 1")]


def run_agent_mission(db, agent: dict) -> str:
    mission = create_mission(db, [{"title": "only", "kind": "task"}])
    claim = as_agent(db, agent, "select * from missions.claim_next_step(%s, array['task'])", agent["id"])[0]
    as_agent(db, agent, "select missions.complete_step(%s, %s, %s, '{\"ok\": true}')",
             claim["step_id"], agent["id"], claim["lease_token"])
    return mission


def test_retention_bounds_every_growing_table_and_keeps_what_is_current_and_the_ledger(db, principals):
    who, agent = principals["participant"]["id"], make_principal(db, "agent")
    start = engine_now(db)
    # two years of history, month by month
    for month in range(24):
        set_clock(db, start + timedelta(days=30 * month))
        db.execute("select missions.maintain_event_partitions(0)")
        db.execute("select missions.credit(%s, 'MOMENTUM', 5, 'monthly', %s)", (who, f"m{month}"))
        db.execute("select missions_private.transition_mission(%s, 'in_progress')", (new_mission(db, who),))
        if month == 0:
            old_mission = run_agent_mission(db, agent)
            db.execute("insert into missions_private.notifications (recipient_id, kind, moment, title, read_at) "
                       "values (%s, 'mission_assigned', 'old', 'old', missions.now())", (who,))
    db.execute("select pgmq.archive('mission_events', (select min(msg_id) from pgmq.q_mission_events))")
    db.execute("insert into pgmq.a_mission_events (msg_id, enqueued_at, archived_at, vt, message) "
               "values (0, now() - interval '90 days', now() - interval '90 days', now(), '{}')")
    # today: 30 days after the last month, 800 days after the first
    now = start + timedelta(days=800)
    set_clock(db, now)
    db.execute("select missions.maintain_event_partitions()")
    current = new_mission(db, who)
    db.execute("select missions.credit(%s, 'MOMENTUM', 1, 'today', 'today')", (who,))
    current_results = run_agent_mission(db, agent)
    before = db.execute(COUNTS).fetchone()
    months_before = len(partitions(db))

    done = db.execute("select missions.apply_retention() as r").fetchone()["r"]

    after = db.execute(COUNTS).fetchone()
    assert done["event_partitions_dropped"] >= 10 and len(partitions(db)) == months_before - done["event_partitions_dropped"]
    oldest = db.execute("select min(occurred_at) as t from missions_private.events").fetchone()["t"]
    assert oldest >= now - timedelta(days=400 + 31)  # nothing older than the window (to the month)
    assert db.execute("select count(*) as n from missions_private.events where mission_id = %s",
                      (current,)).fetchone()["n"] >= 1  # today's events stay
    assert after["ledger"] == before["ledger"] == 25  # the ledger is never trimmed
    assert db.execute("select count(*) as n from missions.check_invariants() where violations > 0").fetchone()["n"] == 0
    kept = db.execute("select count(*) as n from missions_private.step_results r join missions_private.steps s "
                      "on s.id = r.step_id where s.mission_id = %s", (current_results,)).fetchone()["n"]
    gone = db.execute("select count(*) as n from missions_private.step_results r join missions_private.steps s "
                      "on s.id = r.step_id where s.mission_id = %s", (old_mission,)).fetchone()["n"]
    assert (kept, gone) == (1, 0)
    assert after["notifications"] == before["notifications"] - 1 and done["notifications"] == 1
    assert done["pgmq.a_mission_events"] >= 1
    again = db.execute("select missions.apply_retention() as r").fetchone()["r"]
    assert again["event_partitions_dropped"] == 0 and again["step_results"] == 0  # a second run finds nothing


def test_detach_keeps_old_months_as_tables_for_an_export(db):
    start = engine_now(db)
    db.execute("insert into missions_private.settings (key, value) values ('retention_events_action', 'detach'), "
               "('retention_events_days', '30')")
    set_clock(db, start - timedelta(days=90))
    db.execute("select missions.maintain_event_partitions(0)")
    new_mission(db)
    old = db.execute("select missions_private.event_partition_name(missions.now()) as n").fetchone()["n"]
    set_clock(db, start)
    done = db.execute("select missions.apply_retention() as r").fetchone()["r"]
    assert done["event_partitions_detached"] >= 1
    assert old not in partitions(db)
    assert db.execute(f"select count(*) as n from missions_private.{old}").fetchone()["n"] >= 1
    assert fails(db, "select missions.maintain_event_partitions(25)").sqlstate == "MS422"
