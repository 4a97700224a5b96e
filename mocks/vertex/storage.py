"""A local Cloud Storage: the JSON API subset ``google-cloud-storage`` uses, on a folder.

``google-cloud-storage`` talks to ``STORAGE_EMULATOR_HOST`` (e.g. ``http://127.0.0.1:PORT``)
with anonymous credentials when that variable is set, so ``gs://bucket/path`` works the same
in mock and cloud mode. Objects are plain files under ``<root>/<bucket>/<object name>``, so a
Vertex model's ``artifact_uri`` maps straight onto a folder the emulator can load.

Served (paths as the client builds them, object names percent-encoded):

* ``GET /storage/v1/b/{bucket}`` (bucket get), ``POST /storage/v1/b?project=`` (create),
  ``GET /storage/v1/b?project=`` (list buckets), ``DELETE /storage/v1/b/{bucket}`` (empty only)
* ``POST /upload/storage/v1/b/{bucket}/o?uploadType=media|multipart|resumable`` and the
  resumable session's ``PUT`` chunks (``Content-Range``, 308 until the last chunk)
* ``GET /download/storage/v1/b/{bucket}/o/{name}?alt=media`` (and ``/storage/v1/...?alt=media``)
  with ``x-goog-hash`` (crc32c, md5) so the client's checksum validation runs
* ``GET /storage/v1/b/{bucket}/o/{name}`` (metadata), ``DELETE`` it
* ``GET /storage/v1/b/{bucket}/o?prefix=&delimiter=&maxResults=&pageToken=`` (list)

Not served: ACLs, IAM, versioning/generations (each object has one generation), compose,
rewrite/copy, signed URLs, XML API. Object names ending in ``/`` (folder placeholders) are
accepted and listed but hold no bytes on disk; a name that would need a file and a folder at the
same path is refused with 409.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.parser
import email.policy
import hashlib
import json
import re
import shutil
import threading
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DIR_MARKER = ".labkit-folder-marker"  # stands for an object named "prefix/" on disk
MAX_NAME_BYTES = 1024  # Cloud Storage's limit on an object name, UTF-8 encoded
MAX_SEGMENT_BYTES = 255  # a file name on Linux/macOS: the emulator's own limit per "/" part
# Bucket names: 3-63 lowercase letters, digits, dashes, underscores and dots, starting and
# ending with a letter or digit (https://cloud.google.com/storage/docs/buckets#naming).
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")


class StorageError(Exception):
    """A Cloud Storage JSON API error: {"error": {"code", "message", "errors": [...]}}."""

    def __init__(self, code: int, message: str, reason: str):
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason

    def response(self) -> JSONResponse:
        body = {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [{"message": self.message, "domain": "global", "reason": self.reason}],
            }
        }
        return JSONResponse(body, status_code=self.code)


def not_found(what: str) -> StorageError:
    return StorageError(404, what, "notFound")


def bad_request(what: str) -> StorageError:
    return StorageError(400, what, "invalid")


def parse_error(what: str) -> StorageError:
    return StorageError(400, f"Parse Error: {what}", "parseError")


def gcs_name_error(name: str) -> str | None:
    """Why Cloud Storage itself refuses this object name, or None when it accepts it."""
    size = len(name.encode("utf-8", "surrogatepass"))
    if size == 0:
        return "Object name is required."
    if size > MAX_NAME_BYTES:
        return (f"The maximum object length is {MAX_NAME_BYTES} characters, but got a name with "
                f"{size} characters: '{name[:64]}...'")
    if "\r" in name or "\n" in name:
        return f"Object name {name[:64]!r} contains a carriage return or line feed; Cloud Storage refuses those."
    if name in (".", "..") or name.startswith(".well-known/acme-challenge/"):
        return f"Invalid object name: {name!r}"
    return None


def file_name_error(name: str) -> str | None:
    """Why this emulator cannot keep a name Cloud Storage accepts as a file under its root.

    Objects are files here, so a name must be a relative path that stays inside the bucket
    folder: no empty, "." or ".." parts, no leading "/", no NUL, no part over 255 bytes.
    """
    parts = name.split("/")
    body = parts[:-1] if name.endswith("/") else parts  # "prefix/" is a folder placeholder
    bad = (
        "\x00" in name
        or any(p in ("", ".", "..") for p in body)
        or parts[-1] == DIR_MARKER
        or any(len(p.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES for p in parts)
    )
    if not bad:
        return None
    return (
        f"The Cloud Storage emulator keeps objects as files and cannot store {name[:64]!r}: "
        "names must be relative paths without empty, '.' or '..' parts, NUL bytes or parts "
        f"longer than {MAX_SEGMENT_BYTES} bytes."
    )


def _crc32c_b64(data: bytes) -> str:
    import google_crc32c

    return base64.b64encode(google_crc32c.Checksum(data).digest()).decode()


def _rfc3339(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class _Upload:
    bucket: str
    name: str
    content_type: str
    data: bytearray


class StorageBackend:
    """Buckets and objects as folders and files under ``root``."""

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._content_types: dict[tuple[str, str], str] = {}
        self._uploads: dict[str, _Upload] = {}
        self._lock = threading.RLock()

    # paths ---------------------------------------------------------------------------------
    def bucket_path(self, bucket: str) -> Path:
        if not BUCKET_NAME.fullmatch(bucket or "") or ".." in bucket:
            raise bad_request(f"Invalid bucket name: '{bucket[:64]}'")
        return self.root / bucket

    def object_path(self, bucket: str, name: str, writing: bool = True) -> Path:
        """The file behind an object. A name no file can hold is a 400 when writing and a 404
        when reading (no such object can exist); either way no path outside the root is made."""
        why = gcs_name_error(name)
        if why:
            raise bad_request(why)
        why = file_name_error(name)
        if why:
            raise bad_request(why) if writing else not_found(f"No such object: {bucket}/{name[:64]}")
        path = self.bucket_path(bucket).joinpath(*name.rstrip("/").split("/"))
        if name.endswith("/"):
            path = path / DIR_MARKER
        self._inside(path)
        return path

    def _inside(self, path: Path) -> None:
        # Defence in depth: whatever the checks above missed, never touch a path outside root.
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise bad_request(f"Invalid object path: {path.name[:64]!r}")

    def local_path(self, gs_uri: str) -> Path:
        """The folder or file behind a gs://bucket/prefix URI (it may not exist).

        Raises StorageError (400) for a URI no object could be under, e.g. with '..' parts."""
        try:
            bucket, _, name = split_gs_uri(gs_uri)
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        base = self.bucket_path(bucket)
        if not name.strip("/"):
            return base
        name = name.rstrip("/")
        why = gcs_name_error(name) or file_name_error(name)
        if why:
            raise bad_request(why)
        path = base.joinpath(*name.split("/"))
        self._inside(path)
        return path

    # buckets -------------------------------------------------------------------------------
    def bucket_resource(self, bucket: str) -> dict:
        path = self.bucket_path(bucket)
        if not path.is_dir():
            raise not_found(f"The specified bucket does not exist: {bucket}")
        created = _rfc3339(path.stat().st_ctime)
        return {
            "kind": "storage#bucket",
            "id": bucket,
            "name": bucket,
            "selfLink": f"/storage/v1/b/{bucket}",
            "projectNumber": "0",
            "metageneration": "1",
            "location": "US-CENTRAL1",
            "locationType": "region",
            "storageClass": "STANDARD",
            "timeCreated": created,
            "updated": created,
            "etag": "CAE=",
        }

    def create_bucket(self, bucket: str) -> dict:
        path = self.bucket_path(bucket)
        with self._lock:
            if path.exists():
                raise StorageError(
                    409,
                    "Your previous request to create the named bucket succeeded and you already "
                    "own it.",
                    "conflict",
                )
            path.mkdir(parents=True)
        return self.bucket_resource(bucket)

    def ensure_bucket(self, bucket: str) -> None:
        self.bucket_path(bucket).mkdir(parents=True, exist_ok=True)

    def list_buckets(self) -> list[dict]:
        return [self.bucket_resource(p.name) for p in sorted(self.root.iterdir()) if p.is_dir()]

    def delete_bucket(self, bucket: str) -> None:
        path = self.bucket_path(bucket)
        if not path.is_dir():
            raise not_found(f"The specified bucket does not exist: {bucket}")
        if any(path.iterdir()):
            raise StorageError(409, "The bucket you tried to delete is not empty.", "conflict")
        path.rmdir()

    # objects -------------------------------------------------------------------------------
    def write_object(self, bucket: str, name: str, data: bytes, content_type: str | None) -> dict:
        if not self.bucket_path(bucket).is_dir():
            raise not_found(f"The specified bucket does not exist: {bucket}")
        path = self.object_path(bucket, name)
        with self._lock:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.is_dir():
                    raise FileExistsError(path)
                tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
                tmp.write_bytes(data)
                tmp.replace(path)
            except (FileExistsError, NotADirectoryError) as exc:
                raise StorageError(
                    409,
                    f"Object '{name}' clashes with a folder or file of the same name in this "
                    "emulator (it stores objects as files); choose another name.",
                    "conflict",
                ) from exc
            self._content_types[(bucket, name)] = content_type or "application/octet-stream"
        return self.object_resource(bucket, name)

    def _existing(self, bucket: str, name: str) -> Path:
        if not self.bucket_path(bucket).is_dir():
            raise not_found(f"The specified bucket does not exist: {bucket}")
        path = self.object_path(bucket, name, writing=False)
        if not path.is_file():
            raise not_found(f"No such object: {bucket}/{name}")
        return path

    def read_object(self, bucket: str, name: str) -> bytes:
        return self._existing(bucket, name).read_bytes()

    def object_resource(self, bucket: str, name: str) -> dict:
        path = self._existing(bucket, name)
        data = path.read_bytes()
        stat = path.stat()
        generation = str(stat.st_mtime_ns // 1000)
        encoded = quote(name, safe="")
        return {
            "kind": "storage#object",
            "id": f"{bucket}/{name}/{generation}",
            "selfLink": f"/storage/v1/b/{bucket}/o/{encoded}",
            "mediaLink": f"/download/storage/v1/b/{bucket}/o/{encoded}?generation={generation}&alt=media",
            "name": name,
            "bucket": bucket,
            "generation": generation,
            "metageneration": "1",
            "contentType": self._content_types.get((bucket, name), "application/octet-stream"),
            "storageClass": "STANDARD",
            "size": str(len(data)),
            "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode(),
            "crc32c": _crc32c_b64(data),
            "etag": base64.b64encode(generation.encode()).decode(),
            "timeCreated": _rfc3339(stat.st_mtime),
            "updated": _rfc3339(stat.st_mtime),
            "timeStorageClassUpdated": _rfc3339(stat.st_mtime),
        }

    def delete_object(self, bucket: str, name: str) -> None:
        path = self._existing(bucket, name)
        with self._lock:
            path.unlink()
            self._content_types.pop((bucket, name), None)
            # Drop folders left empty so listings match an object store.
            parent, top = path.parent, self.bucket_path(bucket)
            while parent != top and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent

    def object_names(self, bucket: str, prefix: str = "") -> list[str]:
        top = self.bucket_path(bucket)
        if not top.is_dir():
            raise not_found(f"The specified bucket does not exist: {bucket}")
        # Walk only the folder the prefix points into, not the whole bucket. A prefix whose
        # folder part no stored name can have ('..', NUL, empty parts) matches nothing.
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        if folder and (file_name_error(folder) or gcs_name_error(folder)):
            return []
        start = top.joinpath(*folder.split("/")) if folder else top
        names = []
        if start.is_dir():
            for path in start.rglob("*"):
                if not path.is_file() or path.name.endswith(".tmp") and path.name.startswith("."):
                    continue
                rel = path.relative_to(top).as_posix()
                if path.name == DIR_MARKER:
                    rel = rel[: -len(DIR_MARKER)]
                if rel.startswith(prefix):
                    names.append(rel)
        return sorted(names)

    def list_objects(
        self, bucket: str, prefix: str = "", delimiter: str = "", max_results: int = 1000,
        page_token: str = "", start_offset: str = "", end_offset: str = "",
    ) -> dict:
        items, prefixes = [], []
        for name in self.object_names(bucket, prefix):
            if page_token and name <= page_token or start_offset and name < start_offset:
                continue
            if end_offset and name >= end_offset:
                continue
            rest = name[len(prefix):]
            if delimiter and delimiter in rest:
                folder = prefix + rest[: rest.index(delimiter) + len(delimiter)]
                if folder not in prefixes:
                    prefixes.append(folder)
                continue
            items.append(name)
        body: dict = {"kind": "storage#objects"}
        if len(items) > max_results:
            body["nextPageToken"] = items[max_results - 1]
            items = items[:max_results]
        if items:
            body["items"] = [self.object_resource(bucket, n) for n in items]
        if prefixes:
            body["prefixes"] = prefixes
        return body

    # resumable uploads --------------------------------------------------------------------
    def start_upload(self, bucket: str, name: str, content_type: str | None) -> str:
        self.object_path(bucket, name)  # validates the name now, not at the last chunk
        if not self.bucket_path(bucket).is_dir():
            raise not_found(f"The specified bucket does not exist: {bucket}")
        upload_id = uuid.uuid4().hex
        with self._lock:
            self._uploads[upload_id] = _Upload(bucket, name, content_type or "", bytearray())
        return upload_id

    def upload_chunk(self, upload_id: str, data: bytes, content_range: str) -> dict | int:
        """Append a chunk; returns the object resource when complete, else bytes received."""
        upload = self._uploads.get(upload_id)
        if upload is None:
            raise not_found(f"No such upload session: {upload_id}")
        start, total = _parse_content_range(content_range, len(data))
        with self._lock:
            if start is not None and start != len(upload.data):
                # The client resends from what we acknowledged; keep only the new bytes.
                upload.data = upload.data[:start]
            upload.data.extend(data)
            if total is None or len(upload.data) < total:
                return len(upload.data)
            del self._uploads[upload_id]
        return self.write_object(upload.bucket, upload.name, bytes(upload.data), upload.content_type)

    def reset(self) -> None:
        with self._lock:
            self._content_types.clear()
            self._uploads.clear()
            for child in self.root.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()


def split_gs_uri(uri: str) -> tuple[str, str, str]:
    """gs://bucket/a/b -> ("bucket", "/", "a/b")."""
    if not uri.startswith("gs://"):
        raise ValueError(f"Expected a gs://bucket/path URI, got {uri!r}.")
    bucket, sep, name = uri[5:].partition("/")
    if not bucket:
        raise ValueError(f"The URI {uri!r} names no bucket.")
    return bucket, sep, name


