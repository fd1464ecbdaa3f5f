"""Every `Literal` vocabulary of the HTTP schemas is tied to the database rule it mirrors, read from the
catalog: a CHECK constraint of a column (or of the column's domain, or the labels of its enum), or, where
no column holds the value, the `IN (…)` list of the one function that checks it. Changing a vocabulary on
one side only fails here; so does a new `Literal` field that is not listed below."""

from __future__ import annotations

import importlib
import re
import typing

import msgspec
import pytest

AREAS = ("system", "admin", "engagement", "agents", "learning")
SCHEMA_MODULES = ["app.http.schemas"] + [f"app.http.{area}.schemas" for area in AREAS]

# Field -> the columns whose CHECK (or domain, or enum) allows exactly the same values.
MIRRORS: dict[str, list[str]] = {
    "NewPrincipal.role": ["principals.role"],
    "NewPrincipal.level": ["principals.level"],
    "NewPrincipal.tier": ["principals.tier"],
    "PrincipalPatch.level": ["principals.level"],
    "PrincipalPatch.tier": ["principals.tier"],
    "NewChallenge.skill_domain": ["challenge_templates.skill_domain"],
    "NewChallenge.difficulty": ["challenge_templates.difficulty"],
    "NewChallenge.required_level": ["challenge_templates.required_level"],
    "NewChallenge.repeat": ["challenge_templates.repeat"],
    "ChallengePatch.skill_domain": ["challenge_templates.skill_domain"],
    "ChallengePatch.difficulty": ["challenge_templates.difficulty"],
    "ChallengePatch.required_level": ["challenge_templates.required_level"],
    "ChallengePatch.repeat": ["challenge_templates.repeat"],
    "LedgerRequest.currency": ["ledger_entries.currency", "balances.currency"],
    "StipendTierSpec.currency": ["stipend_tiers.currency"],
    "WallPost.kind": ["wall_posts.kind"],
    "NewAgentMission.type": ["agent_missions.kind"],
    "NewInputRequest.urgency": ["input_requests.urgency"],
    "NewLearningTemplate.tier": ["learning_templates.tier"],
    "NewLearningTemplate.track": ["learning_templates.track"],
    "NewRecipe.type": ["recipes.type"],
    "RecipeUpdate.type": ["recipes.type"],
}

# Field -> (column, seed word -> stored word): the statuses a client may ask for, a part of the column's
# vocabulary (the others are reached only through the engine's own transitions).
SUBSETS: dict[str, tuple[str, dict[str, str]]] = {
    "AgentMissionPatch.status": ("missions.status", {"active": "in_progress"}),
    "TaskPatch.status": ("steps.status", {}),
}

# Field -> the function whose `IN (…)` list is the vocabulary (no column stores these words).
CHECKED_BY_FUNCTION: dict[str, str] = {
    "NewAgentMission.priority": "missions_private.priority_value",
    "AgentMissionPatch.priority": "missions_private.priority_value",
    "NewMissionEvent.type": "missions.log_mission_event",
    "MentorVerdict.decision": "missions.complete_mentor_review",
    "RecipeUsageEvent.event": "missions.track_recipe_usage",
}

# Response field -> the function that produces every one of its words.
PRODUCED_BY_FUNCTION: dict[str, str] = {
    "RecipeRecommendation.reason": "missions.recommend_recipes",
}

QUOTED = re.compile(r"'((?:[^']|'')*)'")
IN_LIST = re.compile(r"\bIN\s*\(\s*('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)\s*\)", re.IGNORECASE)


def _literals(tp: typing.Any) -> typing.Iterator[frozenset]:
    if typing.get_origin(tp) is typing.Literal:
        yield frozenset(typing.get_args(tp))
        return
    for arg in typing.get_args(tp):
        if not isinstance(arg, (str, int, float, msgspec.Meta)):
            yield from _literals(arg)


def http_vocabularies() -> dict[str, frozenset]:
    """`Struct.field` -> the Literal values it accepts, for every struct of every HTTP schema module."""
    found: dict[str, frozenset] = {}
    for name in SCHEMA_MODULES:
        module = importlib.import_module(name)
        for struct in vars(module).values():
            if isinstance(struct, type) and issubclass(struct, msgspec.Struct) and struct.__module__ == name:
                for field, tp in typing.get_type_hints(struct, include_extras=True).items():
                    for values in _literals(tp):
                        found[f"{struct.__name__}.{field}"] = values
    return found


