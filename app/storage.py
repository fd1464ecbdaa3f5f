"""Where evidence bytes live. The database keeps each file's metadata, sha256 and who may read it
(`missions.add_evidence`, `missions.evidence_file`); a store keeps the bytes under a storage key.

Keys are content addressed, `ab/<sha256>` (`ab` = the digest's first two hex digits), so identical
content is stored once and shared by every evidence row that names it. An upload is staged in a
temporary file inside the store while its digest and size are computed, and only then moved to its
key by an atomic rename; a failed or refused upload therefore never touches a stored key.

`LocalStore` (a directory, mode 0700) is the default; another backend (object storage) implements
`EvidenceStore` and is passed to `create_app(evidence_store=...)`.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

KEY_PATTERN = re.compile(r"^([0-9a-f]{2})/([0-9a-f]{64})$")


class TooLarge(Exception):
    """The staged content went over its size limit (nothing is kept)."""

    def __init__(self, limit: int):
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class InvalidKey(ValueError):
    """A storage key that is not `ab/<sha256>` (and so could name something outside the store)."""


def key_for(sha256: str) -> str:
    """The storage key of content with this sha256 (lowercase hex). The database derives the same key
    (`evidence_files.storage_key` is generated from `sha256`); the upload refuses to promote on a mismatch."""
    return f"{sha256[:2]}/{sha256}"


def check_key(key: str) -> str:
    match = KEY_PATTERN.match(key) if isinstance(key, str) else None
    if match is None or not match.group(2).startswith(match.group(1)):
        raise InvalidKey(f"not a storage key: {key!r}")
    return key


class StagedFile(Protocol):
    """An upload in progress: written chunk by chunk, then promoted to its key or discarded."""

    @property
    def size(self) -> int: ...

    @property
    def sha256(self) -> str: ...

    @property
    def key(self) -> str: ...

    def write(self, chunk: bytes) -> None:
        """Append a chunk; raises TooLarge (and discards everything) past the limit."""

    def promote(self) -> bool:
        """Make the content readable under `key`; True when this call created the key, False when
        identical content was already stored (the staged copy is dropped)."""

    def discard(self) -> None:
        """Drop the staged content (idempotent; a no-op after promote)."""


@runtime_checkable
class EvidenceStore(Protocol):
    def stage(self, max_bytes: int | None = None) -> StagedFile:
        """Start an upload, refused past `max_bytes`."""

    def open(self, key: str) -> BinaryIO:
        """The stored content for reading (FileNotFoundError when absent)."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> bool:
        """Remove stored content; False when it was not there."""


class LocalStore:
    """Evidence in a local directory: `<root>/ab/<sha256>`, created with mode 0700 on first write."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()

    def _ensure_root(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root.chmod(0o700)

    def path(self, key: str) -> Path:
        """The file of a key; never a path outside the root."""
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise InvalidKey(f"not a storage key: {key!r}")
        return path

    def stage(self, max_bytes: int | None = None) -> LocalStagedFile:
        self._ensure_root()
        return LocalStagedFile(self, max_bytes)

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> bool:
        path = self.path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        try:
            path.parent.rmdir()  # only when empty
        except OSError:
            pass
        return True


class LocalStagedFile:
    """A temporary file in the store's root (the same file system, so the final rename is atomic)."""

    def __init__(self, store: LocalStore, max_bytes: int | None):
        self._store = store
        self._max_bytes = max_bytes
        fd, name = tempfile.mkstemp(prefix=".upload-", dir=store.root)  # mode 0600
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self._temp = Path(name)
        self._digest = hashlib.sha256()
        self._size = 0
        self._done = False

    @property
    def size(self) -> int:
        return self._size

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    @property
    def key(self) -> str:
        return key_for(self.sha256)

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise RuntimeError("the staged file is closed")
        self._size += len(chunk)
        if self._max_bytes is not None and self._size > self._max_bytes:
            self.discard()
            raise TooLarge(self._max_bytes)
        self._digest.update(chunk)
        self._file.write(chunk)

    def promote(self) -> bool:
        if self._file is None:
            raise RuntimeError("the staged file is closed")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        target = self._store.path(self.key)
        target.parent.mkdir(mode=0o700, exist_ok=True)
        if target.is_file():  # identical content is already stored: keep that copy
            self._temp.unlink(missing_ok=True)
            self._done = True
            return False
        os.replace(self._temp, target)
        self._done = True
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return True

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if not self._done:
            self._temp.unlink(missing_ok=True)
            self._done = True
