"""missions.check_invariants(): all zero on a healthy database, and each invariant catches its violation
(data broken on purpose as the owner, bypassing the constraints and triggers that normally prevent it)."""

from __future__ import annotations

import pytest

from tests.helpers.principals import make_principal


def violations(db) -> dict[str, int]:
    return {r["invariant"]: r["violations"] for r in db.execute("select * from missions.check_invariants()")}


class _Rollback(Exception):
    pass


def broken(db, *statements: str) -> dict[str, int]:
    """The violations after `statements`, run without triggers (as a bug in a function could), rolled back."""
    found: dict[str, int] = {}
    try:
        with db.transaction():
            db.execute("set local session_replication_role = replica")
            for sql in statements:
                db.execute(sql)
            found = {k: v for k, v in violations(db).items() if v}
            raise _Rollback
    except _Rollback:
        pass
    return found


def test_a_fresh_database_with_activity_has_no_violation(db, principals):
    assert set(violations(db).values()) == {0} and len(violations(db)) == 7


@pytest.fixture
def person(db):
    return make_principal(db, "participant", "Invariant Person")


def test_each_invariant_catches_its_violation(db, person):
    pid = person["id"]
    assert broken(db, f"update missions_private.balances set amount = 9 where participant_id = '{pid}' and currency = 'SKILL_XP'") == {
        "balance equals the sum of its ledger entries": 1}
    db.execute("insert into missions_private.templates (id, face, title) values "
               "('00000000-0000-4000-8000-00000000c0de', 'engagement', 'T')")
    db.execute("insert into missions_private.challenge_templates (template_id, skill_domain, difficulty) values "
               "('00000000-0000-4000-8000-00000000c0de', 'SOFT', 'EASY')")
    two_open = (f"insert into missions_private.missions (face, template_id, participant_id, title, status) "
                f"select 'engagement', '00000000-0000-4000-8000-00000000c0de', '{pid}', 'T', 'assigned' "
                f"from generate_series(1, 2)")
    assert broken(db, "drop index missions_private.missions_one_open_assignment", two_open) == {
        "at most one open assignment per participant and template": 1}
    assert broken(db, f"""insert into missions_private.missions (face, template_id, participant_id, title, status)
                          values ('engagement', '00000000-0000-4000-8000-00000000c0de', '{pid}', 'T', 'completed')""") == {
        "one reward per completed mission": 1}
    assert broken(db, "insert into missions_private.quota_usage values ('backup', '2030-01-01', 5)",
                  "update missions_private.step_kinds set daily_quota = 4 where kind = 'backup'") == {
        "quotas never exceeded": 1}
    assert broken(db, f"insert into missions_private.monthly_starts values ('{pid}', '2030-01-01', 2)") == {
        "quotas never exceeded": 1}


def test_claims_and_completions_are_checked(db, principals):
    mission = db.execute("""select missions.create_agent_mission('{"title": "m", "steps": [{"title": "a", "kind": "task"}]}')
                            as id""").fetchone()["id"]
    step = db.execute("select id from missions_private.steps where mission_id = %s", (mission,)).fetchone()["id"]
    assert broken(db, "alter table missions_private.steps drop constraint steps_lease_only_in_progress",
                  f"""update missions_private.steps set lease_token = gen_random_uuid(),
                      leased_by = '{principals['agent']['id']}', lease_expires_at = now() where id = '{step}'""") == {
        "at most one live claim per step, only on in-progress steps": 1}
    assert broken(db, "drop index missions_private.step_results_one_completion",
                  f"insert into missions_private.step_results (step_id, attempt, outcome) values "
                  f"('{step}', 1, 'completed'), ('{step}', 2, 'completed')") == {"no step completed twice": 1}


def test_a_task_left_blocked_by_a_finished_task_is_reported(db):
    mission = db.execute("""select missions.create_agent_mission('{"title": "m", "steps": [{"title": "a", "kind": "task"},
                            {"title": "b", "kind": "task", "depends_on": []}]}') as id""").fetchone()["id"]
    first, second = [r["id"] for r in db.execute(
        "select id from missions_private.steps where mission_id = %s order by position", (mission,))]
    db.execute("select missions.block_task(%s, %s, %s)", (mission, second, f"task:{first}"))
    assert violations(db)["no task blocked by a finished task"] == 0
    assert broken(db, f"update missions_private.steps set status = 'completed' where id = '{first}'") == {
        "no task blocked by a finished task": 1}


def test_only_staff_and_owners_may_run_it(db):
    for role, allowed in [("participant", False), ("agent", False), ("mentor", False), ("admin", True),
                          ("service", True)]:
        ok = db.execute("select has_function_privilege(%s, 'missions.check_invariants()', 'EXECUTE') as ok",
                        (f"missions_{role}",)).fetchone()["ok"]
        assert ok is allowed, role
