"""GET /events/stream over a real server: a participant's own events live, resumption with Last-Event-ID, the
heartbeat, and nobody else's events; the SQL page behind it keeps the event log's visibility."""

from __future__ import annotations

import json

import httpx
import pytest

from app.http.events import controllers
from tests.helpers.engagement import new_mission
from tests.helpers.principals import act_as, bearer, make_principal
from tests.helpers.sse import messages, until

TIMEOUT = httpx.Timeout(10.0)


def stream(url: str, principal: dict, **headers: str):
    return httpx.stream("GET", f"{url}/events/stream", headers={**bearer(principal), **headers}, timeout=TIMEOUT)


def move(db, mission_id, status: str) -> None:
    db.execute("select missions_private.transition_mission(%s, %s)", (mission_id, status))


def test_a_participant_sees_its_own_events_live_and_resumes_after_a_disconnect(db, principals, live_server,
                                                                               monkeypatch):
    monkeypatch.setattr(controllers, "HEARTBEAT_SECONDS", 0.3)
    me, other = principals["participant"], principals["other"]
    mine, theirs = new_mission(db, me["id"]), new_mission(db, other["id"])
    with stream(live_server, me) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        live = messages(response)
        assert next(live).comment == "connected"  # the stream starts at the newest event: nothing old is replayed
        move(db, theirs, "in_progress")
        move(db, mine, "in_progress")
        seen = until(live, lambda m: m.event == "mission.status_changed")
        assert until(live, lambda m: m.comment == "heartbeat")
    [event] = [m for m in seen if m.id]
    assert event.json["mission_id"] == str(mine) and event.json["to_status"] == "in_progress"
    move(db, theirs, "cancelled")
    move(db, mine, "cancelled")  # while nobody listens
    with stream(live_server, me, **{"Last-Event-ID": event.id}) as response:
        live = messages(response)
        next(live)
        missed = until(live, lambda m: m.event == "mission.status_changed")
    assert [(m.json["mission_id"], m.json["to_status"]) for m in missed if m.id] == [(str(mine), "cancelled")]
    assert int(missed[-1].id) > int(event.id)


def test_staff_see_everyones_events_and_a_revoked_key_ends_the_stream(db, principals, live_server):
    staff = make_principal(db, "service")
    mission = new_mission(db, principals["other"]["id"])
    with stream(live_server, staff) as response:
        live = messages(response)
        next(live)
        move(db, mission, "in_progress")
        [event] = [m for m in until(live, lambda m: m.id is not None)]
        assert event.json["participant_id"] == principals["other"]["id"]
        db.execute("update missions_private.api_keys set revoked_at = now() where principal_id = %s", (staff["id"],))
        move(db, mission, "cancelled")
        assert list(live) == []  # the next read re-checks the key: the stream ends


def test_bad_requests_are_refused_before_the_stream_opens(db, principals, live_server, monkeypatch):
    assert httpx.get(f"{live_server}/events/stream", timeout=TIMEOUT).status_code == 401
    with stream(live_server, principals["participant"], **{"Last-Event-ID": "12abc"}) as response:
        assert response.status_code == 422
    monkeypatch.setattr(controllers, "MAX_STREAMS_PER_PRINCIPAL", 1)
    with stream(live_server, principals["participant"]) as first:
        live = messages(first)  # held: a dropped reader closes its connection
        assert next(live).comment == "connected"
        with stream(live_server, principals["participant"]) as second:
            assert second.status_code == 429 and second.headers["retry-after"] == "5"


def page(db, principal: dict | None, after: int | None, limit: int = 100) -> dict:
    with db.transaction():
        if principal:
            act_as(db, principal)
        return db.execute("select missions.event_stream_page(%s, %s) as p", (after, limit)).fetchone()["p"]


def test_the_page_keeps_the_event_logs_visibility_and_reads_a_bounded_window(db, principals):
    me, other = principals["participant"], principals["other"]
    start = page(db, None, None)["next_after"]
    for _ in range(3):
        new_mission(db, me["id"]), new_mission(db, other["id"])
    mine = page(db, me, start)
    assert len(mine["events"]) == 3 and {e["participant_id"] for e in mine["events"]} == {me["id"]}
    assert mine["caught_up"] and mine["next_after"] == page(db, None, None)["next_after"]
    assert page(db, principals["mentor"], start)["events"] == []
    assert len(page(db, principals["admin"], start)["events"]) == 6
    first = page(db, principals["admin"], start, limit=2)
    assert len(first["events"]) == 2 and not first["caught_up"] and first["next_after"] == first["events"][1]["id"]
    top = page(db, None, None)["next_after"]
    db.execute("select setval(pg_get_serial_sequence('missions_private.events', 'id'), %s)", (top + 20000,))
    new_mission(db, me["id"])
    far = page(db, me, top)  # 20,000 ids behind: one call reads at most 10,000 of them
    assert far == {"events": [], "next_after": top + 10000, "caught_up": False}
    assert len(page(db, me, far["next_after"] + 10000)["events"]) == 1
    with pytest.raises(Exception, match="must be >= 0"):
        page(db, me, -1)


def test_the_outbox_trigger_notifies_only_while_a_listener_is_checked_in(db, principals, connect):
    listener = connect(autocommit=True)
    listener.execute("listen missions_events")
    new_mission(db, principals["participant"]["id"])
    assert list(listener.notifies(timeout=0.2)) == []  # nobody checked in: no NOTIFY on the commit path
    db.execute("select missions.touch_event_stream_listener(gen_random_uuid())")
    mission = new_mission(db, principals["participant"]["id"])
    [note] = list(listener.notifies(timeout=1, stop_after=1))
    newest = db.execute("select max(id) as id from missions_private.events where mission_id = %s",
                        (mission,)).fetchone()["id"]
    assert json.loads(note.payload) == {"id": newest, "p": [principals["participant"]["id"]]}
    db.execute("update missions_private.event_stream_listeners set seen_at = now() - interval '91 seconds'")
    new_mission(db)
    assert list(listener.notifies(timeout=0.2)) == []  # a listener silent for 90 s no longer counts
