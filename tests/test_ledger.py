"""The currency ledger: credits and debits, floors, idempotency, the balance invariant, permissions
and concurrency."""

from __future__ import annotations

import pytest
from psycopg import errors

from tests.helpers.engagement import (
    CURRENCIES,
    balances,
    credit,
    debit,
    fails,
    ledger,
    run_together,
)
from tests.helpers.principals import act_as, make_principal


@pytest.mark.parametrize("fn", ["credit", "debit"])
@pytest.mark.parametrize("amount", [0, -5, None])
def test_the_amount_must_be_positive(db, principals, fn, amount):
    pid = principals["participant"]["id"]
    err = fails(db, f"select missions.{fn}(%s, 'MOMENTUM', %s::bigint, 'test')", (pid, amount))
    assert err.sqlstate == "MS422"
    assert "positive" in err.diag.message_primary
    assert ledger(db, pid) == []
    assert balances(db, pid)["MOMENTUM"] == 0


@pytest.mark.parametrize("fn", ["credit", "debit"])
@pytest.mark.parametrize("currency", ["GOLD", "momentum", None])
def test_an_unknown_currency_is_refused(db, principals, fn, currency):
    pid = principals["participant"]["id"]
    err = fails(db, f"select missions.{fn}(%s, %s, 10, 'test')", (pid, currency))
    assert err.sqlstate == "MS422"
    assert "currency must be one of" in err.diag.message_primary
    assert ledger(db, pid) == []
    assert db.execute("select count(*) as n from missions_private.balances where participant_id = %s",
                      (pid,)).fetchone()["n"] == 4


def test_a_reason_is_required_and_only_participants_hold_balances(db, principals):
    pid = principals["participant"]["id"]
    for reason in ("", "   ", None):
        err = fails(db, "select missions.credit(%s, 'MOMENTUM', 10, %s)", (pid, reason))
        assert err.sqlstate == "MS422"
    for target in (principals["admin"]["id"], "00000000-0000-0000-0000-000000000000"):
        assert fails(db, "select missions.credit(%s, 'MOMENTUM', 10, 'x')", (target,)).sqlstate == "MS404"
        assert fails(db, "select * from missions.balances(%s)", (target,)).sqlstate == "MS404"
    assert db.execute("select count(*) as n from missions_private.ledger_entries").fetchone()["n"] == 0


def test_credit_and_debit_book_signed_entries(db, principals):
    pid = principals["participant"]["id"]
    c = credit(db, pid, 40, "SKILL_XP", reason="bonus")
    d = debit(db, pid, 15, "SKILL_XP", reason="spent")
    assert (c["amount"], c["requested"], c["currency"], c["reason"]) == (40, 40, "SKILL_XP", "bonus")
    assert (d["amount"], d["requested"], d["reason"]) == (-15, -15, "spent")
    assert balances(db, pid) == {"MOMENTUM": 0, "SKILL_XP": 25, "ARENA_POINTS": 0, "INCOME_PROOF": 0}


def test_a_debit_floors_at_zero_and_records_what_was_actually_taken(db, principals):
    pid = principals["participant"]["id"]
    credit(db, pid, 30)
    entry = debit(db, pid, 50)
    assert (entry["amount"], entry["requested"]) == (-30, -50)
    assert balances(db, pid)["MOMENTUM"] == 0
    empty = debit(db, pid, 10)
    assert (empty["amount"], empty["requested"]) == (0, -10)
    assert balances(db, pid)["MOMENTUM"] == 0
    assert [(e["amount"], e["requested"]) for e in ledger(db, pid)] == [(30, 30), (-30, -50), (0, -10)]


