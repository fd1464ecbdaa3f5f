"""Recipes and learning analytics over HTTP: the library and its curation, links, usage, recommendations,
the analytics readers on known data (the SQL tests' data set) and their refresh, every endpoint's errors
as problem+json, and route precedence among the /missions and /recipes paths."""

from __future__ import annotations

import uuid

from litestar import Litestar

from tests.helpers.analytics import build, build_paths
from tests.helpers.http import assert_problem
from tests.helpers.learning import create_simple, create_template, start
from tests.helpers.principals import bearer

UNKNOWN = str(uuid.UUID(int=0xBEEF, version=4))
API = "/api/v1"
RECIPE = {"slug": "read-auth-logs", "title": "Read auth logs", "type": "technical", "skills": ["siem", "log_analysis"],
          "minutes": 7, "content": "Filter by event id 4625."}


def post_recipe(client, who: dict, **fields) -> dict:
    r = client.post(f"{API}/recipes", headers=bearer(who), json={**RECIPE, **fields})
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_recipe_library_and_curation(client, db, principals):
    admin, learner, mentor = bearer(principals["admin"]), bearer(principals["participant"]), bearer(principals["mentor"])

    made = client.post(f"{API}/recipes", headers=admin, json=RECIPE)
    assert made.status_code == 201, made.text
    recipe = made.json()
    assert {k: recipe[k] for k in ("slug", "title", "type", "skills", "minutes", "content", "links")} == {
        **{k: v for k, v in RECIPE.items() if k != "skills"}, "skills": ["log_analysis", "siem"], "links": []}
    assert recipe["createdAt"] == recipe["updatedAt"] and uuid.UUID(recipe["id"])
    # POST on a taken slug changes the given fields: 200, same recipe
    again = client.post(f"{API}/recipes", headers=admin, json={**RECIPE, "title": "Read Windows auth logs"})
    assert again.status_code == 200, again.text
    assert (again.json()["id"], again.json()["title"], again.json()["createdAt"]) == \
        (recipe["id"], "Read Windows auth logs", recipe["createdAt"])

    # PUT: create (201, title and type needed) or change only the given fields (200)
    put = client.put(f"{API}/recipes/risk-101", headers=bearer(principals["service"]),
                     json={"title": "Risk 101", "type": "concept"})
    assert put.status_code == 201, put.text
    assert (put.json()["slug"], put.json()["minutes"], put.json()["skills"], put.json()["content"]) == ("risk-101", 5, [], "")
    put = client.put(f"{API}/recipes/risk-101", headers=admin, json={"minutes": 9, "skills": ["risk"]})
    assert put.status_code == 200, put.text
    assert (put.json()["title"], put.json()["type"], put.json()["minutes"], put.json()["skills"]) == \
        ("Risk 101", "concept", 9, ["risk"])
    assert_problem(client.put(f"{API}/recipes/brand-new", headers=admin, json={"minutes": 3}), 422, "validation")
    post_recipe(client, principals["admin"], slug="burp-basics", title="Burp basics", type="tool", skills=["web"],
                content="Proxy the browser.")
    post_recipe(client, principals["admin"], slug="write-100-percent", title="Writing for 100% clarity",
                type="soft_skill", skills=[], content="")

    # everyone reads the library and a recipe
    def library(query: str = "", who=learner) -> list[str]:
        r = client.get(f"{API}/recipes{query}", headers=who)
        assert r.status_code == 200, r.text
        return [x["slug"] for x in r.json()["items"]]

    assert library() == ["burp-basics", "read-auth-logs", "risk-101", "write-100-percent"]
    assert library("?search=AUTH") == ["read-auth-logs"]
    assert library("?search=4625") == ["read-auth-logs"]
    assert library("?search=100%25") == ["write-100-percent"]
    assert library("?skill=web") == ["burp-basics"]
    assert library("?type=concept") == ["risk-101"]
    first = client.get(f"{API}/recipes?limit=1", headers=bearer(principals["agent"])).json()
    assert [x["slug"] for x in first["items"]] == ["burp-basics"]
    assert library(f"?limit=2&cursor={first['nextCursor']}", bearer(principals["agent"])) == ["read-auth-logs", "risk-101"]
    listed = client.get(f"{API}/recipes?skill=siem", headers=learner).json()["items"]
    assert listed[0]["createdAt"] and "links" not in listed[0]
    got = client.get(f"{API}/recipes/read-auth-logs", headers=mentor)
    assert got.status_code == 200 and got.json()["title"] == "Read Windows auth logs" and got.json()["links"] == []

    # links to a template and a subtask: 201 when added, 200 when it existed
    tid = create_template(db, "SIEM-01")  # four subtasks
    link = client.post(f"{API}/recipes/read-auth-logs/links", headers=admin, json={"templateId": tid})
    assert link.status_code == 201 and link.json() == {"slug": "read-auth-logs", "templateId": tid, "subtask": None,
                                                        "created": True}
    link = client.post(f"{API}/recipes/read-auth-logs/links", headers=admin, json={"templateId": tid})
    assert link.status_code == 200 and link.json()["created"] is False
    link = client.post(f"{API}/recipes/read-auth-logs/links", headers=admin, json={"templateId": tid, "subtask": 3})
    assert link.status_code == 201 and link.json()["subtask"] == 3
    links = client.get(f"{API}/recipes/read-auth-logs", headers=learner).json()["links"]
    assert links == [{"templateId": tid, "code": "SIEM-01", "subtask": None},
                     {"templateId": tid, "code": "SIEM-01", "subtask": 3}]
    assert [(x["slug"], x["subtask"]) for x in client.get(f"{API}/learning-templates/{tid}", headers=learner).json()
            ["recipes"]] == [("read-auth-logs", None), ("read-auth-logs", 3)]
    assert_problem(client.post(f"{API}/recipes/read-auth-logs/links", headers=admin,
                               json={"templateId": tid, "subtask": 9}), 422, "validation")
    assert_problem(client.post(f"{API}/recipes/read-auth-logs/links", headers=admin, json={"templateId": UNKNOWN}), 404)
    assert_problem(client.post(f"{API}/recipes/nope/links", headers=admin, json={"templateId": tid}), 404, "not-found")
    gone = client.delete(f"{API}/recipes/read-auth-logs/links?template_id={tid}&subtask=3", headers=admin)
    assert gone.status_code == 200 and gone.json() == {"slug": "read-auth-logs", "templateId": tid, "subtask": 3,
                                                       "removed": True}
    assert client.delete(f"{API}/recipes/read-auth-logs/links?template_id={tid}&subtask=3",
                         headers=admin).json()["removed"] is False
    assert_problem(client.delete(f"{API}/recipes/read-auth-logs/links?template_id={tid}&subtask=9", headers=admin), 422)
    assert_problem(client.delete(f"{API}/recipes/read-auth-logs/links?template_id={UNKNOWN}", headers=admin), 404)
    assert [x["subtask"] for x in client.get(f"{API}/recipes/read-auth-logs", headers=learner).json()["links"]] == [None]

    # curation is for admins and services: participants, mentors and agents get 403 and change nothing
    for who in (learner, mentor, bearer(principals["agent"])):
        for method, path, body in [
            ("POST", "/recipes", {**RECIPE, "slug": "mine"}), ("PUT", "/recipes/risk-101", {"title": "Mine"}),
            ("DELETE", "/recipes/risk-101", None), ("POST", "/recipes/risk-101/links", {"templateId": tid}),
            ("DELETE", f"/recipes/read-auth-logs/links?template_id={tid}", None),
        ]:
            assert_problem(client.request(method, API + path, headers=who, json=body), 403, "forbidden")
    assert library() == ["burp-basics", "read-auth-logs", "risk-101", "write-100-percent"]
    assert client.get(f"{API}/recipes/risk-101", headers=learner).json()["title"] == "Risk 101"

    # delete returns the recipe (links and usage go with it); then it is unknown
    deleted = client.delete(f"{API}/recipes/read-auth-logs", headers=admin)
    assert deleted.status_code == 200 and deleted.json()["id"] == recipe["id"] and "links" not in deleted.json()
    for method, path in [("GET", "/recipes/read-auth-logs"), ("DELETE", "/recipes/read-auth-logs")]:
        assert_problem(client.request(method, API + path, headers=admin), 404, "not-found")
    assert db.execute("select count(*) as n from missions_private.recipe_links").fetchone()["n"] == 0


