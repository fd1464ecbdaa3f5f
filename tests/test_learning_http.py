"""The learning face over HTTP: the learner journey end to end (templates, start, hints, decisions,
evidence files, progress, submit, AI review, mentor review, portfolio, skill signals) and every
endpoint's errors as problem+json."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest
from litestar import Litestar, Router
from litestar.di import Provide
from litestar.testing import TestClient

from app import reviewer
from app.http.engagement.participants import EngagementController
from app.http.learning.evidence import attachment
from app.http.learning.missions import LearningController
from tests.helpers.http import assert_problem
from tests.helpers.learning import create_template, template_spec
from tests.helpers.principals import bearer, make_principal

UNKNOWN = str(uuid.UUID(int=0xDEAD, version=4))
API = "/api/v1"
LOG = b"2030-01-01T03:00:00Z sshd: 14 failed logins from 10.0.0.7\n"


@pytest.fixture
def evidence_dir(tmp_path: Path) -> Path:
    return tmp_path / "evidence"


@pytest.fixture
def client(db, cluster, evidence_dir):
    """The HTTP app with its evidence store in a temporary directory."""
    from app.http.app import create_app

    app = create_app(database_url=cluster.url(db.info.dbname, user="missions_app"), evidence_dir=evidence_dir)
    with TestClient(app) as c:
        yield c


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def http_template(code: str = "SIEM-01", **overrides) -> dict:
    """The SQL helpers' template with camelCase keys: evidence required at 1, a decision at 2 (isolate -> 3, monitor -> 4)."""
    camel = {"success_criteria": "successCriteria", "reflection_required": "reflectionRequired",
             "pass_score": "passScore", "skill_xp": "skillXp", "required_evidence": "requiredEvidence"}
    spec = template_spec(code)
    spec["subtasks"] = [{camel.get(k, k): v for k, v in sub.items()} for sub in spec["subtasks"]]
    return {camel.get(k, k): v for k, v in spec.items()} | overrides


def upload(client, who: dict, mission_id: str, subtask="1", data: bytes = LOG, filename: str = "auth.log",
           content_type: str = "text/plain"):
    return client.post(f"{API}/mission-progress/{mission_id}/files", headers=bearer(who),
                       data={"subtask": subtask}, files={"file": (filename, data, content_type)})


def start(client, who: dict, template_id: str) -> dict:
    r = client.post(f"{API}/missions/{template_id}/start", headers=bearer(who))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def world(client, db, principals):
    """A template created over HTTP, a PREMIUM learner with a started mission, another participant."""
    r = client.post(f"{API}/learning-templates", headers=bearer(principals["admin"]), json=http_template())
    assert r.status_code == 201, r.text
    learner = make_principal(db, "participant", "Premium learner", tier="PREMIUM")
    mission = start(client, learner, r.json()["id"])
    return {"template": r.json(), "learner": learner, "mission": mission, "mid": mission["id"], **principals}


