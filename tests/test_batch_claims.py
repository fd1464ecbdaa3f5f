"""Batches: claim_next_steps and complete_steps do n claims and completions in one call, with the rules of one
(quotas, fencing, events), race safely between agents, and are served over HTTP."""

from __future__ import annotations

import json
import uuid

from tests.helpers.agents import as_agent, create_mission
from tests.helpers.principals import bearer, make_principal, race


def batch_claim(conn, agent, kinds, n):
    return as_agent(conn, agent, "select * from missions.claim_next_steps(%s, %s, %s)", agent["id"], kinds, n)


def batch_complete(conn, agent, claims, tamper: int | None = None):
    items = [{"step_id": str(c["step_id"]), "lease_token": str(uuid.uuid4() if i == tamper else c["lease_token"]),
              "result": {"n": i}} for i, c in enumerate(claims)]
    return as_agent(conn, agent, "select * from missions.complete_steps(%s, %s::jsonb)", agent["id"], json.dumps(items))


def test_a_batch_claims_in_priority_order_within_the_quota_and_completes_each_fenced(db):
    agent = make_principal(db, "agent")
    db.execute("select missions.upsert_step_kind('capped', '{\"trusted\": true, \"daily_quota\": 3}'::jsonb)")
    create_mission(db, [{"title": f"c{i}", "kind": "capped", "depends_on": []} for i in range(5)], priority="urgent")
    create_mission(db, [{"title": f"t{i}", "kind": "task", "depends_on": []} for i in range(5)], priority="low")
    claims = batch_claim(db, agent, None, 6)
    assert [c["kind"] for c in claims] == ["capped"] * 3 + ["task"] * 3  # the quota stops the urgent kind at 3
    assert len({c["step_id"] for c in claims}) == 6
    events_before = db.execute("select count(*) as n from missions_private.events "
                               "where type = 'step.status_changed' and to_status = 'completed'").fetchone()["n"]
    outcomes = {o["step_id"]: o for o in batch_complete(db, agent, claims, tamper=2)}
    stale = outcomes.pop(claims[2]["step_id"])
    assert (stale["status"], stale["error_code"]) == (None, "MS412")  # the stale token: refused alone
    assert [o["status"] for o in outcomes.values()] == ["completed"] * 5  # the others are done
    events = db.execute("select count(*) as n from missions_private.events "
                        "where type = 'step.status_changed' and to_status = 'completed'").fetchone()["n"]
    assert events - events_before == 5
    assert batch_claim(db, agent, ["capped"], 5) == []  # quota spent
    refused = as_agent(db, agent, "select * from missions.claim_next_steps(%s, null, 101)", agent["id"])
    assert refused.sqlstate == "MS422"


def test_agents_racing_with_batches_claim_each_step_once(db, connect):
    agents = [make_principal(db, "agent") for _ in range(4)]
    for _ in range(4):
        create_mission(db, [{"title": f"s{i}", "kind": "task", "depends_on": []} for i in range(50)])
    done: list[str] = []

    def drain(conn, agent):
        while claims := batch_claim(conn, agent, ["task"], 16):
            assert not isinstance(claims, Exception), claims
            outcomes = batch_complete(conn, agent, claims)
            assert all(o["status"] == "completed" for o in outcomes), outcomes
            done.extend(str(c["step_id"]) for c in claims)

    results = race([lambda c=connect(autocommit=True), a=a: drain(c, a) for a in agents])
    assert [r for r in results if isinstance(r, Exception)] == []
    assert len(done) == 200 and len(set(done)) == 200
    assert db.execute("select count(*) as n from missions_private.step_results where outcome = 'completed'"
                      ).fetchone()["n"] == 200


def test_batches_over_http(client, principals):
    agent, admin = bearer(principals["agent"]), bearer(principals["admin"])
    made = client.post("/api/internal/missions", headers=admin, json={
        "title": "Batch", "leadAgentId": principals["agent"]["id"],
        "steps": [{"title": f"s{i}", "kind": "health_check", "dependsOn": []} for i in range(3)]})
    assert made.status_code == 201, made.text
    claims = client.post("/api/internal/steps/claim-batch", headers=agent, json={"limit": 5}).json()
    assert len(claims) == 3
    answer = client.post("/api/internal/steps/complete-batch", headers=agent, json={"completions": [
        {"stepId": c["stepId"], "leaseToken": c["leaseToken"], "result": {"ok": True}} for c in claims]})
    assert [o["status"] for o in answer.json()] == ["completed"] * 3
    assert client.get(f"/api/internal/missions/{made.json()['id']}", headers=admin).json()["status"] == "completed"
    assert client.post("/api/internal/steps/claim-batch", headers=agent, json={}).json() == []
    assert client.post("/api/internal/steps/complete-batch", headers=agent, json={"completions": []}).status_code == 422