BAD_RECIPE_REQUESTS = [
    ("POST", "/recipes", {**RECIPE, "colour": "red"}),                     # unknown field
    ("POST", "/recipes", {**RECIPE, "slug": "Bad Slug"}),                  # slug format
    ("POST", "/recipes", {**RECIPE, "slug": "x-" + "a" * 100}),            # slug length
    ("POST", "/recipes", {**RECIPE, "type": "video"}),
    ("POST", "/recipes", {**RECIPE, "minutes": 0}),
    ("POST", "/recipes", {**RECIPE, "minutes": 601}),
    ("POST", "/recipes", {**RECIPE, "minutes": "five"}),
    ("POST", "/recipes", {**RECIPE, "minutes": 2.5}),
    ("POST", "/recipes", {**RECIPE, "skills": "siem"}),
    ("POST", "/recipes", {**RECIPE, "skills": [""]}),
    ("POST", "/recipes", {**RECIPE, "title": ""}),
    ("POST", "/recipes", {**RECIPE, "title": "   "}),                     # SQL: blank after trimming
    ("POST", "/recipes", {k: v for k, v in RECIPE.items() if k != "type"}),
    ("POST", "/recipes", ["read-auth-logs"]),
    ("PUT", "/recipes/Bad_Slug", {"title": "X", "type": "concept"}),      # slug format in the path
    ("PUT", "/recipes/read-auth-logs", {"slug": "other"}),                 # the slug is the path's
    ("PUT", "/recipes/read-auth-logs", {"minutes": 2.5}),
    ("GET", "/recipes/NOPE", None),
    ("GET", "/recipes?limit=0", None),
    ("GET", "/recipes?limit=201", None),
    ("GET", "/recipes?cursor=not-a-cursor", None),
    ("GET", "/recipes?limit=ten", None),
    ("GET", "/recipes?type=video", None),
    ("POST", "/recipes/read-auth-logs/links", {"templateId": "not-a-uuid"}),
    ("POST", "/recipes/read-auth-logs/links", {"templateId": UNKNOWN, "subtask": 0}),
    ("POST", "/recipes/read-auth-logs/links", {"subtask": 1}),
    ("DELETE", "/recipes/read-auth-logs/links", None),                     # template_id is required
    ("DELETE", f"/recipes/read-auth-logs/links?template_id={UNKNOWN}&subtask=0", None),
    ("POST", "/recipes/read-auth-logs/usage", {"event": "liked"}),
    ("POST", "/recipes/read-auth-logs/usage", {}),
    ("POST", "/recipes/read-auth-logs/usage", {"event": "time"}),           # SQL: time needs seconds
    ("POST", "/recipes/read-auth-logs/usage", {"event": "time", "seconds": -5}),
    ("POST", "/recipes/read-auth-logs/usage", {"event": "time", "seconds": 86401}),
    ("POST", "/recipes/read-auth-logs/usage", {"event": "viewed", "seconds": "ten"}),
    ("POST", "/recipes/read-auth-logs/usage", {"event": "viewed", "colour": "red"}),
    ("POST", "/recipes/read-auth-logs/usage", {"event": "viewed", "missionId": 7}),
]