def test_the_learner_journey_over_http(client, world, connect, evidence_dir):
    learner, mentor, mid = world["learner"], world["mentor"], world["mid"]
    me = bearer(learner)
    template = world["template"]
    assert template["code"] == "SIEM-01" and template["rubric"]["version"] == 1
    assert template["subtasks"][0]["hintLevels"] == 2 and "hints" not in template["subtasks"][0]
    assert template["subtasks"][1]["decision"]["choices"][0]["path"] == [3]
    assert [t["id"] for t in client.get(f"{API}/learning-templates?track=defender", headers=me).json()["items"]] == [template["id"]]
    assert client.get(f"{API}/learning-templates?track=grc", headers=me).json()["items"] == []
    assert client.get(f"{API}/learning-templates/{template['id']}", headers=me).json() == template

    mission = world["mission"]
    assert mission["status"] == "in_progress" and mission["reviewStage"] == "working"
    assert [s["status"] for s in mission["subtasks"]] == ["ready", "pending", "pending", "pending"]
    board = client.get(f"{API}/missions/dashboard", headers=me).json()
    assert board["tier"] == "PREMIUM" and board["quota"]["limit"] is None and board["quota"]["used"] == 1
    assert [m["id"] for m in board["inProgress"]] == [mid] and board["available"] == []

    # hints, one level at a time
    assert client.get(f"{API}/missions/{mid}/hints/1", headers=me).json() == {"subtask": 1, "levels": 2, "revealed": []}
    hint = client.post(f"{API}/missions/{mid}/hints/1", headers=me)
    assert hint.status_code == 200 and hint.json() == {"subtask": 1, "level": 1, "text": "Filter by host.", "remaining": 1}
    assert [h["level"] for h in client.get(f"{API}/missions/{mid}/hints/1", headers=me).json()["revealed"]] == [1]

    # evidence: uploaded, stored under its sha256, downloaded byte for byte
    r = upload(client, learner, mid, data=LOG, filename="auth export.log")
    assert r.status_code == 201, r.text
    file = r.json()
    digest = hashlib.sha256(LOG).hexdigest()
    assert file["sha256"] == digest and file["sizeBytes"] == len(LOG) and file["subtask"] == 1
    assert file["missionId"] == mid and file["contentType"] == "text/plain" and file["filename"] == "auth export.log"
    assert "storageKey" not in file and "storage_key" not in file
    assert stored_files(evidence_dir) == [evidence_dir / digest[:2] / digest]
    got = client.get(f"{API}/mission-progress/{mid}/files/{file['id']}", headers=me)
    assert got.status_code == 200 and got.content == LOG
    assert got.headers["content-type"].startswith("text/plain")
    assert got.headers["content-disposition"].startswith('attachment; filename="auth export.log"')
    assert got.headers["x-content-type-options"] == "nosniff" and got.headers["content-length"] == str(len(LOG))

    progress = client.patch(f"{API}/mission-progress/{mid}", headers=me, json={
        "subtask": 1, "notes": "Exported 1h of auth logs; 14 failed logins from 10.0.0.7 " * 4, "done": True,
        "toolsUsed": ["splunk"]})
    assert progress.status_code == 200, progress.text
    subtasks = progress.json()["subtasks"]
    assert subtasks[0]["status"] == "completed" and subtasks[0]["hintsUsed"] == 1
    assert [e["id"] for e in subtasks[0]["evidence"]] == [file["id"]]

    # the decision: isolate skips the monitoring path; a second choice is refused
    decisions = client.get(f"{API}/missions/{mid}/decisions", headers=me).json()
    assert [(d["decisionId"], d["available"], d["chosen"]) for d in decisions] == [("containment", True, None)]
    chosen = client.post(f"{API}/missions/{mid}/decisions/containment/choose", headers=me, json={"choice": "isolate"})
    assert chosen.status_code == 200, chosen.text
    assert [s["status"] for s in chosen.json()["subtasks"]] == ["completed", "in_progress", "pending", "skipped"]
    assert chosen.json()["subtasks"][1]["decision"]["chosen"] == "isolate"
    assert_problem(client.post(f"{API}/missions/{mid}/decisions/containment/choose", headers=me,
                               json={"choice": "monitor"}), 409, "illegal-transition")
    for n, notes in ((2, "Isolation stops the lateral movement at once."), (3, "Host isolated via EDR, INC-42 " * 6)):
        r = client.patch(f"{API}/mission-progress/{mid}", headers=me,
                         json={"subtask": n, "notes": notes, "done": True, "toolsUsed": ["crowdstrike"]})
        assert r.status_code == 200, r.text

    submitted = client.post(f"{API}/mission-progress/{mid}/submit", headers=me,
                            json={"reflection": "I learned to pivot from the alert to the auth logs first. " * 4})
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted" and submitted.json()["reviewStage"] == "ai_review"
    assert submitted.json()["toolsUsed"] == ["crowdstrike", "splunk"]
    assert_problem(client.post(f"{API}/mission-progress/{mid}/submit", headers=me), 409, "illegal-transition")
    assert client.get(f"{API}/mission-progress/{mid}/ai-review", headers=me).json()["status"] == "pending"

    # the worker's rules reviewer scores it; a PREMIUM learner then chooses a mentor
    assert reviewer.review_pending(connect(autocommit=True)) == 1
    ai = client.get(f"{API}/mission-progress/{mid}/ai-review", headers=me).json()
    assert ai["status"] == "reviewed" and ai["reviewer"] == "rules" and ai["awaitingLearner"] is True
    assert [s["subtask"] for s in ai["scores"]] == [1, 2, 3] and all(s["reasoning"] for s in ai["scores"])
    # a mentor sees nothing before the review is requested
    assert_problem(client.get(f"{API}/mission-progress/{mid}", headers=bearer(mentor)), 404)
    assert_problem(client.get(f"{API}/mission-progress/{mid}/files/{file['id']}", headers=bearer(mentor)), 404)
    requested = client.post(f"{API}/mission-progress/{mid}/mentor-review", headers=me)
    assert requested.status_code == 200 and requested.json()["reviewStage"] == "mentor_review"

    # only a designated mentor reviews: until an admin designates this one it sees and claims nothing
    assert client.get(f"{API}/mentor-reviews", headers=bearer(mentor)).json()["items"] == []
    assert_problem(client.get(f"{API}/mission-progress/{mid}", headers=bearer(mentor)), 404)
    assert_problem(client.post(f"{API}/mission-progress/{mid}/mentor-review/claim", headers=bearer(mentor)), 403)
    designated = client.put(f"/api/internal/step-kinds/mentor_review/reviewers/{mentor['id']}",
                            headers=bearer(world["admin"]))
    assert designated.status_code == 200, designated.text
    assert (designated.json()["principalId"], designated.json()["grantedBy"]) == (mentor["id"], world["admin"]["id"])

    queue = client.get(f"{API}/mentor-reviews", headers=bearer(mentor)).json()["items"]
    assert [(q["missionId"], q["claimedBy"]) for q in queue] == [(mid, None)]
    assert client.get(f"{API}/mission-progress/{mid}/files/{file['id']}", headers=bearer(mentor)).content == LOG
    claim = client.post(f"{API}/mission-progress/{mid}/mentor-review/claim", headers=bearer(mentor))
    assert claim.status_code == 200, claim.text
    assert claim.json()["mentorId"] == mentor["id"] and claim.json()["missionId"] == mid
    review = {"scores": [{"subtask": 1, "score": 90, "comment": "Thorough."}, {"subtask": 2, "score": 80},
                         {"subtask": 3, "score": 70}], "feedback": "Solid triage.", "decision": "approve"}
    done = client.post(f"{API}/mission-progress/{mid}/mentor-review/complete", headers=bearer(mentor), json=review)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed" and done.json()["finalScore"] == 82.5  # (2*90 + 80 + 70) / 4
    mentor_review = client.get(f"{API}/mission-progress/{mid}/mentor-review", headers=me).json()
    assert mentor_review["decision"] == "approve" and mentor_review["mentorId"] == mentor["id"]
    assert mentor_review["scores"][0] == {"subtask": 1, "score": 90.0, "criterion": None, "reasoning": None,
                                          "comment": "Thorough."}

    items = client.get(f"{API}/portfolio", headers=me).json()["items"]
    assert len(items) == 1 and items[0]["missionId"] == mid and items[0]["score"] == 82.5
    assert items[0]["evidence"][0]["sha256"] == digest and items[0]["rubric"]["version"] == 1
    skills = {s["skill"]: s for s in client.get(f"{API}/skill-signals", headers=me).json()["items"]}
    assert set(skills) == {"siem", "triage", "log_analysis", "edr"}
    assert skills["siem"]["mastery"] == 82.5 and skills["siem"]["confidence"] == 0.5
    board = client.get(f"{API}/missions/dashboard", headers=me).json()
    assert [(c["id"], c["finalScore"]) for c in board["completed"]] == [(mid, 82.5)]
    # the gap analysis: the three weakest signals (all 82.5 with confidence 0.5: by name)
    assert board["skillGaps"] == [{"skill": s, "mastery": 82.5, "confidence": 0.5} for s in ("edr", "log_analysis", "siem")]
    # staff read anyone's; the portfolio is the learner's own
    admin = bearer(world["admin"])
    assert client.get(f"{API}/portfolio?participant_id={learner['id']}", headers=admin).json()["items"] == items
    assert client.get(f"{API}/missions/dashboard?participant_id={learner['id']}", headers=admin).status_code == 200