def _parse_content_range(header: str, length: int) -> tuple[int | None, int | None]:
    """'bytes 0-99/200' -> (0, 200); 'bytes 0-99/*' -> (0, None); 'bytes */200' -> (None, 200)."""
    if not header:
        return None, length
    unit, _, spec = header.partition(" ")
    if unit != "bytes" or "/" not in spec:
        raise bad_request(f"Malformed Content-Range header: {header!r}")
    span, _, total = spec.partition("/")
    try:
        start = None if span == "*" else int(span.split("-")[0])
        return start, None if total == "*" else int(total)
    except ValueError as exc:
        raise bad_request(f"Malformed Content-Range header: {header!r}") from exc


def _json_object(raw: bytes) -> dict:
    """A JSON request body as a dict; Cloud Storage's 400 parseError otherwise."""
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise parse_error(str(exc)[:200]) from exc
    if not isinstance(body, dict):
        raise parse_error("the request body must be a JSON object")
    return body


def _int_param(query, name: str, default: int) -> int:
    try:
        value = int(query.get(name, default))
    except ValueError as exc:
        raise bad_request(f"Invalid value for {name}: {query.get(name)!r}") from exc
    if value < 0:
        raise bad_request(f"Invalid value for {name}: {value}")
    return value


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict, bytes, str | None]:
    """Split a multipart/related upload into (metadata, media bytes, media content type)."""
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if len(parts) != 2:
        raise bad_request("A multipart upload needs two parts: JSON metadata, then the media.")
    metadata = _json_object(parts[0].get_payload(decode=True) or b"{}")
    return metadata, parts[1].get_payload(decode=True) or b"", parts[1].get_content_type()