def test_the_same_idempotency_key_twice_books_once_and_returns_the_same_entry(db, principals):
    pid = principals["participant"]["id"]
    first = credit(db, pid, 25, key="grant-1")
    again = credit(db, pid, 25, key="grant-1")
    assert again["id"] == first["id"]
    assert again == first
    assert balances(db, pid)["MOMENTUM"] == 25
    assert len(ledger(db, pid)) == 1
    # a floored debit replays as the same floored entry, not a fresh one
    d1 = debit(db, pid, 100, key="take-all")
    d2 = debit(db, pid, 100, key="take-all")
    assert d1["id"] == d2["id"] and d1["amount"] == -25
    assert balances(db, pid)["MOMENTUM"] == 0
    assert len(ledger(db, pid)) == 2


@pytest.mark.parametrize("call", [
    "select missions.credit(%(p)s, 'MOMENTUM', 26, 'test', 'grant-1')",   # different amount
    "select missions.debit(%(p)s, 'MOMENTUM', 25, 'test', 'grant-1')",    # same amount, other sign
    "select missions.credit(%(p)s, 'SKILL_XP', 25, 'test', 'grant-1')",   # other currency
])
def test_the_same_key_for_a_different_entry_is_a_duplicate(db, principals, call):
    pid = principals["participant"]["id"]
    first = credit(db, pid, 25, key="grant-1")
    err = fails(db, call, {"p": pid})
    assert err.sqlstate == "23505"
    assert "grant-1" in err.diag.message_primary
    assert [e["id"] for e in ledger(db, pid)] == [first["id"]]
    assert balances(db, pid) == {"MOMENTUM": 25, "SKILL_XP": 0, "ARENA_POINTS": 0, "INCOME_PROOF": 0}


def test_idempotency_keys_are_per_participant(db, principals):
    a, b = principals["participant"]["id"], principals["other"]["id"]
    ea = credit(db, a, 10, key="welcome")
    eb = credit(db, b, 10, key="welcome")
    assert ea["id"] != eb["id"]
    assert balances(db, a)["MOMENTUM"] == balances(db, b)["MOMENTUM"] == 10


def test_balances_always_equal_the_sum_of_ledger_entries(db, principals):
    people = [principals["participant"]["id"], principals["other"]["id"], make_principal(db)["id"]]
    for i, pid in enumerate(people):
        for currency in CURRENCIES:
            credit(db, pid, 10 * (i + 1), currency)
            debit(db, pid, 7, currency)
            debit(db, pid, 1000, currency)                        # floored
            credit(db, pid, 3 + i, currency, key=f"k-{currency}")
            credit(db, pid, 3 + i, currency, key=f"k-{currency}")  # replay
            fails(db, "select missions.credit(%s, %s, 99, 'test', %s)", (pid, currency, f"k-{currency}"))
            debit(db, pid, 2, currency)
    mismatches = db.execute("""
        select coalesce(b.participant_id, e.participant_id) as participant_id,
               coalesce(b.currency, e.currency) as currency, b.amount as balance, e.total
        from missions_private.balances b
        full join (select participant_id, currency, sum(amount) as total
                   from missions_private.ledger_entries group by participant_id, currency) e
          on e.participant_id = b.participant_id and e.currency = b.currency
        where coalesce(b.amount, 0) <> coalesce(e.total, 0) or b.amount < 0""").fetchall()
    assert mismatches == []
    # and the numbers are the expected ones: (10(i+1) - 7 -> floored to 0) + (3+i) - 2
    for i, pid in enumerate(people):
        assert balances(db, pid) == {c: 1 + i for c in CURRENCIES}


def test_balances_lists_the_four_currencies_in_order(db, principals):
    pid = principals["participant"]["id"]
    credit(db, pid, 5, "INCOME_PROOF")
    rows = db.execute("select * from missions.balances(%s)", (pid,)).fetchall()
    assert [(r["currency"], r["amount"]) for r in rows] == [
        ("MOMENTUM", 0), ("SKILL_XP", 0), ("ARENA_POINTS", 0), ("INCOME_PROOF", 5)]


def test_participants_may_not_credit_or_debit_even_themselves(db, principals):
    me = principals["participant"]
    for fn in ("credit", "debit"):
        with db.transaction():
            act_as(db, me)
            with pytest.raises(errors.InsufficientPrivilege):
                db.execute(f"select missions.{fn}(%s, 'MOMENTUM', 10, 'self-service')", (me["id"],))
    assert ledger(db, me["id"]) == []