def test_bad_recipe_requests_are_422(client, principals):
    admin = principals["admin"]
    post_recipe(client, admin)
    for method, path, body in BAD_RECIPE_REQUESTS:
        who = principals["participant"] if path.endswith("/usage") else admin
        r = client.request(method, API + path, headers=bearer(who), json=body)
        assert r.status_code == 422, (method, path, body, r.text)
        assert_problem(r, 422, "validation")
    assert client.get(f"{API}/recipes/read-auth-logs", headers=bearer(admin)).json()["title"] == RECIPE["title"]


def test_usage_is_the_callers_own(client, db, principals):
    learner, other, admin = principals["participant"], principals["other"], principals["admin"]
    post_recipe(client, admin)
    tid = create_template(db, "SIEM-01")
    mid = start(db, learner, tid)["id"]
    other_mid = start(db, other, tid)["id"]

    def use(who: dict, **body):
        return client.post(f"{API}/recipes/read-auth-logs/usage", headers=bearer(who), json=body)

    first = use(learner, event="viewed", missionId=mid)
    assert first.status_code == 200, first.text
    usage = first.json()
    assert (usage["participantId"], usage["slug"], usage["missionId"], usage["views"], usage["secondsSpent"]) == \
        (learner["id"], "read-auth-logs", mid, 1, 0)
    assert usage["firstViewedAt"] and usage["completedAt"] is None and usage["markedUsedAt"] is None
    assert use(learner, event="time", seconds=120).json()["secondsSpent"] == 120
    assert use(learner, event="viewed", seconds=10).json()["views"] == 2
    done = use(learner, event="completed").json()
    assert done["completedAt"] and done["secondsSpent"] == 130
    assert use(learner, event="used").json()["markedUsedAt"]
    # staff record for anyone; the others only for themselves
    staff = use(admin, event="time", seconds=20, participantId=learner["id"])
    assert staff.status_code == 200 and staff.json()["secondsSpent"] == 150 and staff.json()["participantId"] == learner["id"]
    assert_problem(use(other, event="viewed", participantId=learner["id"]), 403, "forbidden")
    assert_problem(use(principals["mentor"], event="viewed", participantId=learner["id"]), 403)
    assert_problem(use(principals["mentor"], event="viewed"), 403)
    assert_problem(use(admin, event="viewed"), 404)                        # an admin is no participant
    assert_problem(use(other, event="viewed", missionId=mid), 404, "not-found")   # not their mission
    assert_problem(use(learner, event="viewed", missionId=UNKNOWN), 404)
    assert_problem(client.post(f"{API}/recipes/nope/usage", headers=bearer(learner), json={"event": "viewed"}), 404)
    assert use(other, event="viewed", missionId=other_mid).json()["views"] == 1
    events = db.execute("""select type from missions_private.events where mission_id = %s
                           and type like 'learning.recipe_%%' order by id""", (mid,)).fetchall()
    assert [e["type"] for e in events] == ["learning.recipe_viewed"]