# HTTP -----------------------------------------------------------------------------------------
def _byte_range(header: str) -> tuple[int | None, int | None]:
    """'bytes=5-9' -> (5, 9), 'bytes=5-' -> (5, None), 'bytes=-3' -> (None, 3). A header that
    does not parse is ignored, as HTTP says (RFC 9110 14.2): the whole object is sent."""
    unit, _, spec = header.partition("=")
    first, dash, last = spec.partition("-")
    if unit.strip() != "bytes" or not dash or not (first.isdigit() or last.isdigit()):
        return None, None
    if (first and not first.isdigit()) or (last and not last.isdigit()):
        return None, None
    return (int(first) if first else None), (int(last) if last else None)


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def _absolute_links(value, base: str):
    if isinstance(value, dict):
        return {
            k: base + v if k in ("selfLink", "mediaLink") and str(v).startswith("/") else
            _absolute_links(v, base)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_absolute_links(v, base) for v in value]
    return value


def _extra(response: Response) -> dict:
    return {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}


def storage_routes(backend: StorageBackend, crashes: list[str] | None = None) -> list[Route]:
    """Starlette routes for the Cloud Storage JSON API, bound to ``backend``.

    An unexpected exception answers 500 in the API's error shape (the client sees a normal
    InternalServerError) and its traceback goes to ``crashes`` so tests still fail on it."""

    def handle(fn):
        async def endpoint(request: Request) -> Response:
            try:
                response = await fn(request)
            except StorageError as err:
                return err.response()
            except Exception:
                if crashes is not None:
                    crashes.append(traceback.format_exc())
                return StorageError(500, "Internal error in the Cloud Storage emulator.", "backendError").response()
            if isinstance(response, JSONResponse):
                # The client follows mediaLink as is: it must carry this server's address.
                body = _absolute_links(json.loads(response.body), _base_url(request))
                return JSONResponse(body, status_code=response.status_code, headers=_extra(response))
            return response

        return endpoint

    async def buckets(request: Request) -> Response:
        if request.method == "POST":
            body = _json_object(await request.body())
            return JSONResponse(backend.create_bucket(str(body.get("name", ""))))
        return JSONResponse({"kind": "storage#buckets", "items": backend.list_buckets()})

    async def bucket(request: Request) -> Response:
        name = request.path_params["bucket"]
        if request.method == "DELETE":
            backend.delete_bucket(name)
            return Response(status_code=204)
        return JSONResponse(backend.bucket_resource(name))

    async def objects(request: Request) -> Response:
        q = request.query_params
        return JSONResponse(
            backend.list_objects(
                request.path_params["bucket"],
                prefix=q.get("prefix", ""),
                delimiter=q.get("delimiter", ""),
                max_results=_int_param(q, "maxResults", 1000) or 1000,
                page_token=q.get("pageToken", ""),
                start_offset=q.get("startOffset", ""),
                end_offset=q.get("endOffset", ""),
            )
        )

    async def one_object(request: Request) -> Response:
        bucket_name, name = request.path_params["bucket"], request.path_params["name"]
        if request.method == "DELETE":
            backend.delete_object(bucket_name, name)
            return Response(status_code=204)
        if request.query_params.get("alt") == "media":
            return _media(bucket_name, name, request)
        return JSONResponse(backend.object_resource(bucket_name, name))

    def _media(bucket_name: str, name: str, request: Request) -> Response:
        data = backend.read_object(bucket_name, name)
        meta = backend.object_resource(bucket_name, name)
        headers = {
            "x-goog-hash": f"crc32c={meta['crc32c']},md5={meta['md5Hash']}",
            "x-goog-generation": meta["generation"],
            "x-goog-stored-content-length": str(len(data)),
            "accept-ranges": "bytes",
        }
        status = 200
        first, last = _byte_range(request.headers.get("range", ""))
        if first is not None or last is not None:
            if first is None:  # "bytes=-N": the last N bytes
                start, end = max(0, len(data) - last), len(data) - 1
            else:
                start, end = first, min(last, len(data) - 1) if last is not None else len(data) - 1
            if start >= len(data) or start > end:
                raise StorageError(416, "Request range not satisfiable", "requestedRangeNotSatisfiable")
            headers["content-range"] = f"bytes {start}-{end}/{len(data)}"
            data, status = data[start : end + 1], 206
            headers.pop("x-goog-hash")  # a partial body cannot match the whole object's hash
        return Response(data, status_code=status, media_type=meta["contentType"], headers=headers)

    async def download(request: Request) -> Response:
        return _media(request.path_params["bucket"], request.path_params["name"], request)

    async def upload(request: Request) -> Response:
        bucket_name = request.path_params["bucket"]
        q = request.query_params
        kind = q.get("uploadType", "")
        if request.method == "PUT" or (kind == "resumable" and "upload_id" in q):
            result = backend.upload_chunk(
                q.get("upload_id", ""), await request.body(), request.headers.get("content-range", "")
            )
            if isinstance(result, int):
                headers = {"range": f"bytes=0-{result - 1}"} if result else {}
                return Response(status_code=308, headers=headers)
            return JSONResponse(result)
        if kind == "media":
            body = await request.body()
            return JSONResponse(
                backend.write_object(bucket_name, q.get("name", ""), body, request.headers.get("content-type"))
            )
        if kind == "multipart":
            metadata, media, media_type = _parse_multipart(
                await request.body(), request.headers.get("content-type", "")
            )
            name = str(metadata.get("name") or q.get("name", ""))
            content_type = metadata.get("contentType") or media_type
            return JSONResponse(backend.write_object(bucket_name, name, media, content_type))
        if kind == "resumable":
            metadata = _json_object(await request.body())
            name = str(metadata.get("name") or q.get("name", ""))
            content_type = metadata.get("contentType") or request.headers.get("x-upload-content-type")
            upload_id = backend.start_upload(bucket_name, name, content_type)
            location = (
                f"{_base_url(request)}/upload/storage/v1/b/{bucket_name}/o"
                f"?uploadType=resumable&upload_id={upload_id}"
            )
            return Response(status_code=200, headers={"location": location})
        raise bad_request(f"Unsupported uploadType {kind!r}; use media, multipart or resumable.")

    return [
        Route("/storage/v1/b", handle(buckets), methods=["GET", "POST"]),
        Route("/storage/v1/b/{bucket}", handle(bucket), methods=["GET", "DELETE"]),
        Route("/storage/v1/b/{bucket}/o", handle(objects), methods=["GET"]),
        Route("/storage/v1/b/{bucket}/o/{name:path}", handle(one_object), methods=["GET", "DELETE"]),
        Route("/download/storage/v1/b/{bucket}/o/{name:path}", handle(download), methods=["GET"]),
        Route("/upload/storage/v1/b/{bucket}/o", handle(upload), methods=["POST", "PUT"]),
    ]
