"""Webhooks end to end: real events, the real worker code on real pgmq queues, and a real local HTTP receiver
that verifies every signature with the `standardwebhooks` library."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from app import worker
from app.webhooks import consumer, guard, sender
from tests.helpers.engagement import fails, new_mission
from tests.helpers.principals import act_as, bearer
from tests.helpers.webhook_receiver import receiving

LOOPBACK = "127.0.0.0/8,::1/128"


def settings(db, **values: object) -> None:
    for key, value in {"webhook_allowed_networks": LOOPBACK, **values}.items():
        db.execute("insert into missions_private.settings (key, value) values (%s, %s) "
                   "on conflict (key) do update set value = excluded.value", (key, str(value)))


def subscribe(db, principal: dict, url: str, types: list[str], **filters: object) -> dict:
    with db.transaction():
        act_as(db, principal)
        return db.execute("select missions.create_webhook_subscription(%s, %s, %s, %s, %s, 'test') as s",
                          (url, types, filters.get("participant"), filters.get("mission"),
                           filters.get("face"))).fetchone()["s"]


def as_staff(db, principal: dict, sql: str, *args: object):
    with db.transaction():
        act_as(db, principal)
        return db.execute(sql, args).fetchone()


@pytest.fixture
def queue(db, cluster):
    q = worker.open_queue(cluster.url(db.info.dbname, user="missions_app"), max_size=6)
    yield q
    q.pool.close()


@pytest.fixture
def pump(queue):
    """Run the worker's two webhook halves until nothing is left to do: fan out the outbox, send deliveries."""
    client = sender.new_client()
    executor = ThreadPoolExecutor(4)

    def run(rounds: int = 10) -> None:
        for _ in range(rounds):
            fanned = worker.process(queue, wait_seconds=0)
            sent = consumer.deliver_batch(queue, queue.pool, client, executor)
            if not fanned and not sent:
                return

    yield run
    executor.shutdown()
    client.close()


def deliveries(db, subscription_id: str) -> list[dict]:
    return [r["d"] for r in db.execute(
        "select missions_private.webhook_delivery_json(d, true) as d from missions_private.webhook_deliveries d "
        "where subscription_id = %s order by event_id", (subscription_id,))]


def test_each_subscribed_type_reaches_the_receiver_signed_once(db, principals, pump):
    settings(db)
    me = principals["participant"]["id"]
    with receiving() as rx:
        sub = subscribe(db, principals["admin"], rx.url, ["mission.created", "mission.status_changed", "learning.*"],
                        participant=me)
        rx.secrets.append(sub["secret"])
        mine, theirs = new_mission(db, me), new_mission(db, principals["other"]["id"])
        for mission in (mine, theirs):
            db.execute("select missions_private.transition_mission(%s, 'in_progress')", (mission,))
        pump()
    got = sorted(rx.received, key=lambda r: r.body["data"]["event_id"])
    assert [r.body["type"] for r in got] == ["mission.created", "mission.status_changed"]
    assert {r.body["data"]["mission_id"] for r in got} == {str(mine)}  # the participant filter
    assert all(r.verified_with == [sub["secret"]] and set(r.body) == {"type", "timestamp", "data"} for r in got)
    assert got[1].body["data"]["to_status"] == "in_progress"
    log = deliveries(db, sub["id"])
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [("delivered", 1, 204)] * 2
    assert [d["webhook_id"] for d in log] == [r.webhook_id for r in got]
    assert all(d["attempt_log"][0]["latency_ms"] >= 0 for d in log)


def test_a_500_and_a_timeout_are_retried_with_the_same_webhook_id(db, principals, pump):
    settings(db, webhook_retry_base_seconds=0, webhook_timeout_ms=300)
    with receiving(script=[500, 1.0, 204]) as rx:
        sub = subscribe(db, principals["service"], rx.url, ["mission.created"])
        rx.secrets.append(sub["secret"])
        new_mission(db)
        pump()
    [log] = deliveries(db, sub["id"])
    assert log["status"] == "delivered" and log["attempts"] == 3
    outcomes = [(a["status_code"], a["error"]) for a in log["attempt_log"]]
    assert outcomes[0] == (500, "HTTP 500") and outcomes[2] == (204, None)
    assert outcomes[1][0] is None and "timed out" in outcomes[1][1]
    assert {r.webhook_id for r in rx.received} == {log["webhook_id"]}
    assert all(r.verified_with for r in rx.received)