ENDPOINTS = [
    ("GET", "/missions/dashboard"), ("POST", "/missions/{tid}/start"), ("GET", "/mission-progress/{mid}"),
    ("PATCH", "/mission-progress/{mid}"), ("POST", "/mission-progress/{mid}/files"),
    ("GET", "/mission-progress/{mid}/files/{fid}"), ("DELETE", "/mission-progress/{mid}/files/{fid}"),
    ("POST", "/mission-progress/{mid}/submit"), ("GET", "/mission-progress/{mid}/ai-review"),
    ("POST", "/mission-progress/{mid}/ai-review/accept"), ("POST", "/mission-progress/{mid}/mentor-review"),
    ("GET", "/mission-progress/{mid}/mentor-review"), ("POST", "/mission-progress/{mid}/mentor-review/claim"),
    ("POST", "/mission-progress/{mid}/mentor-review/complete"), ("GET", "/mentor-reviews"),
    ("GET", "/missions/{mid}/decisions"), ("POST", "/missions/{mid}/decisions/containment/choose"),
    ("GET", "/missions/{mid}/hints/1"), ("POST", "/missions/{mid}/hints/1"), ("GET", "/portfolio"),
    ("GET", "/skill-signals"), ("POST", "/learning-templates"), ("GET", "/learning-templates"),
    ("GET", "/learning-templates/{tid}"), ("PUT", "/learning-templates/{tid}/rubric"),
]


VALID_BODIES = {
    "/mission-progress/{mid}": {"subtask": 1, "notes": "x"},
    "/missions/{mid}/decisions/containment/choose": {"choice": "isolate"},
    "/mission-progress/{mid}/mentor-review/complete": {"scores": [{"subtask": 1, "score": 1}], "decision": "approve"},
    "/learning-templates": http_template(),
    "/learning-templates/{tid}/rubric": {"criteria": [{"subtask": 1, "criterion": "x", "weight": 1}]},
}