def column_vocabulary(db, column: str) -> frozenset:
    """The values a `missions_private` column allows: its enum's labels, its domain's CHECK, or its own
    single-column CHECK listing values."""
    table, col = column.split(".")
    attr = db.execute(
        """select a.attrelid, a.attnum, t.oid as typ, t.typtype, t.typbasetype
             from pg_attribute a join pg_type t on t.oid = a.atttypid
            where a.attrelid = ('missions_private.' || %s)::regclass and a.attname = %s""",
        (table, col)).fetchone()
    assert attr, f"{column}: no such column"
    if attr["typtype"] == "e":
        rows = db.execute("select enumlabel from pg_enum where enumtypid = %s", (attr["typ"],)).fetchall()
        return frozenset(r["enumlabel"] for r in rows)
    if attr["typtype"] == "d":
        defs = [r["def"] for r in db.execute(
            "select pg_get_constraintdef(oid) as def from pg_constraint where contypid = %s and contype = 'c'",
            (attr["typ"],)).fetchall()]
    else:
        defs = [r["def"] for r in db.execute(
            """select pg_get_constraintdef(oid) as def from pg_constraint
                where conrelid = %s and contype = 'c' and conkey = array[%s]::smallint[]""",
            (attr["attrelid"], attr["attnum"])).fetchall()]
    lists = [d for d in defs if "ANY (ARRAY[" in d or re.search(r"\bIN \(", d)]
    assert len(lists) == 1, f"{column}: expected one CHECK listing values, found {defs}"
    return frozenset(v.replace("''", "'") for v in QUOTED.findall(lists[0]))


def function_source(db, function: str) -> str:
    rows = db.execute("select prosrc from pg_proc where pronamespace::regnamespace::text || '.' || proname = %s",
                      (function,)).fetchall()
    assert rows, f"no function {function}"
    return "\n".join(r["prosrc"] for r in rows)


def test_every_literal_field_is_tied_to_the_database():
    listed = MIRRORS.keys() | SUBSETS.keys() | CHECKED_BY_FUNCTION.keys() | PRODUCED_BY_FUNCTION.keys()
    fields = http_vocabularies().keys()
    assert not fields - listed, f"Literal fields tied to no database rule: {sorted(fields - listed)}"
    assert not listed - fields, f"listed fields that are no Literal field any more: {sorted(listed - fields)}"


def test_literals_match_the_check_constraints(db):
    vocabularies = http_vocabularies()
    wrong = []
    for field, columns in MIRRORS.items():
        for column in columns:
            allowed = column_vocabulary(db, column)
            if vocabularies[field] != allowed:
                wrong.append(f"{field} {sorted(vocabularies[field])} != {column} {sorted(allowed)}")
    for field, (column, aliases) in SUBSETS.items():
        allowed = column_vocabulary(db, column)
        asked = {aliases.get(v, v) for v in vocabularies[field]}
        if not asked <= allowed:
            wrong.append(f"{field}: {sorted(asked - allowed)} not allowed by {column} {sorted(allowed)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("field", sorted(CHECKED_BY_FUNCTION))
def test_literals_match_the_function_that_checks_them(db, field):
    source = function_source(db, CHECKED_BY_FUNCTION[field])
    lists = [frozenset(QUOTED.findall(m)) for m in IN_LIST.findall(source)]
    assert http_vocabularies()[field] in lists, f"{field}: no IN list of {CHECKED_BY_FUNCTION[field]} is {lists}"


@pytest.mark.parametrize("field", sorted(PRODUCED_BY_FUNCTION))
def test_response_literals_are_what_the_function_produces(db, field):
    source = function_source(db, PRODUCED_BY_FUNCTION[field])
    missing = {v for v in http_vocabularies()[field] if f"'{v}'" not in source}
    assert not missing, f"{field}: {PRODUCED_BY_FUNCTION[field]} never produces {sorted(missing)}"