def test_a_run_of_failures_disables_the_subscription_notifies_admins_and_redelivery_resends(db, principals, pump):
    settings(db, webhook_retry_base_seconds=0, webhook_max_attempts=5, webhook_disable_after_failures=3)
    with receiving(script=[500] * 3) as rx:
        sub = subscribe(db, principals["admin"], rx.url, ["mission.created"])
        rx.secrets.append(sub["secret"])
        new_mission(db)
        pump()
        [first] = deliveries(db, sub["id"])
        assert (first["status"], first["attempts"]) == ("failed", 3)  # disabled before its 5 attempts ran out
        state = db.execute("select enabled, disabled_reason from missions_private.webhook_subscriptions "
                           "where id = %s", (sub["id"],)).fetchone()
        assert not state["enabled"] and "3 failed attempts in a row" in state["disabled_reason"]
        told = db.execute("select recipient_id from missions_private.notifications where kind = 'webhook_disabled'"
                          ).fetchall()
        assert [str(r["recipient_id"]) for r in told] == [principals["admin"]["id"]]  # the admin is also its owner
        new_mission(db)
        pump()
        assert len(deliveries(db, sub["id"])) == 1  # a disabled subscription gets no new deliveries
        with db.transaction():
            act_as(db, principals["admin"])
            assert fails(db, "select missions.redeliver_webhook(%s)", (first["id"],)).sqlstate == "MS409"
        as_staff(db, principals["admin"], "select missions.update_webhook_subscription(%s, p_enabled => true)", sub["id"])
        as_staff(db, principals["admin"], "select missions.redeliver_webhook(%s)", first["id"])
        pump()
        [again] = deliveries(db, sub["id"])
    assert (again["status"], again["attempts"]) == ("delivered", 4)
    assert [r.webhook_id for r in rx.delivered()] == [first["webhook_id"]]


def test_a_rotated_secret_signs_alongside_the_old_one_until_the_overlap_ends(db, principals, pump):
    settings(db)
    with receiving() as rx:
        sub = subscribe(db, principals["admin"], rx.url, ["mission.created"])
        old = sub["secret"]
        new = as_staff(db, principals["admin"], "select missions.rotate_webhook_secret(%s, 3600) as r", sub["id"])["r"]
        rx.secrets.extend([old, new["secret"]])
        new_mission(db)
        pump()
        newest = as_staff(db, principals["admin"], "select missions.rotate_webhook_secret(%s, 0) as r",
                          sub["id"])["r"]["secret"]
        rx.secrets.append(newest)
        new_mission(db)
        pump()
    during, after = rx.received
    assert during.verified_with == [old, new["secret"]]  # either secret verifies during the overlap
    assert after.verified_with == [newest]


def test_two_workers_deliver_each_event_and_subscription_once(db, principals, cluster):
    settings(db)
    with receiving() as rx:
        subs = [subscribe(db, principals["admin"], rx.url, ["mission.*"]) for _ in range(2)]
        rx.secrets.extend(s["secret"] for s in subs)
        for _ in range(25):
            new_mission(db)
        url = cluster.url(db.info.dbname, user="missions_app")
        start = threading.Barrier(2)

        def one_worker() -> None:
            queue = worker.open_queue(url, max_size=6)
            client, executor = sender.new_client(), ThreadPoolExecutor(4)
            start.wait()
            idle = 0
            while idle < 3:
                busy = worker.process(queue, batch=10, wait_seconds=0)
                busy += consumer.deliver_batch(queue, queue.pool, client, executor, batch=8)
                idle = 0 if busy else idle + 1
            executor.shutdown(), client.close(), queue.pool.close()

        threads = [threading.Thread(target=one_worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    counts = Counter(r.webhook_id for r in rx.received)
    assert len(counts) == 50 and set(counts.values()) == {1}
    assert all(r.verified_with for r in rx.received)
    assert db.execute("select count(*) as n from pgmq.q_webhook_deliveries").fetchone()["n"] == 0


def test_the_fan_out_of_a_batch_twice_makes_no_second_delivery(db, principals, queue):
    settings(db)
    subscribe(db, principals["admin"], "https://hooks.example.com/in", ["*"])
    new_mission(db)
    ids = [r["id"] for r in db.execute("select id from missions_private.events")]
    events = [{"id": i} for i in ids]
    consumer.fan_out(queue.pool, events)
    consumer.fan_out(queue.pool, events)
    assert db.execute("select count(*) as n from missions_private.webhook_deliveries").fetchone()["n"] == len(ids)
    assert db.execute("select count(*) as n from pgmq.q_webhook_deliveries").fetchone()["n"] == len(ids)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest",
                                 "http://[::1]:9/", "http://[fe80::1]/", "http://[::ffff:192.168.0.1]/",
                                 "http://100.64.0.1/", "http://0.0.0.0/"])
def test_the_ssrf_guard_refuses_private_targets(url):
    with pytest.raises(guard.TargetRefused, match="not a public address"):
        guard.check(url, [])


def test_a_refused_target_is_a_failed_attempt_and_nothing_is_sent(db, principals, pump):
    settings(db, webhook_allowed_networks="", webhook_max_attempts=1)
    with receiving() as rx:
        sub = subscribe(db, principals["admin"], rx.url, ["mission.created"])
        new_mission(db)
        pump()
        assert rx.received == []
    [log] = deliveries(db, sub["id"])
    assert log["status"] == "failed" and log["last_status_code"] is None
    assert log["last_error"].startswith("refused by the SSRF guard: localhost resolves to")