def test_recommendations_for_a_mission_stage(client, db, principals):
    admin, learner, other = principals["admin"], principals["participant"], principals["other"]
    tid = create_template(db, "SIEM-01")  # skills siem, triage; subtask 1 log_analysis, 3 edr, 4 detection
    for slug, skills, links in [("a-stage", [], [1]), ("b-stage", ["siem"], [1]), ("c-mission", [], [None]),
                                ("d-mission", ["triage", "log_analysis"], [None]), ("e-skills", ["siem", "log_analysis"], []),
                                ("h-done", ["siem"], [1]), ("i-unrelated", ["cloud"], [])]:
        post_recipe(client, admin, slug=slug, title=slug, skills=skills)
        for subtask in links:
            client.post(f"{API}/recipes/{slug}/links", headers=bearer(admin), json={"templateId": tid, "subtask": subtask})
    mid = start(db, learner, tid)["id"]
    client.post(f"{API}/recipes/h-done/usage", headers=bearer(learner), json={"event": "completed"})

    def recommend(who: dict, query: str = "") -> list[tuple]:
        r = client.get(f"{API}/mission-progress/{mid}/recipes{query}", headers=bearer(who))
        assert r.status_code == 200, r.text
        return [(x["slug"], x["reason"], x["score"]) for x in r.json()]

    stage1 = [("b-stage", "stage", 1.0), ("a-stage", "stage", 0.0), ("d-mission", "mission", 3.0),
              ("e-skills", "skills", 2.0), ("c-mission", "mission", 1.0)]
    assert recommend(learner, "?subtask=1&limit=10") == stage1
    assert recommend(learner, "?subtask=1") == stage1  # default limit 5
    assert recommend(learner, "?subtask=1&limit=2") == stage1[:2]
    assert recommend(admin, "?subtask=1&limit=10") == stage1  # staff: for the mission's participant
    assert recommend(principals["service"], "?limit=50") == stage1  # no subtask: the learner's current one (1)
    item = client.get(f"{API}/mission-progress/{mid}/recipes?subtask=1", headers=bearer(learner)).json()[0]
    assert item == {"slug": "b-stage", "title": "b-stage", "type": "technical", "minutes": 7, "skills": ["siem"],
                    "reason": "stage", "score": 1.0, "subtask": 1}

    # another participant's mission, an unknown mission or subtask are 404; mentors and agents get none
    for who, path in [(other, f"{mid}/recipes"), (learner, f"{UNKNOWN}/recipes"), (learner, f"{mid}/recipes?subtask=9")]:
        assert_problem(client.get(f"{API}/mission-progress/{path}", headers=bearer(who)), 404, "not-found")
    for who in (principals["mentor"], principals["agent"]):
        assert_problem(client.get(f"{API}/mission-progress/{mid}/recipes", headers=bearer(who)), 403, "forbidden")
    for query in ("?limit=0", "?limit=51", "?subtask=0", "?subtask=x"):
        assert_problem(client.get(f"{API}/mission-progress/{mid}/recipes{query}", headers=bearer(learner)), 422)
    # a participant's id is no learning mission
    assert_problem(client.get(f"{API}/mission-progress/{other['id']}/recipes", headers=bearer(admin)), 404)


