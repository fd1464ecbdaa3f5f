"""Evidence files of a learning mission: multipart upload streamed into the evidence store, download,
delete. The SQL functions decide who may do what; this module moves the bytes.

Upload order: `evidence_limits()` first (which also checks the API key); the body is parsed as it arrives; a content type
outside the list is refused (415) before anything is written; the file is hashed and counted while it
is staged in the store and refused (413) as soon as it passes `max_bytes`; then, under a lock on its
storage key, `add_evidence` records it and the staged file is moved to its key before the commit. The
client sends bytes only: the digest is computed here, and the storage key is derived from it by the
database (`evidence_files.storage_key` is a generated column), so no upload can name stored bytes it did
not send. A
refused or failed upload thus never changes stored bytes, and bytes that another row shares are never
deleted (`delete_evidence` reports `still_referenced`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote
from uuid import UUID

import anyio
import anyio.to_thread
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import Parameter
from litestar.response import Stream
from multipart import MultipartError, MultipartSegment, PushMultipartParser
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow

from app import queries
from app.db.rows import the_row
from app.http.codec import load
from app.http.db import DB
from app.http.errors import problem
from app.http.learning.missions import MissionId
from app.http.learning.schemas import EvidenceFile
from app.http.openapi import BEARER, problems
from app.storage import EvidenceStore, StagedFile, TooLarge

log = logging.getLogger("missions.http")

# Multipart framing around the file: boundaries, part headers, the subtask field.
MULTIPART_OVERHEAD = 64 * 1024
# The route's hard body limit: the largest evidence_max_bytes set_evidence_limits accepts (1 GiB) plus the
# framing. The limit in force is evidence_max_bytes (+ framing), read per request and enforced while streaming.
UPLOAD_BODY_CEILING = 1024 * 1024 * 1024 + MULTIPART_OVERHEAD
CHUNK = 64 * 1024
FILE_FIELD, SUBTASK_FIELD = "file", "subtask"


def provide_store(state: State) -> EvidenceStore:
    """The evidence store of the app (see create_app)."""
    return state.evidence_store


Store = NamedDependency[EvidenceStore]


@dataclass
class Upload:
    subtask: int
    filename: str
    content_type: str
    staged: StagedFile


def too_large(detail: str) -> Exception:
    return problem(413, "too-large", "Too large", detail)


def invalid(detail: str) -> Exception:
    return problem(422, "validation", "Invalid input", detail)


def media_type(value: str | None) -> str:
    """A part's content type as SQL compares it: without parameters, lower case (RFC 7578 default text/plain)."""
    return (value or "text/plain").split(";", 1)[0].strip().lower()


async def receive_upload(request: Request, store: EvidenceStore, max_bytes: int, content_types: list[str]) -> Upload:
    """Parse the multipart body as it streams in; the file goes straight into a staged file of the store."""
    kind, params = request.content_type
    boundary = params.get("boundary", "")
    if kind != "multipart/form-data" or not boundary:
        raise problem(415, "unsupported-media-type", "Unsupported media type",
                      "send multipart/form-data with the fields 'subtask' and 'file'")
    limit = max_bytes + MULTIPART_OVERHEAD
    if (request.content_length or 0) > limit:
        raise too_large(f"evidence files are limited to {max_bytes} bytes")
    staged: StagedFile | None = None
    filename = content_type = ""  # both set with `staged`, which must be set to reach Upload
    subtask: bytearray | None = None
    field: str | None = None
    received = 0
    try:
        with PushMultipartParser(boundary, max_header_count=8, max_segment_count=4) as parser:
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise TooLarge(max_bytes)
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        field = event.name
                        if field == FILE_FIELD and staged is None:
                            if not event.filename:
                                raise invalid("the 'file' part needs a filename")
                            content_type = media_type(event.content_type)
                            if content_type not in content_types:
                                raise problem(415, "unsupported-media-type", "Unsupported media type",
                                              f"content type {content_type} is not accepted",
                                              hint="Accepted: " + ", ".join(content_types))
                            filename = event.filename
                            staged = store.stage(max_bytes)
                        elif field == SUBTASK_FIELD and subtask is None:
                            subtask = bytearray()
                        else:
                            raise invalid(f"unexpected form field {field!r}: send one 'subtask' and one 'file'")
                    elif event is None:
                        field = None
                    elif field == FILE_FIELD and staged is not None:  # staged at the start of the file part
                        staged.write(event)
                    elif subtask is not None:  # the subtask part's bytes (data only follows a segment)
                        subtask.extend(event)
                        if len(subtask) > 10:
                            raise invalid("subtask must be a subtask number")
        if staged is None:
            raise invalid("the form needs a 'file' part with a filename")
        digits = bytes(subtask or b"").strip()
        if not (digits.isdigit() and 1 <= int(digits) <= 1000):  # ASCII digits only
            raise invalid("subtask must be a subtask number from 1")
        number = int(digits)
    except BaseException as exc:
        if staged is not None:
            staged.discard()
        if isinstance(exc, TooLarge):
            raise too_large(f"evidence files are limited to {max_bytes} bytes") from None
        if isinstance(exc, MultipartError):  # malformed, or too many parts or headers
            raise problem(400, "bad-request", "Malformed multipart body", str(exc)) from None
        raise
    return Upload(subtask=number, filename=filename, content_type=content_type, staged=staged)