def test_admins_credit_and_the_entry_names_the_actor(db, principals):
    admin, me = principals["admin"], principals["participant"]
    with db.transaction():
        act_as(db, admin)
        entry = credit(db, me["id"], 12, "ARENA_POINTS", reason="prize")
    assert str(entry["actor_id"]) == admin["id"]
    assert balances(db, me["id"])["ARENA_POINTS"] == 12


def test_participants_read_only_their_own_balances_and_ledger(db, principals):
    me, other = principals["participant"], principals["other"]
    credit(db, me["id"], 7)
    credit(db, other["id"], 9)
    with db.transaction():
        act_as(db, me)
        assert {r["currency"]: r["amount"] for r in
                db.execute("select * from missions.balances(%s)", (me["id"],))}["MOMENTUM"] == 7
        assert [r["amount"] for r in db.execute("select * from missions.ledger(%s)", (me["id"],))] == [7]
        for call in ("select * from missions.balances(%s)", "select * from missions.ledger(%s)"):
            err = fails(db, call, (other["id"],))
            assert err.sqlstate == "MS403"
        # and row-level security hides the other participant's rows from direct reads
        assert db.execute("select count(*) as n from missions_private.ledger_entries").fetchone()["n"] == 1


def test_the_ledger_is_newest_first_and_paged(db, principals):
    pid = principals["participant"]["id"]
    for amount in (1, 2, 3, 4):
        credit(db, pid, amount)
    first = db.execute("select * from missions.ledger(%s, 2)", (pid,)).fetchall()
    assert [r["amount"] for r in first] == [4, 3]
    after = db.execute("select * from missions.ledger(%s, 2, jsonb_build_object('id', %s::bigint))",
                       (pid, first[-1]["id"])).fetchall()
    assert [r["amount"] for r in after] == [2, 1]
    assert fails(db, "select * from missions.ledger(%s, 0)", (pid,)).sqlstate == "MS422"
    assert fails(db, "select * from missions.ledger(%s, 201)", (pid,)).sqlstate == "MS422"


def test_concurrent_credits_with_the_same_key_book_exactly_once(db, principals, connect):
    pid = principals["participant"]["id"]
    conns = [connect(autocommit=True) for _ in range(8)]

    def worker(conn):
        def go(barrier):
            barrier.wait()
            return conn.execute("select * from missions.credit(%s, 'MOMENTUM', 40, 'race', 'same-key')",
                                (pid,)).fetchone()
        return go

    outcomes = run_together([worker(c) for c in conns])
    assert [exc for _, exc in outcomes] == [None] * 8
    ids = {entry["id"] for entry, _ in outcomes}
    assert len(ids) == 1
    assert [e["id"] for e in ledger(db, pid)] == list(ids)
    assert balances(db, pid)["MOMENTUM"] == 40


def test_concurrent_debits_never_take_more_than_the_balance(db, principals, connect):
    pid = principals["participant"]["id"]
    credit(db, pid, 35)
    conns = [connect(autocommit=True) for _ in range(8)]

    def worker(conn):
        def go(barrier):
            barrier.wait()
            return conn.execute("select * from missions.debit(%s, 'MOMENTUM', 10, 'race')", (pid,)).fetchone()
        return go

    outcomes = run_together([worker(c) for c in conns])
    assert [exc for _, exc in outcomes] == [None] * 8
    taken = sorted(entry["amount"] for entry, _ in outcomes)
    assert sum(taken) == -35
    assert taken == [-10, -10, -10, -5, 0, 0, 0, 0]
    assert {entry["requested"] for entry, _ in outcomes} == {-10}
    assert balances(db, pid)["MOMENTUM"] == 0
    assert db.execute("select sum(amount) as s from missions_private.ledger_entries where participant_id = %s",
                      (pid,)).fetchone()["s"] == 0
