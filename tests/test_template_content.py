"""Template content reaches participants, mentors and agents only through functions: a subtask's hint
texts come out of `reveal_hint` alone, which records the reveal, so the reviewer's hint penalty applies.
Plain SELECTs of the secret columns fail with 42501, as a role (SET ROLE, as the app does) and as a
direct SQL login bound to a participant."""

from __future__ import annotations

import json

import psycopg
import pytest

from app import reviewer
from tests.helpers.calls import call, sqlstate
from tests.helpers.learning import create_template, save, start, submit
from tests.helpers.principals import act_as

HINT_TEXTS = ("Filter by host.", "Use the auth index.")  # the hints of subtask 1 in template_spec()
SECRET_SELECTS = (
    "select spec from missions_private.template_steps",
    "select spec->'hints' from missions_private.template_steps",
    "select * from missions_private.template_steps",
    "select t from missions_private.template_steps t",
    "select spec from missions_private.templates",
    "select * from missions_private.templates",
)


def readable_relations(conn: psycopg.Connection, role: str) -> list[str]:
    """Tables and views of the engine the role may SELECT as a whole."""
    return [r["name"] for r in conn.execute("""
        select c.oid::regclass::text as name
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('missions', 'missions_private') and c.relkind in ('r', 'v', 'm', 'p')
          and has_table_privilege(%s, c.oid, 'SELECT')
        order by 1""", (role,))]


@pytest.mark.parametrize("role", ["participant", "mentor", "agent"])
def test_no_caller_role_selects_hint_texts(db, principals, role):
    tid = create_template(db)
    learner = principals["participant"]
    mid = start(db, learner, tid)["id"]
    call(db, learner, "select missions.reveal_hint(%s, 1)", mid)  # recorded as a level, never as text
    relations = readable_relations(db, f"missions_{role}")
    assert "missions_private.steps" in relations and "missions_private.template_steps" not in relations
    for query in SECRET_SELECTS:
        assert sqlstate(db, principals[role], query) == "42501", (role, query)
    # the columns every catalog function publishes stay readable
    titles = call(db, principals[role], "select array_agg(title order by position) from missions_private.template_steps "
                                        "where template_id = %s", tid)
    assert titles[0] == "Collect logs"
    # and no relation the role reads holds a hint text, whole rows dumped as text
    with db.transaction(force_rollback=True):
        act_as(db, principals[role])
        for name in relations:
            dump = db.execute(f"select coalesce(string_agg(t::text, ' '), '') as d from {name} t").fetchone()["d"]
            assert not any(text in dump for text in HINT_TEXTS), (role, name)
    # through the functions: the template shows how many hint levels there are, never their texts
    doc = call(db, principals[role], "select missions.learning_template(%s)", tid)
    assert doc["subtasks"][0]["hint_levels"] == 2
    assert not any(text in json.dumps(doc) for text in HINT_TEXTS)
    if role == "participant":
        progress = call(db, learner, "select missions.learning_progress(%s)", mid)
        assert (progress["subtasks"][0]["hint_levels"], progress["subtasks"][0]["hints_used"]) == (2, 1)
        assert not any(text in json.dumps(progress) for text in HINT_TEXTS)
        revealed = call(db, learner, "select missions.mission_hints(%s, 1)", mid)["revealed"]
        assert [h["text"] for h in revealed] == [HINT_TEXTS[0]]


@pytest.fixture
def direct(db):
    """A participant bound to the login role hint_reader_direct, with a learning template that has hints
    and an engagement template, the session switched to that login."""
    db.execute("do $$ begin if not exists (select from pg_roles where rolname = 'hint_reader_direct') then "
               "create role hint_reader_direct login in role missions_participant; end if; end $$")
    me = db.execute("select missions.create_principal('participant', 'Hint reader', %s::jsonb) as id",
                    (json.dumps({"db_role": "hint_reader_direct", "tier": "FREE"}),)).fetchone()["id"]
    learning = create_template(db, "HINT-01", reflection_required=False, pass_score=0, subtasks=[
        {"title": "Collect logs", "hints": list(HINT_TEXTS)}, {"title": "Explain"}],
        rubric=[{"subtask": 1, "criterion": "Logs", "weight": 1}, {"subtask": 2, "criterion": "Explained", "weight": 1}])
    challenge = db.execute("select missions.create_template(%s::jsonb) as id", (json.dumps(
        {"title": "Say hi", "skill_domain": "SOFT", "difficulty": "EASY"}),)).fetchone()["id"]
    db.execute("set session authorization hint_reader_direct")
    yield {"id": me, "role": "participant", "learning": learning, "challenge": challenge}
    db.execute("reset session authorization")


def test_a_direct_login_reads_no_hint_text_yet_plays_and_pays_the_hint_penalty(db, direct):
    me = direct["id"]
    for query in SECRET_SELECTS:
        assert sqlstate(db, None, query) == "42501", query
    # the normal flows work for the login
    assert str(direct["challenge"]) in {str(r["id"]) for r in db.execute("select id from missions.available_missions(%s)", (me,))}
    mid = call(db, None, "select missions.start_learning_mission(%s, %s)", me, direct["learning"])["id"]
    assert db.execute("select count(*) as n from missions_private.hint_reveals").fetchone()["n"] == 0
    first = call(db, None, "select missions.reveal_hint(%s, 1)", mid)
    assert (first["level"], first["text"], first["remaining"]) == (1, HINT_TEXTS[0], 1)
    # the reveal is recorded, and the second level is still out of reach
    assert [r["level"] for r in db.execute("select level from missions_private.hint_reveals where mission_id = %s",
                                           (mid,))] == [1]
    hints = call(db, None, "select missions.mission_hints(%s, 1)", mid)
    assert [h["text"] for h in hints["revealed"]] == [HINT_TEXTS[0]]
    assert HINT_TEXTS[1] not in json.dumps(call(db, None, "select missions.learning_progress(%s)", mid))
    save(db, None, mid, subtask=1, done=True)
    save(db, None, mid, subtask=2, done=True)
    submit(db, None, mid)
    db.execute("reset session authorization")
    assert reviewer.review_one(db)
    ai = call(db, None, "select missions.ai_review(%s)", mid)
    reasons = {s["subtask"]: s["reasoning"] for s in ai["scores"]}
    assert reasons[1].endswith("hints used 1: -5") and reasons[2].endswith("hints used 0: -0")
    assert {s["subtask"]: s["score"] for s in ai["scores"]}[1] + 5 == {s["subtask"]: s["score"] for s in ai["scores"]}[2]
    db.execute("set session authorization hint_reader_direct")


def test_staff_manage_templates_with_their_specs(db, principals):
    tid = create_template(db)
    for role in ("admin", "service"):
        hints = call(db, principals[role], "select spec->'hints' from missions_private.template_steps "
                                           "where template_id = %s and position = 1", tid)
        assert [h["text"] for h in hints] == list(HINT_TEXTS)


def test_a_learner_cannot_reveal_hints_of_another_learners_mission(db, principals):
    tid = create_template(db)
    mid = start(db, principals["participant"], tid)["id"]
    assert sqlstate(db, principals["other"], "select missions.reveal_hint(%s, 1)", mid) == "MS404"
    assert sqlstate(db, principals["other"], "select missions.mission_hints(%s, 1)", mid) == "MS404"
    assert db.execute("select count(*) as n from missions_private.hint_reveals").fetchone()["n"] == 0
    for role in ("mentor", "agent"):
        assert sqlstate(db, principals[role], "select missions.reveal_hint(%s, 1)", mid) in ("42501", "MS404"), role