def test_the_dashboard_recommends_recipes_for_skill_gaps(client, db, principals):
    admin, learner = principals["admin"], principals["participant"]
    db.execute("""insert into missions_private.skill_signals (participant_id, skill, mastery, confidence, evidence_count)
                  values (%s, 'siem', 35, 0.5, 1), (%s, 'edr', 100, 0.5, 1)""", (learner["id"], learner["id"]))
    post_recipe(client, admin, slug="siem-basics", skills=["siem"])
    post_recipe(client, admin, slug="edr-basics", skills=["edr"])
    board = client.get(f"{API}/missions/dashboard", headers=bearer(learner)).json()
    assert board["skillGaps"] == [{"skill": "siem", "mastery": 35.0, "confidence": 0.5}]  # edr is mastered
    assert board["recommendedRecipes"] == [
        {"slug": "siem-basics", "title": RECIPE["title"], "type": "technical", "minutes": 7, "skills": ["siem"],
         "gapSkills": ["siem"], "score": 0.65}]
    # completing it takes it off the list
    client.post(f"{API}/recipes/siem-basics/usage", headers=bearer(learner), json={"event": "completed"})
    assert client.get(f"{API}/missions/dashboard", headers=bearer(learner)).json()["recommendedRecipes"] == []


def slice_of(row: dict, *keys: str) -> tuple:
    return tuple(row[k] for k in keys)


def test_analytics_on_known_data(client, db):
    data = build(db)  # the data set of tests/test_learning_analytics.py, with its figures
    p, t1, t2 = data["p"], data["t1"], data["t2"]
    admin, mentor, alice, agent = (bearer(p[n]) for n in ("admin", "mentor", "alice", "agent"))
    name = {p[n]["id"]: n for n in ("alice", "bob", "carol", "dave", "erin")}

    def get(path: str, who=admin) -> list[dict]:
        r = client.get(API + path, headers=who)
        assert r.status_code == 200, (path, r.text)
        body = r.json()
        return body["items"] if isinstance(body, dict) else body  # the analytics are paged: {items, nextCursor}

    bob_mission = data["m"]["bob1"]
    # before a refresh the views know nothing: recipe weights are 1.0
    assert get("/missions/analytics/performance") == []
    assert get(f"/mission-progress/{bob_mission}/recipes", bearer(p["bob"])) == [
        {"slug": "r-logs", "title": "r-logs", "type": "concept", "minutes": 5, "skills": [], "reason": "mission",
         "score": 1.0, "subtask": None}]  # completed: no subtask left, the whole mission
    for who in (alice, mentor, agent):
        assert_problem(client.post(f"{API}/missions/analytics/refresh", headers=who), 403, "forbidden")
    refreshed = client.post(f"{API}/missions/analytics/refresh", headers=admin)
    assert refreshed.status_code == 200 and refreshed.json() == {"refreshed": 9}
    assert client.post(f"{API}/missions/analytics/refresh", headers=bearer(p["service"])).json() == {"refreshed": 9}

    cols = ("code", "track", "tier", "attempts", "completed", "completionRate", "avgFinalScore", "avgHours")
    perf = get("/missions/analytics/performance")
    assert [slice_of(r, *cols) for r in perf] == [
        ("DEF-01", "defender", "beginner", 4, 2, 0.5, 71.0, 2.5),
        ("GRC-01", "grc", "beginner", 3, 3, 1.0, 71.67, 4.17)]
    assert [r["templateId"] for r in perf] == [t1, t2] and perf[0]["title"] == "DEF-01 Triage the alert"
    assert [r["code"] for r in get("/missions/analytics/performance?track=grc", mentor)] == ["GRC-01"]
    assert get("/missions/analytics/performance?track=leadership") == []

    cols = ("subtask", "title", "reached", "completed", "skipped", "droppedOff", "p50Minutes", "p90Minutes")
    assert [slice_of(r, *cols) for r in get(f"/missions/analytics/funnel?template_id={t1}")] == [
        (1, "Collect logs", 4, 3, 0, 1, 30.0, 78.0), (2, "Triage", 3, 2, 0, 1, 45.0, 57.0)]
    funnel = get(f"/missions/analytics/funnel?template_id={t2}", mentor)
    assert [slice_of(r, *cols) for r in funnel][2] == (3, "Audit", 3, 0, 3, 0, None, None)
    assert {(r["templateId"], r["code"]) for r in funnel} == {(t2, "GRC-01")}

    assert [slice_of(r, "track", "isoDow", "hour", "completions") for r in get("/missions/analytics/heatmap")] == [
        ("defender", 1, 12, 2), ("grc", 1, 10, 1), ("grc", 1, 16, 1), ("grc", 2, 0, 1)]
    assert len(get("/missions/analytics/heatmap?track=grc")) == 3

    cols = ("cohort", "completed", "avgScore", "percentile", "cohortSize")
    bench = get("/missions/analytics/benchmarks")
    assert [(name[r["participantId"]],) + slice_of(r, *cols) for r in bench] == [
        ("erin", "blue", 1, 75.0, 100.0, 3), ("bob", "blue", 1, 67.0, 50.0, 3), ("alice", "blue", 2, 65.0, 0.0, 3),
        ("carol", "red", 1, 85.0, 0.0, 1)]
    assert [name[r["participantId"]] for r in get("/missions/analytics/benchmarks?cohort=blue", mentor)] == \
        ["erin", "bob", "alice"]
    # a participant: their own row only
    assert [(r["participantId"], r["percentile"]) for r in get("/missions/analytics/benchmarks", alice)] == \
        [(p["alice"]["id"], 0.0)]
    assert get("/missions/analytics/benchmarks?cohort=red", alice) == []
    assert get("/missions/analytics/benchmarks", bearer(p["dave"])) == []  # completed nothing

    cols = ("slug", "templates", "attemptsWith", "successesWith", "attemptsWithout", "successesWithout",
            "successRateWith", "successRateWithout", "lift")
    assert [slice_of(r, *cols) for r in get("/recipes/analytics/effectiveness", mentor)] == [
        ("r-logs", ["DEF-01"], 3, 2, 1, 0, 0.6667, 0.0, 0.6667),
        ("r-grc", ["GRC-01"], 1, 1, 2, 2, 1.0, 1.0, 0.0),
        ("r-none", [], 0, 0, 0, 0, None, None, None)]

    cols = ("cohort", "participants", "learners", "started", "completed", "completionRate", "avgFinalScore", "topSkills")
    assert [slice_of(r, *cols) for r in get("/missions/analytics/cohorts")] == [
        ("blue", 3, 3, 4, 4, 1.0, 68.0, ["logs", "triage", "siem"]),
        ("none", 1, 1, 1, 0, 0.0, None, []),
        ("red", 1, 1, 2, 1, 0.5, 85.0, ["policy", "risk", "siem"])]

    # the refresh taught the recommender: r-logs won 2 of 3 with it -> (2 + 1) / (3 + 2) x 2 = 1.2
    assert [(r["slug"], r["score"]) for r in get(f"/mission-progress/{bob_mission}/recipes", bearer(p["bob"]))] == \
        [("r-logs", 1.2)]

    # staff-only readers: 403 for participants and agents
    for path in ("/missions/analytics/performance", f"/missions/analytics/funnel?template_id={t1}",
                 "/missions/analytics/heatmap", "/missions/analytics/cohorts", "/recipes/analytics/effectiveness"):
        for who in (alice, agent):
            assert_problem(client.get(API + path, headers=who), 403, "forbidden")
    assert_problem(client.get(f"{API}/missions/analytics/benchmarks", headers=agent), 403)
    # the funnel needs a known learning template
    assert_problem(client.get(f"{API}/missions/analytics/funnel?template_id={UNKNOWN}", headers=admin), 404, "not-found")
    assert_problem(client.get(f"{API}/missions/analytics/funnel?template_id={data['m']['alice1']}", headers=admin), 404)
    for query in ("/funnel", "/funnel?template_id=nope", "/performance?track=marketing", "/heatmap?track=x",
                  f"/benchmarks?cohort={'c' * 101}"):
        assert_problem(client.get(f"{API}/missions/analytics{query}", headers=admin), 422, "validation")


