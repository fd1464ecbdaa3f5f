"""Seed 000 §14 "Example: Complete User Flow", replayed through the SQL API with the engine clock.

The participant lives in New York. The daily assignment and decay jobs run every hour, as pg_cron
runs them; the admin switches which daily template is active so that the seed's missions are the
ones drawn. Every number the seed states is asserted.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.helpers.principals import make_principal

TZ_OFFSET = timedelta(hours=-5)  # America/New_York in January (EST)
DAY1 = datetime(2030, 1, 7, tzinfo=UTC)  # a Monday


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """UTC instant of day N (1-based), hh:mm New York time."""
    return DAY1 + timedelta(days=day - 1, hours=hour, minutes=minute) - TZ_OFFSET


class Programme:
    def __init__(self, db):
        self.db = db
        self.clock = local(1, 0)  # the programme starts at midnight of day 1; the participant joins then
        db.execute("select set_config('missions.now', %s, false)", (self.clock.isoformat(),))
        self.admin = make_principal(db, "admin", "Admin")["id"]
        self.user = db.execute(
            "select missions.create_principal('participant', 'Dana', %s::jsonb) as id",
            (json.dumps({"timezone": "America/New_York", "level": "L1_ACTIVATED"}),)).fetchone()["id"]
        self.intro = self.template("Record a 30-second intro video", "SOFT", "EASY", arena_points=0)
        self.outreach = self.template("Send 2 cold outreach messages", "COMMERCIAL", "MEDIUM", arena_points=5)

    def template(self, title, domain, difficulty, **extra):
        spec = {"title": title, "skill_domain": domain, "difficulty": difficulty, "is_daily": True,
                "is_active": False, **extra}
        return self.db.execute("select missions.create_template(%s::jsonb) as id", (json.dumps(spec),)).fetchone()["id"]

    def activate_only(self, template_id):
        for t in (self.intro, self.outreach):
            self.db.execute("select missions.set_template_active(%s, %s)", (t, t == template_id))

    def run_hourly_jobs_until(self, until: datetime):
        """Advance the clock hour by hour, running the hourly jobs like pg_cron."""
        while self.clock < until:
            self.clock += timedelta(hours=1)
            self.db.execute("select set_config('missions.now', %s, false)", (self.clock.isoformat(),))
            self.db.execute("select missions.assign_daily_missions(), missions.apply_momentum_decay()")

    def at(self, when: datetime):
        self.run_hourly_jobs_until(when.replace(minute=0))
        self.db.execute("select set_config('missions.now', %s, false)", (when.isoformat(),))

    def call(self, sql, *args):
        return self.db.execute(sql, args).fetchone()

    def balances(self):
        return {r["currency"]: r["amount"] for r in self.db.execute("select * from missions.balances(%s)", (self.user,))}

    def stats(self):
        return self.call("select missions.participant_stats(%s) as s", self.user)["s"]

    def daily_mission(self, day: int):
        rows = self.db.execute("select id, template_id, status from missions_private.missions "
                               "where participant_id = %s and origin = 'daily' and period = %s",
                               (self.user, (DAY1 + timedelta(days=day - 1)).date())).fetchall()
        assert len(rows) == 1, rows
        return rows[0]

    def low_momentum_alerts(self):
        return self.db.execute("select * from missions.alerts('triggered') where participant_id = %s "
                               "and type = 'LOW_MOMENTUM'", (self.user,)).fetchall()


def test_the_seed_user_flow_plays_out_with_every_number(db):
    p = Programme(db)

    # Day 1
    p.activate_only(p.intro)
    p.at(local(1, 8, 30))
    check_in = p.call("select * from missions.check_in(%s)", p.user)
    assert check_in["checked_in"] and check_in["current_streak"] == 1                    # 1. streak = 1
    mission = p.daily_mission(1)                                                         # 2. daily assigned at 06:00
    assert mission["template_id"] == p.intro and mission["status"] == "assigned"
    assert p.call("select status from missions.start_mission(%s)", mission["id"])["status"] == "in_progress"  # 3.
    done = p.call("select status from missions.submit_mission(%s, %s)", mission["id"], "https://video.example/intro")
    assert done["status"] == "completed"                                                 # 4. EASY auto-verifies
    assert p.balances() == {"MOMENTUM": 10, "SKILL_XP": 5, "ARENA_POINTS": 0, "INCOME_PROOF": 0}  # 5.
    assert p.stats()["triad"] == {"technical": 0, "soft": 5, "commercial": 0}             # 6. soft +5

    # Day 2
    p.activate_only(p.outreach)
    p.at(local(2, 9))
    assert p.call("select * from missions.check_in(%s)", p.user)["current_streak"] == 2  # 1. streak = 2
    mission = p.daily_mission(2)                                                         # 2. new daily mission
    assert mission["template_id"] == p.outreach
    p.call("select missions.start_mission(%s)", mission["id"])
    submitted = p.call("select status from missions.submit_mission(%s, %s, %s)", mission["id"],
                       "https://img.example/screenshot.png", "Sent two messages")
    assert submitted["status"] == "submitted"                                            # 3.
    assert [r["id"] for r in db.execute("select id from missions.pending_reviews()")] == [mission["id"]]
    p.at(local(2, 11))
    assert p.call("select status from missions.approve_mission(%s, %s)", mission["id"], p.admin)["status"] == "completed"  # 4.
    assert p.balances() == {"MOMENTUM": 20, "SKILL_XP": 10, "ARENA_POINTS": 5, "INCOME_PROOF": 0}  # 5. +10, +5, +5
    assert p.stats()["triad"] == {"technical": 0, "soft": 5, "commercial": 10}            # 6. commercial +10
    p.activate_only(None)

    # Day 3: no login. Nothing happens during the day...
    p.at(local(3, 23, 30))
    assert p.balances()["MOMENTUM"] == 20
    assert p.low_momentum_alerts() == []
    # ...then the midnight cron: -5 momentum, streak reset
    p.at(local(4, 0, 30))
    assert p.balances()["MOMENTUM"] == 15                                                # 1. -5 decay
    stats = p.stats()
    assert stats["current_streak"] == 0 and stats["longest_streak"] == 2                 # 2. streak resets
    decay = db.execute("select amount, reason from missions_private.ledger_entries "
                       "where participant_id = %s and reason = 'DECAY_INACTIVE'", (p.user,)).fetchall()
    assert decay == [{"amount": -5, "reason": "DECAY_INACTIVE"}]
    alerts = p.low_momentum_alerts()                                                     # 15 < 30
    assert [(a["type"], a["severity"]) for a in alerts] == [("LOW_MOMENTUM", "HIGH")]

    # Day 4
    p.at(local(4, 10))
    assert p.call("select * from missions.check_in(%s)", p.user)["current_streak"] == 1  # 1. streak = 1 (reset)
    p.at(local(4, 23, 30))
    assert p.balances()["MOMENTUM"] == 15                                                # 2. no decay for today
    assert len(p.low_momentum_alerts()) == 1                                             # still one open alert
    stats = p.stats()
    assert stats["missions"] == {"completed": 2} and stats["completion_rate"] == 1
    assert stats["last_check_in"] == "2030-01-10"
    sums = db.execute("select currency, sum(amount) as total from missions_private.ledger_entries "
                      "where participant_id = %s group by currency", (p.user,)).fetchall()
    assert {r["currency"]: r["total"] for r in sums} == {"MOMENTUM": 15, "SKILL_XP": 10, "ARENA_POINTS": 5}