def test_public_and_allowed_targets_pass_the_guard_pinned_to_the_checked_address():
    target = guard.check("https://93.184.215.14:8443/hook?x=1", [])
    assert (target.url, target.host_header, target.tls_name) == \
        ("https://93.184.215.14:8443/hook?x=1", "93.184.215.14:8443", "93.184.215.14")
    assert guard.check("http://127.0.0.1:8080/", guard.networks(LOOPBACK)).url == "http://127.0.0.1:8080/"
    with pytest.raises(guard.TargetRefused, match="malformed"):
        guard.networks("127.0.0.0/33")


@pytest.mark.parametrize(("url", "types"), [
    ("ftp://example.com/x", ["*"]), ("http://user:pw@example.com/", ["*"]), ("http://exa mple.com/", ["*"]),
    ("https://example.com/" + "x" * 2048, ["*"]), ("https://example.com/", []),
    ("https://example.com/", ["Mission.Created"]), ("https://example.com/", ["mission.*.x"]),
    ("https://example.com/", [None]),
])
def test_a_bad_target_or_pattern_is_refused(db, principals, url, types):
    with db.transaction():
        act_as(db, principals["admin"])
        err = fails(db, "select missions.create_webhook_subscription(%s, %s::text[])", (url, types))
    assert err.sqlstate == "MS422"


def test_services_manage_only_their_own_subscriptions_and_secrets_are_shown_once(db, principals):
    service, admin = principals["service"], principals["admin"]
    made = subscribe(db, admin, "https://hooks.example.com/a", ["step.*"])
    mine = subscribe(db, service, "https://hooks.example.com/b", ["mission.created", "mission.created"])
    assert mine["event_types"] == ["mission.created"] and mine["secret"].startswith("whsec_")
    with db.transaction():
        act_as(db, service)
        listed = [r["s"] for r in db.execute("select s from missions.webhook_subscriptions() s")]
        err = fails(db, "select missions.webhook_subscription(%s)", (made["id"],))
    assert [s["id"] for s in listed] == [mine["id"]] and "secret" not in listed[0]
    assert err.sqlstate == "MS404"
    with db.transaction():
        act_as(db, admin)
        assert len(db.execute("select missions.webhook_subscriptions()").fetchall()) == 2


def test_the_event_type_patterns_match_exactly_by_prefix_or_all(db):
    cases = [("learning.approved", ["learning.*"], True), ("learningx.a", ["learning.*"], False),
             ("mission.created", ["mission.created"], True), ("mission.created", ["mission"], False),
             ("step.status_changed", ["*"], True), ("learning.x", ["mission.*", "learning.x"], True)]
    for event_type, patterns, expected in cases:
        got = db.execute("select missions_private.event_type_matches(%s, %s) as m", (event_type, patterns)).fetchone()
        assert got["m"] is expected, (event_type, patterns)



def test_subscriptions_and_the_delivery_log_over_http(db, principals, client):
    admin = bearer(principals["admin"])
    made = client.post("/webhooks/subscriptions", headers=admin,
                       json={"url": "https://hooks.example.com/in", "eventTypes": ["mission.*"], "description": "ops"})
    assert made.status_code == 201 and made.json()["secret"].startswith("whsec_")
    sid = made.json()["id"]
    listed = client.get("/webhooks/subscriptions", headers=admin).json()["items"]
    assert [s["id"] for s in listed] == [sid] and "secret" not in listed[0]
    bad = client.post("/webhooks/subscriptions", headers=admin, json={"url": "ftp://x.example.com", "eventTypes": ["*"]})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    paused = client.patch(f"/webhooks/subscriptions/{sid}", headers=admin, json={"enabled": False}).json()
    assert (paused["enabled"], paused["disabledReason"]) == (False, "disabled by a caller")
    client.patch(f"/webhooks/subscriptions/{sid}", headers=admin, json={"enabled": True})
    rotated = client.post(f"/webhooks/subscriptions/{sid}/rotate-secret", headers=admin, json={"overlapSeconds": 60})
    assert rotated.status_code == 200 and rotated.json()["secret"] != made.json()["secret"]
    assert client.get(f"/webhooks/subscriptions/{sid}", headers=admin).json()["secretsActive"] == 2
    new_mission(db)
    db.execute("select missions.enqueue_webhook_deliveries(array(select id from missions_private.events))")
    [pending] = client.get(f"/webhooks/subscriptions/{sid}/deliveries?status=pending", headers=admin).json()["items"]
    assert pending["eventType"] == "mission.created" and pending["webhookId"].startswith("msg_")
    again = client.post(f"/webhooks/deliveries/{pending['id']}/redeliver", headers=admin)
    assert again.status_code == 409 and again.json()["sqlstate"] == "MS409"
    assert client.get(f"/webhooks/deliveries/{pending['id']}", headers=admin).json()["attemptLog"] == []
    assert client.delete(f"/webhooks/subscriptions/{sid}", headers=admin).status_code == 204
    assert client.get(f"/webhooks/subscriptions/{sid}", headers=admin).status_code == 404
