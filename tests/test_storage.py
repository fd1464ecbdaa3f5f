"""The local evidence store: content-addressed keys, staged writes with atomic promotion, limits, and
keys that cannot leave the root."""

from __future__ import annotations

import hashlib
import stat

import pytest

from app.storage import InvalidKey, LocalStore, TooLarge, check_key, key_for


def files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def put(store: LocalStore, data: bytes, max_bytes: int | None = None) -> tuple[str, bool]:
    staged = store.stage(max_bytes)
    for i in range(0, len(data), 3):
        staged.write(data[i:i + 3])
    created = staged.promote()
    return staged.key, created


def test_content_is_stored_under_its_sha256_and_read_back(tmp_path):
    store = LocalStore(tmp_path / "evidence")
    assert not (tmp_path / "evidence").exists()  # created on first write
    data = b"14 failed logins from 10.0.0.7\n"
    digest = hashlib.sha256(data).hexdigest()
    key, created = put(store, data)
    assert created and key == f"{digest[:2]}/{digest}" == key_for(digest)
    assert store.exists(key)
    with store.open(key) as f:
        assert f.read() == data
    assert files(store.root) == [key]  # no temporary file left
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700


def test_identical_content_is_stored_once(tmp_path):
    store = LocalStore(tmp_path)
    first, created = put(store, b"same bytes")
    second, created_again = put(store, b"same bytes")
    assert first == second and created and not created_again
    assert files(tmp_path) == [first]


def test_the_staged_file_knows_its_size_and_digest(tmp_path):
    staged = LocalStore(tmp_path).stage()
    staged.write(b"abc")
    staged.write(b"def")
    assert staged.size == 6 and staged.sha256 == hashlib.sha256(b"abcdef").hexdigest()
    staged.discard()
    staged.discard()  # idempotent
    assert files(tmp_path) == []


def test_going_over_the_limit_keeps_nothing(tmp_path):
    store = LocalStore(tmp_path)
    staged = store.stage(max_bytes=5)
    staged.write(b"12345")
    with pytest.raises(TooLarge):
        staged.write(b"6")
    assert files(tmp_path) == []
    assert put(store, b"12345", max_bytes=5)[1]  # exactly the limit is fine


def test_delete_removes_the_content(tmp_path):
    store = LocalStore(tmp_path)
    key, _ = put(store, b"to delete")
    assert store.delete(key) is True
    assert not store.exists(key) and files(tmp_path) == []
    assert store.delete(key) is False
    with pytest.raises(FileNotFoundError):
        store.open(key)


@pytest.mark.parametrize("key", [
    "../etc/passwd", "/etc/passwd", "ab/../../x", "ab/" + "0" * 64, "AB/" + "ab" * 32, "ab/" + "ab" * 32 + "/x",
    "ab\\" + "ab" * 32, "", "ab/" + "g" * 64, "ab/./" + "ab" * 32,
])
def test_keys_that_are_not_content_addresses_are_refused(tmp_path, key):
    store = LocalStore(tmp_path / "evidence")
    with pytest.raises(InvalidKey):
        check_key(key)
    with pytest.raises(InvalidKey):
        store.open(key)
    with pytest.raises(InvalidKey):
        store.delete(key)
