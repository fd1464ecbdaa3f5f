"""The README's "Connect an agent" snippets run as written (with this test's server and keys)."""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path

import pytest

from app.agent import Job, PermanentFailure
from app.agent.runner import load_handlers

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def python_block(section: str, index: int = 0) -> str:
    body = README.split(f"### {section}\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.S)[index]


def test_the_client_snippet_runs(live_server, principals, db):
    db.execute("select missions.upsert_step_kind('send_email', '{\"trusted\": true}')")
    code = python_block("Python client").replace("http://127.0.0.1:8000", live_server)
    exec(compile(code.replace("mk_…", principals["agent"]["key"]), "README", "exec"), {})
    made = db.execute("select m.id, count(s.id) as tasks from missions_private.missions m join missions_private.steps s "
                      "on s.mission_id = m.id where m.title = 'Weekly outreach' group by m.id").fetchall()
    assert [r["tasks"] for r in made] == [2]
    assert db.execute("select count(*) as n from missions_private.events where mission_id = %s and type = 'mission.note'",
                      (made[0]["id"],)).fetchone()["n"] == 1
    assert len(code.strip().splitlines()) <= 12  # "the client in ten lines" (plus its import and a blank)


def test_the_worker_snippet_is_a_handlers_module(tmp_path, monkeypatch):
    (tmp_path / "mybot.py").write_text(python_block("Worker loop"))
    monkeypatch.syspath_prepend(str(tmp_path))
    handlers = load_handlers("mybot:HANDLERS")
    job = Job(step_id=uuid.uuid4(), mission_id=uuid.uuid4(), kind="health_check", title="t", attempt=1,
              spec={"input": {"url": "https://example.org"}})
    assert handlers["health_check"](job) == {"healthy": True, "url": "https://example.org"}
    with pytest.raises(PermanentFailure):
        handlers["health_check"](Job(**{**job.__dict__, "spec": {}}))
    sys.modules.pop("mybot", None)