def test_every_endpoint_needs_a_key(client):
    for method, path in ENDPOINTS:
        url = API + path.format(tid=UNKNOWN, mid=UNKNOWN, fid=UNKNOWN)
        body = VALID_BODIES.get(path) if method in ("POST", "PATCH", "PUT") else None
        assert_problem(client.request(method, url, json=body), 401, "unauthenticated")
        assert_problem(client.request(method, url, json=body, headers={"Authorization": "Bearer mk_nope_nope"}), 401)


def test_another_participant_sees_and_touches_nothing(client, world, evidence_dir):
    learner, other, mid = world["learner"], world["other"], world["mid"]
    file = upload(client, learner, mid).json()
    them = bearer(other)
    fid = file["id"]
    for method, path, body in [
        ("GET", f"/mission-progress/{mid}", None), ("PATCH", f"/mission-progress/{mid}", {"subtask": 1, "notes": "x"}),
        ("GET", f"/mission-progress/{mid}/files/{fid}", None), ("DELETE", f"/mission-progress/{mid}/files/{fid}", None),
        ("POST", f"/mission-progress/{mid}/submit", {"reflection": "mine now"}),
        ("GET", f"/mission-progress/{mid}/ai-review", None), ("POST", f"/mission-progress/{mid}/ai-review/accept", None),
        ("GET", f"/mission-progress/{mid}/mentor-review", None), ("POST", f"/mission-progress/{mid}/mentor-review", None),
        ("GET", f"/missions/{mid}/decisions", None),
        ("POST", f"/missions/{mid}/decisions/containment/choose", {"choice": "isolate"}),
        ("GET", f"/missions/{mid}/hints/1", None), ("POST", f"/missions/{mid}/hints/1", None),
    ]:
        assert_problem(client.request(method, API + path, headers=them, json=body), 404, "not-found")
    assert_problem(upload(client, other, mid), 404)
    assert len(stored_files(evidence_dir)) == 1  # only the owner's file
    # their own data only: another participant's dashboard, portfolio, skills or start are 403
    for path in ("/missions/dashboard", "/portfolio", "/skill-signals"):
        assert_problem(client.get(f"{API}{path}?participant_id={learner['id']}", headers=them), 403, "forbidden")
    assert_problem(client.post(f"{API}/missions/{world['template']['id']}/start?participant_id={learner['id']}",
                               headers=them), 403)
    # a mentor review queue and claims are for mentors
    assert_problem(client.get(f"{API}/mentor-reviews", headers=them), 403)
    assert_problem(client.post(f"{API}/mission-progress/{mid}/mentor-review/claim", headers=them), 403)
    # the owner's view is unchanged
    progress = client.get(f"{API}/mission-progress/{mid}", headers=bearer(learner)).json()
    assert progress["subtasks"][0]["notes"] is None and len(progress["subtasks"][0]["evidence"]) == 1


def test_unknown_ids_are_404(client, world):
    me, mid = bearer(world["learner"]), world["mid"]
    admin = bearer(world["admin"])
    for method, path, body in [
        ("POST", f"/missions/{UNKNOWN}/start", None), ("GET", f"/mission-progress/{UNKNOWN}", None),
        ("PATCH", f"/mission-progress/{UNKNOWN}", {"notes": "x", "subtask": 1}),
        ("GET", f"/mission-progress/{mid}/files/{UNKNOWN}", None),
        ("DELETE", f"/mission-progress/{mid}/files/{UNKNOWN}", None),
        ("POST", f"/mission-progress/{UNKNOWN}/submit", None), ("GET", f"/mission-progress/{UNKNOWN}/ai-review", None),
        ("GET", f"/missions/{UNKNOWN}/decisions", None), ("GET", f"/missions/{mid}/hints/9", None),
        ("POST", f"/missions/{mid}/hints/9", None), ("PATCH", f"/mission-progress/{mid}", {"subtask": 9, "notes": "x"}),
        ("POST", f"/missions/{mid}/decisions/nope/choose", {"choice": "isolate"}),
        ("GET", f"/learning-templates/{UNKNOWN}", None),
    ]:
        assert_problem(client.request(method, API + path, headers=me, json=body), 404, "not-found")
    assert_problem(client.put(f"{API}/learning-templates/{UNKNOWN}/rubric", headers=admin,
                              json={"criteria": [{"subtask": 1, "criterion": "x", "weight": 1}]}), 404)
    assert_problem(upload(client, world["learner"], UNKNOWN), 404)
    assert_problem(upload(client, world["learner"], mid, subtask="9"), 404)
    # a file is reached only through its own mission
    file = upload(client, world["learner"], mid).json()
    assert_problem(client.get(f"{API}/mission-progress/{UNKNOWN}/files/{file['id']}", headers=admin), 404)
    assert client.get(f"{API}/mission-progress/{mid}/files/{file['id']}", headers=admin).content == LOG