def walk(client, path: str, who: dict) -> list[dict]:
    """Every item of a paged list, one per page, by nextCursor."""
    items: list[dict] = []
    url = f"{API}{path}{'&' if '?' in path else '?'}limit=1"
    while True:
        r = client.get(url, headers=who)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["nextCursor"]
        if cursor is None:
            return items
        url = f"{API}{path}{'&' if '?' in path else '?'}limit=1&cursor={cursor}"


def test_usage_decision_and_tool_analytics_over_http(client, db):
    data = build(db)
    p = data["p"]
    admin, mentor = bearer(p["admin"]), bearer(p["mentor"])
    client.post(f"{API}/recipes/r-logs/usage", headers=bearer(p["alice"]), json={"event": "time", "seconds": 600})
    paths = build_paths(db)
    tid = paths["t"]
    assert client.post(f"{API}/missions/analytics/refresh", headers=admin).json() == {"refreshed": 9}

    usage = walk(client, "/recipes/analytics/usage-stats", mentor)
    assert [slice_of(r, "slug", "learners", "viewers", "views", "secondsSpent", "avgMinutes", "completed",
                     "completionRate", "markedUsed") for r in usage] == [
        ("r-logs", 4, 2, 2, 600, 2.5, 1, 0.25, 2), ("r-grc", 1, 0, 0, 0, 0.0, 1, 1.0, 0),
        ("r-none", 0, 0, 0, 0, None, 0, 0.0, 0)]
    assert usage[0]["lastUsedAt"] is not None and usage[2]["lastUsedAt"] is None

    decisions = walk(client, f"/missions/analytics/decisions?template_id={tid}", admin)
    assert [slice_of(r, "choiceKey", "chosen", "share", "open", "ended", "completed", "successRate") for r in decisions] == [
        ("escalate", 0, 0.0, 0, 0, 0, None), ("isolate", 2, 0.5, 0, 2, 1, 0.5), ("monitor", 2, 0.5, 1, 1, 1, 1.0)]
    assert {(r["templateId"], r["code"], r["subtask"], r["decisionKey"]) for r in decisions} == \
        {(tid, "PATH-01", 2, "containment")}
    tools = walk(client, f"/missions/analytics/tools?template_id={tid}", mentor)
    assert [slice_of(r, "tool", "missions", "share", "completed") for r in tools] == [
        ("splunk", 3, 0.6, 2), ("edr-console", 1, 0.2, 0), ("wireshark", 1, 0.2, 1)]

    for path in ("/recipes/analytics/usage-stats", f"/missions/analytics/decisions?template_id={tid}",
                 f"/missions/analytics/tools?template_id={tid}"):
        for who in (bearer(p["alice"]), bearer(p["agent"])):
            assert_problem(client.get(API + path, headers=who), 403, "forbidden")
    for kind in ("decisions", "tools"):
        assert_problem(client.get(f"{API}/missions/analytics/{kind}?template_id={UNKNOWN}", headers=admin), 404, "not-found")
        assert_problem(client.get(f"{API}/missions/analytics/{kind}", headers=admin), 422, "validation")
        assert_problem(client.get(f"{API}/missions/analytics/{kind}?template_id={tid}&limit=0", headers=admin), 422)


