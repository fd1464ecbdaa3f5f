"""missions.now(): the engine's one clock, overridable for tests and simulations by timekeepers only."""

from datetime import UTC, datetime

import psycopg


def test_now_is_the_transaction_time_by_default(db):
    row = db.execute("select missions.now() = now() as same").fetchone()
    assert row["same"]


def test_setting_missions_now_moves_the_clock_for_that_session(db, connect):
    db.execute("set missions.now = '2030-01-02 03:04:05+00'")
    assert db.execute("select missions.now() as t").fetchone()["t"] == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    other = connect(autocommit=True)
    assert other.execute("select missions.now() = now() as same").fetchone()["same"]
    db.execute("reset missions.now")
    assert db.execute("select missions.now() = now() as same").fetchone()["same"]


def test_set_local_moves_the_clock_for_one_transaction(db):
    with db.transaction():
        db.execute("set local missions.now = '2031-05-06 00:00:00+00'")
        assert db.execute("select missions.now() as t").fetchone()["t"].year == 2031
    assert db.execute("select missions.now() = now() as same").fetchone()["same"]


def test_the_clock_ignores_the_setting_for_non_timekeepers(db):
    db.execute("do $$ begin if not exists (select from pg_roles where rolname = 'clock_tester') then "
               "create role clock_tester login in role missions_participant; end if; end $$")
    db.execute("set session authorization clock_tester")
    try:
        db.execute("set missions.now = '2030-01-01 00:00:00+00'")
        assert db.execute("select missions.now() = now() as same").fetchone()["same"]
    finally:
        db.execute("reset session authorization")


def test_a_malformed_clock_setting_is_a_clear_error(db):
    db.execute("set missions.now = 'not a time'")
    try:
        db.execute("select missions.now()")
    except psycopg.errors.InvalidDatetimeFormat:
        pass
    else:
        raise AssertionError("a malformed clock setting must raise")