def test_illegal_transitions_are_409(client, world, connect):
    learner, mid = world["learner"], world["mid"]
    me = bearer(learner)
    assert_problem(client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"subtask": 1, "done": True}),
                   409, "illegal-transition")  # evidence first
    assert_problem(client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"subtask": 3, "notes": "x"}),
                   409)  # not reached
    assert_problem(client.post(f"{API}/mission-progress/{mid}/submit", headers=me, json={"reflection": "early"}), 409)
    client.post(f"{API}/missions/{mid}/hints/1", headers=me)
    client.post(f"{API}/missions/{mid}/hints/1", headers=me)
    assert_problem(client.post(f"{API}/missions/{mid}/hints/1", headers=me), 409)  # no hints left
    assert_problem(client.post(f"{API}/mission-progress/{mid}/ai-review/accept", headers=me), 409)
    assert_problem(client.post(f"{API}/mission-progress/{mid}/mentor-review", headers=me), 409)
    assert_problem(client.post(f"{API}/missions/{world['template']['id']}/start", headers=me), 409, "duplicate")
    # a mentor completing without a claim has lost the (never held) lease
    file = upload(client, learner, mid).json()
    client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"subtask": 1, "done": True})
    assert_problem(client.delete(f"{API}/mission-progress/{mid}/files/{file['id']}", headers=me), 409)  # subtask done
    client.post(f"{API}/missions/{mid}/decisions/containment/choose", headers=me, json={"choice": "monitor"})
    client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"subtask": 2, "done": True})
    client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"subtask": 4, "done": True})
    assert client.post(f"{API}/mission-progress/{mid}/submit", headers=me, json={"reflection": "r" * 60}).status_code == 200
    assert_problem(client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"reflection": "late"}), 409)
    assert_problem(upload(client, learner, mid), 409)
    reviewer.review_pending(connect(autocommit=True))
    client.post(f"{API}/mission-progress/{mid}/mentor-review", headers=me)
    body = {"scores": [{"subtask": 1, "score": 50}, {"subtask": 2, "score": 50}, {"subtask": 4, "score": 50}],
            "decision": "approve"}
    assert_problem(client.post(f"{API}/mission-progress/{mid}/mentor-review/complete", headers=bearer(world["mentor"]),
                               json=body), 409, "lease-lost")


def test_an_oversized_upload_is_413_and_stores_nothing(client, world, db, evidence_dir):
    db.execute("update missions_private.settings set value = '1000' where key = 'evidence_max_bytes'")
    learner, mid = world["learner"], world["mid"]
    assert_problem(upload(client, learner, mid, data=b"x" * 1001), 413, "too-large")
    # announced beyond the limit plus multipart framing: refused before the body is read
    assert_problem(upload(client, learner, mid, data=b"x" * 200_000), 413, "too-large")
    # streamed without a Content-Length
    boundary = "b0undary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="subtask"\r\n\r\n1\r\n'
             f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
             "Content-Type: text/plain\r\n\r\n".encode()] + [b"y" * 500] * 4 + [f"\r\n--{boundary}--\r\n".encode()]
    r = client.post(f"{API}/mission-progress/{mid}/files", content=iter(parts),
                    headers={**bearer(learner), "content-type": f"multipart/form-data; boundary={boundary}"})
    assert_problem(r, 413, "too-large")
    assert stored_files(evidence_dir) == []
    assert db.execute("select count(*) as n from missions_private.evidence_files").fetchone()["n"] == 0
    assert upload(client, learner, mid, data=b"x" * 1000).status_code == 201  # exactly the limit


def test_uploads_may_exceed_the_json_body_limit(client, world, evidence_dir):
    big = bytes(range(256)) * 8 * 1024  # 2 MiB, over the 1 MiB limit of JSON bodies
    r = upload(client, world["learner"], world["mid"], data=big, filename="capture.zip", content_type="application/zip")
    assert r.status_code == 201, r.text
    got = client.get(f"{API}/mission-progress/{world['mid']}/files/{r.json()['id']}", headers=bearer(world["learner"]))
    assert got.content == big and got.headers["content-type"] == "application/zip"
    # JSON bodies keep their limit: 413 problem, not a 500
    r = client.patch(f"{API}/mission-progress/{world['mid']}", headers=bearer(world["learner"]),
                     json={"subtask": 1, "notes": "x" * (2 * 1024 * 1024)})
    assert_problem(r, 413, "too-large")