def test_skipping_an_optional_subtask_over_http(client, db, principals):
    learner = principals["participant"]
    tid = create_simple(db, "OPT-01", subtasks=[{"title": "Step 1"}, {"title": "Extra", "optional": True},
                                                 {"title": "Step 3"}])
    mid = start(db, learner, tid)["id"]
    me = bearer(learner)
    assert_problem(client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"subtask": 1, "skip": True}),
                   409, "illegal-transition")  # required
    client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"subtask": 1, "done": True})
    skipped = client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"subtask": 2, "skip": True})
    assert skipped.status_code == 200, skipped.text
    assert [s["status"] for s in skipped.json()["subtasks"]] == ["completed", "skipped", "ready"]
    assert_problem(client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"subtask": 3, "skip": "yes"}), 422)
    assert_problem(client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"skip": True}), 422)  # SQL


ENDPOINTS = [
    ("GET", "/recipes"), ("POST", "/recipes"), ("GET", "/recipes/x-1"), ("PUT", "/recipes/x-1"),
    ("DELETE", "/recipes/x-1"), ("POST", "/recipes/x-1/links"), ("DELETE", f"/recipes/x-1/links?template_id={UNKNOWN}"),
    ("POST", "/recipes/x-1/usage"), ("GET", f"/mission-progress/{UNKNOWN}/recipes"),
    ("GET", "/missions/analytics/performance"), ("GET", f"/missions/analytics/funnel?template_id={UNKNOWN}"),
    ("GET", "/missions/analytics/heatmap"), ("GET", "/missions/analytics/benchmarks"),
    ("GET", "/missions/analytics/cohorts"), ("GET", "/recipes/analytics/effectiveness"),
    ("GET", "/recipes/analytics/usage-stats"), ("GET", f"/missions/analytics/decisions?template_id={UNKNOWN}"),
    ("GET", f"/missions/analytics/tools?template_id={UNKNOWN}"),
    ("POST", "/missions/analytics/refresh"),
]
VALID_BODIES = {("POST", "/recipes"): RECIPE, ("PUT", "/recipes/x-1"): {"title": "X", "type": "tool"},
                ("POST", "/recipes/x-1/links"): {"templateId": UNKNOWN}, ("POST", "/recipes/x-1/usage"): {"event": "viewed"}}


