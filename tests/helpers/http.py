"""HTTP assertions shared by the HTTP tests."""

from __future__ import annotations

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, name: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"]
    if name:
        assert body["type"].endswith("/" + name), body
    return body