def test_download_names_are_quoted_and_utf8_encoded():
    assert attachment("report.pdf") == "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    assert attachment('r\u00e9sum\u00e9 "v2".pdf') == (
        "attachment; filename=\"r_sum_ _v2_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.pdf")


def test_the_file_count_limit_is_413(client, world, db):
    db.execute("update missions_private.settings set value = '1' where key = 'evidence_max_files_per_subtask'")
    assert upload(client, world["learner"], world["mid"], data=b"one").status_code == 201
    assert_problem(upload(client, world["learner"], world["mid"], data=b"two"), 413)


def test_refused_content_types_are_415_and_store_nothing(client, world, db, evidence_dir):
    learner, mid = world["learner"], world["mid"]
    body = assert_problem(upload(client, learner, mid, content_type="text/html", filename="x.html"), 415,
                          "unsupported-media-type")
    assert "text/plain" in body["hint"]
    r = client.post(f"{API}/mission-progress/{mid}/files", headers=bearer(learner), json={"subtask": 1})
    assert_problem(r, 415)
    assert stored_files(evidence_dir) == []
    assert db.execute("select count(*) as n from missions_private.evidence_files").fetchone()["n"] == 0
    # parameters and case do not matter
    assert upload(client, learner, mid, content_type="Text/Plain; charset=utf-8").status_code == 201


BAD_FORMS = [
    ({"subtask": "one"}, {"file": ("a.txt", LOG, "text/plain")}),
    ({"subtask": ""}, {"file": ("a.txt", LOG, "text/plain")}),
    ({"subtask": "0"}, {"file": ("a.txt", LOG, "text/plain")}),
    ({"subtask": "1_0"}, {"file": ("a.txt", LOG, "text/plain")}),
    ({"subtask": "-1"}, {"file": ("a.txt", LOG, "text/plain")}),
    ({}, {"file": ("a.txt", LOG, "text/plain")}),  # no subtask
    ({}, {"subtask": (None, "1")}),  # no file
    ({"subtask": "1"}, {"file": (None, "not a file")}),  # a file part without a filename
    ({"subtask": "1", "colour": "red"}, {"file": ("a.txt", LOG, "text/plain")}),
    ({"subtask": "1"}, {"attachment": ("a.txt", LOG, "text/plain")}),
    ({"subtask": "1"}, {"file": ("a.txt", b"", "text/plain")}),  # empty (SQL)
    ({"subtask": "1"}, {"file": ("../../etc/passwd", LOG, "text/plain")}),  # the name (SQL)
]


def test_bad_upload_forms_are_422_and_store_nothing(client, world, db, evidence_dir):
    for form, files in BAD_FORMS:
        r = client.post(f"{API}/mission-progress/{world['mid']}/files", headers=bearer(world["learner"]),
                        data=form, files=files)
        assert r.status_code == 422, (form, files, r.text)
        assert_problem(r, 422, "validation")
    assert stored_files(evidence_dir) == []
    assert db.execute("select count(*) as n from missions_private.evidence_files").fetchone()["n"] == 0


def test_a_malformed_multipart_body_is_400(client, world):
    r = client.post(f"{API}/mission-progress/{world['mid']}/files", content=b"--b\r\nnot a part",
                    headers={**bearer(world["learner"]), "content-type": "multipart/form-data; boundary=b"})
    assert_problem(r, 400)


BAD_BODIES = [
    ("PATCH", "/mission-progress/{mid}", {"subtask": "one", "notes": "x"}),
    ("PATCH", "/mission-progress/{mid}", {"subtask": 1, "colour": "red"}),
    ("PATCH", "/mission-progress/{mid}", {"notes": "no subtask"}),  # SQL: notes belong to a subtask
    ("PATCH", "/mission-progress/{mid}", {"subtask": 1, "toolsUsed": "splunk"}),
    ("PATCH", "/mission-progress/{mid}", [1, 2]),
    ("POST", "/missions/{mid}/decisions/containment/choose", {}),
    ("POST", "/missions/{mid}/decisions/containment/choose", {"choice": "panic"}),  # SQL: unknown choice
    ("POST", "/mission-progress/{mid}/submit", {"reflection": 42}),
    ("POST", "/mission-progress/{mid}/mentor-review/complete", {"scores": [], "decision": "approve"}),
    ("POST", "/mission-progress/{mid}/mentor-review/complete", {"scores": [{"subtask": 1, "score": 101}],
                                                                 "decision": "approve"}),
    ("POST", "/mission-progress/{mid}/mentor-review/complete", {"scores": [{"subtask": 1, "score": 1}],
                                                                 "decision": "maybe"}),
]