def test_every_endpoint_needs_a_key(client, db):
    for method, path in ENDPOINTS:
        body = VALID_BODIES.get((method, path))
        assert_problem(client.request(method, API + path, json=body), 401, "unauthenticated")
        assert_problem(client.request(method, API + path, json=body, headers={"Authorization": "Bearer mk_x_y"}), 401)
    assert db.execute("select count(*) as n from missions_private.recipes").fetchone()["n"] == 0


def test_static_segments_win(client, db, principals):
    app: Litestar = client.app

    def handler(path: str, method: str = "GET") -> str:
        return app.asgi_router.handle_routing(path=path, method=method)[1].operation_id

    assert handler(f"{API}/missions/analytics/performance") == "getMissionPerformance"
    assert handler(f"{API}/missions/analytics/refresh", "POST") == "refreshLearningAnalytics"
    assert handler(f"{API}/missions/dashboard") == "getLearningDashboard"
    assert handler(f"{API}/missions/{UNKNOWN}/decisions") == "listDecisions"
    assert handler(f"{API}/missions/{UNKNOWN}/hints/1") == "getHints"
    assert handler(f"{API}/recipes/analytics/effectiveness") == "getRecipeEffectiveness"
    assert handler(f"{API}/recipes/analytics") == "getRecipe"               # a recipe may be called analytics
    assert handler(f"{API}/recipes/analytics/links", "POST") == "linkRecipe"
    assert handler(f"{API}/recipes/analytics/usage", "POST") == "trackRecipeUsage"  # hence usage-stats, not usage
    assert handler(f"{API}/recipes/analytics/usage-stats") == "getRecipeUsageStats"
    assert handler(f"{API}/missions/analytics/decisions") == "getDecisionPaths"
    assert handler(f"{API}/missions/analytics/tools") == "getToolUsage"
    assert handler(f"{API}/mission-progress/{UNKNOWN}/recipes") == "recommendRecipes"
    assert handler(f"{API}/mission-progress/{UNKNOWN}") == "getMissionProgress"
    # and over the wire
    admin, learner = bearer(principals["admin"]), bearer(principals["participant"])
    assert_problem(client.get(f"{API}/recipes/analytics", headers=learner), 404, "not-found")
    assert client.put(f"{API}/recipes/analytics", headers=admin, json={"title": "Analytics", "type": "analysis"}).status_code == 201
    assert client.get(f"{API}/recipes/analytics", headers=learner).json()["title"] == "Analytics"
    assert client.get(f"{API}/recipes/analytics/effectiveness", headers=admin).json()["items"] == []  # not refreshed yet
    assert client.post(f"{API}/missions/analytics/refresh", headers=admin).json() == {"refreshed": 9}
    assert [r["slug"] for r in client.get(f"{API}/recipes/analytics/effectiveness", headers=admin).json()["items"]] == ["analytics"]
    assert client.get(f"{API}/missions/dashboard", headers=learner).json()["participantId"] == principals["participant"]["id"]
    assert client.get(f"{API}/missions/analytics/cohorts", headers=admin).status_code == 200


def test_openapi_documents_recipes_and_analytics(client):
    spec = client.get("/schema/openapi.json").json()
    ops = {op["operationId"]: (path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
           if set(op.get("tags", [])) & {"learning: recipes", "learning: analytics"}}
    assert len(ops) == len(ENDPOINTS)
    for op_id, (_path, _method, op) in ops.items():
        assert op.get("summary") and op.get("security") == [{"BearerAuth": []}], op_id
        assert "401" in op["responses"], op_id
        errors = [s for s in op["responses"] if s.startswith("4") and s != "400"]  # 400: Litestar's own entry
        assert all("application/problem+json" in op["responses"][s]["content"] for s in errors), op_id
    for op_id in ("createRecipe", "putRecipe", "deleteRecipe", "linkRecipe", "unlinkRecipe", "refreshLearningAnalytics",
                  "getMissionPerformance", "getStepFunnel", "getCompletionHeatmap", "getCohortDashboard",
                  "getRecipeEffectiveness"):
        assert "403" in ops[op_id][2]["responses"], op_id
    for op_id in ("createRecipe", "putRecipe", "linkRecipe"):
        assert {"200", "201"} <= set(ops[op_id][2]["responses"]), op_id
    schemas = spec["components"]["schemas"]
    assert {"templateId", "subtask"} <= set(schemas["NewRecipeTemplateLink"]["properties"])
    assert {"event", "seconds", "missionId", "participantId"} == set(schemas["RecipeUsageEvent"]["properties"])
    assert "skip" in schemas["ProgressUpdate"]["properties"]
    params = {p["name"]: p for p in ops["getStepFunnel"][2]["parameters"]}
    assert params["template_id"]["required"] is True