@asynccontextmanager
async def storage_key_locked(conn: AsyncConnection[DictRow], key: str) -> AsyncIterator[None]:
    """Serialise every change to the bytes of one storage key across app processes. The lock is
    session-level, so it is still held after the caller's commit while the bytes are removed."""
    await conn.execute(queries.LOCK_STORAGE_KEY, {"key": key})
    try:
        yield
    finally:
        with anyio.CancelScope(shield=True):  # a pooled connection must never keep the lock
            try:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    await conn.rollback()  # the caller did not commit: its work is undone
                await conn.execute(queries.UNLOCK_STORAGE_KEY, {"key": key})
                await conn.commit()
            except Exception:
                log.exception("could not release the lock on storage key %s; dropping the connection", key)
                await conn.close()  # the server releases a closed session's locks


def read_chunks(file: BinaryIO) -> Iterator[bytes]:
    with file:
        while chunk := file.read(CHUNK):
            yield chunk


def attachment(filename: str) -> str:
    """Content-Disposition for a download; the name is quoted for old clients and UTF-8 encoded (RFC 6266)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@dataclass
class UploadOperation(Operation):
    """The upload's request body, documented by hand: the handler reads the stream itself."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(required=True, content={"multipart/form-data": OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.OBJECT, required=[SUBTASK_FIELD, FILE_FIELD], properties={
                SUBTASK_FIELD: Schema(type=OpenAPIType.INTEGER, minimum=1, description="The subtask number"),
                FILE_FIELD: Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY,
                                   description="The file, with a filename and one of the accepted content types"),
            }))})


async def visible_file(conn: AsyncConnection[DictRow], mission_id: UUID, file_id: UUID) -> dict:
    cur = await conn.execute(queries.EVIDENCE_FILE, {"file_id": file_id})
    doc = the_row(await cur.fetchone())["file"]
    if doc["mission_id"] != str(mission_id):
        raise problem(404, "not-found", "Not found", f"evidence {file_id} not found")
    return doc


class EvidenceController(Controller):
    path = "/api/v1/mission-progress/{mission_id:uuid}/files"
    tags = ["learning: evidence"]
    security = BEARER

    @post("/", operation_id="uploadEvidence", status_code=201, request_max_body_size=UPLOAD_BODY_CEILING,
          operation_class=UploadOperation,
          summary="Upload an evidence file for a subtask (multipart: subtask, file)",
          description="Limits from `evidence_limits()`: 413 over max bytes or files per subtask, 415 for a content "
                      "type outside the list. Identical content is stored once.",
          responses=problems(400, 401, 403, 404, 409, 413, 415, 422))
    async def upload(self, request: Request, db: DB, store: Store, mission_id: UUID = MissionId) -> EvidenceFile:
        limits = await db.one(request, queries.EVIDENCE_LIMITS)  # authenticates before the body is read
        upload = await receive_upload(request, store, limits["max_bytes"], limits["content_types"])
        staged = upload.staged
        try:
            async with db.transaction(request) as conn, storage_key_locked(conn, staged.key):
                cur = await conn.execute(queries.ADD_EVIDENCE, {
                    "id": mission_id, "subtask": upload.subtask, "filename": upload.filename,
                    "content_type": upload.content_type, "size_bytes": staged.size, "sha256": staged.sha256})
                doc = the_row(await cur.fetchone())["file"]
                if doc["storage_key"] != staged.key:  # the database derives the key; both must lay bytes out alike
                    raise RuntimeError(f"storage key {doc['storage_key']!r} is not the store's {staged.key!r}")
                # the bytes reach their key only once the row is written, and before it is committed; a
                # commit that fails (its outcome unknown) leaves at worst a file no row names, never a row
                # without its file
                await anyio.to_thread.run_sync(staged.promote)
                await conn.commit()
        finally:
            staged.discard()
        return load(EvidenceFile, doc)

    @get("/{file_id:uuid}", operation_id="downloadEvidence",
         summary="Download an evidence file (owner, staff, the mission's reviewers)",
         responses={200: ResponseSpec(data_container=bytes, media_type="*/*", generate_examples=False,
                                      description="The file, with the content type it was uploaded with and an "
                                                  "attachment filename"),
                    **problems(401, 404)})
    async def download(self, request: Request, db: DB, store: Store, mission_id: UUID = MissionId,
                       file_id: UUID = Parameter(title="Evidence file id")) -> Stream:
        async with db.transaction(request) as conn:
            doc = await visible_file(conn, mission_id, file_id)
        file = await anyio.to_thread.run_sync(store.open, doc["storage_key"])
        return Stream(read_chunks(file), media_type=doc["content_type"], headers={
            "Content-Disposition": attachment(doc["filename"]), "Content-Length": str(doc["size_bytes"]),
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})

    @delete("/{file_id:uuid}", operation_id="deleteEvidence", status_code=200,
            summary="Delete an evidence file of a subtask not yet done (owner, staff)",
            responses=problems(401, 403, 404, 409))
    async def delete_file(self, request: Request, db: DB, store: Store, mission_id: UUID = MissionId,
                          file_id: UUID = Parameter(title="Evidence file id")) -> EvidenceFile:
        async with db.transaction(request) as conn:
            key = (await visible_file(conn, mission_id, file_id))["storage_key"]
            async with storage_key_locked(conn, key):
                cur = await conn.execute(queries.DELETE_EVIDENCE, {"file_id": file_id})
                doc = the_row(await cur.fetchone())["file"]
                await conn.commit()
                if not doc["still_referenced"]:  # no upload can name the key until the lock is released
                    await anyio.to_thread.run_sync(store.delete, key)
        return load(EvidenceFile, doc)