def test_bad_bodies_are_422(client, world):
    for method, path, body in BAD_BODIES:
        who = world["mentor"] if "mentor-review" in path else world["learner"]
        r = client.request(method, API + path.format(mid=world["mid"]), headers=bearer(who), json=body)
        assert r.status_code == 422, (path, body, r.text)
        assert_problem(r, 422, "validation")


def test_a_free_member_starts_one_learning_mission_a_month(client, db):
    first, second = create_template(db, "SIEM-01"), create_template(db, "SIEM-02")
    free = make_principal(db, "participant", "Free learner", tier="FREE")
    start(client, free, first)
    body = assert_problem(client.post(f"{API}/missions/{second}/start", headers=bearer(free)), 429, "quota-exhausted")
    assert body["sqlstate"] == "MS429" and body["hint"]
    board = client.get(f"{API}/missions/dashboard", headers=bearer(free)).json()
    assert board["quota"] == {"month": board["quota"]["month"], "limit": 1, "used": 1}
    assert [(a["code"], a["canStart"], a["blockedBy"], a["viewOnly"]) for a in board["available"]] == [
        ("SIEM-02", False, "monthly_quota_used", True)]


def test_capstones_are_for_premium_members(client, db):
    capstone = create_template(db, "SIEM-99", is_capstone=True)
    starter = make_principal(db, "participant", "Starter learner", tier="STARTER")
    assert_problem(client.post(f"{API}/missions/{capstone}/start", headers=bearer(starter)), 403, "forbidden")


def test_mentor_reviews_are_for_premium_members(client, world, db, connect):
    learner, mid = world["learner"], world["mid"]
    me = bearer(learner)
    upload(client, learner, mid)
    client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"subtask": 1, "done": True})
    client.post(f"{API}/missions/{mid}/decisions/containment/choose", headers=me, json={"choice": "isolate"})
    for n in (2, 3):
        client.patch(f"{API}/mission-progress/{mid}", headers=me, json={"subtask": n, "done": True})
    assert client.post(f"{API}/mission-progress/{mid}/submit", headers=me, json={"reflection": "r" * 60}).status_code == 200
    reviewer.review_pending(connect(autocommit=True))
    db.execute("update missions_private.principals set tier = 'STARTER' where id = %s", (learner["id"],))
    assert_problem(client.post(f"{API}/mission-progress/{mid}/mentor-review", headers=me), 403, "forbidden")
    accepted = client.post(f"{API}/mission-progress/{mid}/ai-review/accept", headers=me)
    assert accepted.status_code == 200 and accepted.json()["reviewStage"] in ("approved", "changes_requested")


def test_deleting_evidence_keeps_bytes_another_row_shares(client, world, db, evidence_dir):
    learner, mid = world["learner"], world["mid"]
    twin = make_principal(db, "participant", "Twin", tier="PREMIUM")
    twin_mission = start(client, twin, world["template"]["id"])["id"]
    mine = upload(client, learner, mid).json()
    theirs = upload(client, twin, twin_mission).json()
    assert mine["sha256"] == theirs["sha256"] and len(stored_files(evidence_dir)) == 1
    # a mentor (no review requested) and the other learner cannot delete
    assert_problem(client.delete(f"{API}/mission-progress/{mid}/files/{mine['id']}", headers=bearer(world["mentor"])), 404)
    assert_problem(client.delete(f"{API}/mission-progress/{mid}/files/{mine['id']}", headers=bearer(twin)), 404)
    gone = client.delete(f"{API}/mission-progress/{mid}/files/{mine['id']}", headers=bearer(learner))
    assert gone.status_code == 200 and gone.json()["id"] == mine["id"] and "stillReferenced" not in gone.json()
    assert len(stored_files(evidence_dir)) == 1  # still the twin's
    assert client.get(f"{API}/mission-progress/{twin_mission}/files/{theirs['id']}", headers=bearer(twin)).content == LOG
    assert_problem(client.get(f"{API}/mission-progress/{mid}/files/{mine['id']}", headers=bearer(learner)), 404)
    assert client.delete(f"{API}/mission-progress/{twin_mission}/files/{theirs['id']}",
                         headers=bearer(twin)).status_code == 200
    assert stored_files(evidence_dir) == []


def test_a_failed_sql_call_leaves_shared_bytes_in_place(client, world, db, evidence_dir):
    learner, mid = world["learner"], world["mid"]
    upload(client, learner, mid)
    db.execute("update missions_private.settings set value = '1' where key = 'evidence_max_files_per_subtask'")
    assert_problem(upload(client, learner, mid), 413)  # the same bytes again, refused by SQL
    assert len(stored_files(evidence_dir)) == 1
    assert_problem(upload(client, learner, mid, data=b"other bytes"), 413)
    assert len(stored_files(evidence_dir)) == 1  # the refused file's bytes are not kept


def test_staff_manage_templates_and_rubrics(client, world, principals):
    admin, me = bearer(principals["admin"]), bearer(world["learner"])
    tid = world["template"]["id"]
    assert_problem(client.post(f"{API}/learning-templates", headers=me, json=http_template("SIEM-02")), 403, "forbidden")
    assert_problem(client.post(f"{API}/learning-templates", headers=admin, json=http_template()), 409, "duplicate")
    assert_problem(client.post(f"{API}/learning-templates", headers=admin,
                               json={**http_template("SIEM-03"), "colour": "red"}), 422)
    assert_problem(client.post(f"{API}/learning-templates", headers=admin,
                               json=http_template("siem-3")), 422)
    criteria = [{"subtask": n, "criterion": f"c{n}", "weight": 1} for n in (1, 2, 3, 4)]
    assert_problem(client.put(f"{API}/learning-templates/{tid}/rubric", headers=me, json={"criteria": criteria}), 403)
    assert_problem(client.put(f"{API}/learning-templates/{tid}/rubric", headers=admin,
                              json={"criteria": [{"subtask": 9, "criterion": "x", "weight": 1}]}), 422)
    # the learner's mission uses version 1, so a change is version 2
    rubric = client.put(f"{API}/learning-templates/{tid}/rubric", headers=admin, json={"criteria": criteria})
    assert rubric.status_code == 200, rubric.text
    assert rubric.json()["version"] == 2 and rubric.json()["templateId"] == tid
    assert client.get(f"{API}/learning-templates/{tid}", headers=me).json()["rubric"]["version"] == 2
    assert client.get(f"{API}/mission-progress/{world['mid']}", headers=me).json()["rubric"]["version"] == 1
    # auto-submit at the deadline needs a deadline
    assert_problem(client.post(f"{API}/learning-templates", headers=admin,
                               json=http_template("AUTO-01", autoSubmit=True)), 422, "validation")
    auto = client.post(f"{API}/learning-templates", headers=admin,
                       json=http_template("AUTO-02", autoSubmit=True, timeConstraintHours=4))
    assert auto.status_code == 201, auto.text
    assert (auto.json()["autoSubmit"], auto.json()["timeConstraintHours"]) == (True, 4)
    progress = client.get(f"{API}/mission-progress/{world['mid']}", headers=me).json()
    assert (progress["autoSubmit"], progress["autoSubmittedAt"]) == (False, None)


def test_static_learning_routes_win_over_participant_routes(client, world):
    me = world["learner"]
    assert client.get(f"{API}/missions/dashboard", headers=bearer(me)).json()["participantId"] == me["id"]
    assert client.get(f"/missions/{me['id']}/stats", headers=bearer(me)).status_code == 200  # engagement unchanged
    # were the engagement routes mounted under /api/v1 too, each path still reaches its own handler
    app = Litestar(route_handlers=[Router(API, route_handlers=[EngagementController]), LearningController],
                   dependencies={"db": Provide(lambda: None, sync_to_thread=False)}, openapi_config=None)
    handler = lambda path, method="GET": app.asgi_router.handle_routing(path=path, method=method)[1].operation_id  # noqa: E731
    assert handler(f"{API}/missions/dashboard") == "getLearningDashboard"
    assert handler(f"{API}/missions/{UNKNOWN}") == "listMissions"
    assert handler(f"{API}/missions/{UNKNOWN}/stats") == "getParticipantStats"
    assert handler(f"{API}/missions/{UNKNOWN}/decisions") == "listDecisions"
    assert handler(f"{API}/missions/{UNKNOWN}/start", "POST") == "startLearningMission"
    assert handler(f"{API}/missions/{UNKNOWN}/start/{UNKNOWN}", "POST") == "startMission"


def test_openapi_documents_the_learning_face(client):
    spec = client.get("/schema/openapi.json").json()
    ops = {op["operationId"]: op for path, item in spec["paths"].items() if path.startswith(API)
           for op in item.values()
           if not set(op.get("tags", [])) & {"learning: recipes", "learning: analytics"}}  # tests/test_recipes_http.py
    assert len(ops) == len(ENDPOINTS)
    assert all(op.get("summary") and "401" in op["responses"] for op in ops.values())
    upload_op = ops["uploadEvidence"]
    form = upload_op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["subtask", "file"] and form["properties"]["file"]["format"] == "binary"
    assert {"201", "413", "415", "422"} <= set(upload_op["responses"])
    assert "application/problem+json" in upload_op["responses"]["413"]["content"]
    assert {"403", "429"} <= set(ops["startLearningMission"]["responses"])
    assert "*/*" in ops["downloadEvidence"]["responses"]["200"]["content"]  # served with the file's own type
    assert "toolsUsed" in spec["components"]["schemas"]["ProgressUpdate"]["properties"]
