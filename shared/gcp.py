"""Connect lab code to Vertex AI and Cloud Storage: the local emulator or the real cloud.

Lab code calls the same three functions in both modes::

    conn = vertex_connection(load_settings())   # mock: starts the local emulator
    init_vertex(conn)                            # aiplatform.init(...) for that mode
    upload_dir("out/model", conn.staging_bucket + "/models/v1")

In mock mode the emulator serves Vertex AI and Cloud Storage on one loopback URL;
``STORAGE_EMULATOR_HOST`` is set in ``os.environ`` so ``google-cloud-storage`` (here, in the SDK
and in training subprocesses) reaches it. In cloud mode the settings GOOGLE_CLOUD_PROJECT,
GOOGLE_CLOUD_REGION and GOOGLE_CLOUD_STAGING_BUCKET are required and Application Default
Credentials are used. aiplatform and google-cloud-storage are imported inside the functions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shared.config import Settings


@dataclass(frozen=True)
class VertexConnection:
    project: str
    location: str
    api_endpoint: str | None  # None: Google's default endpoint for the location
    credentials: object | None  # None: Application Default Credentials
    staging_bucket: str  # gs://bucket
    emulated: bool

    def __repr__(self) -> str:  # credentials objects can carry tokens: never print them
        return (
            f"VertexConnection(project={self.project!r}, location={self.location!r}, "
            f"api_endpoint={self.api_endpoint!r}, staging_bucket={self.staging_bucket!r}, "
            f"emulated={self.emulated})"
        )


def vertex_connection(settings: Settings) -> VertexConnection:
    """Where Vertex AI is for these settings; in mock mode the emulator is started here."""
    if settings.target == "cloud":
        settings.require("vertex")
        return VertexConnection(
            project=str(settings.get("GOOGLE_CLOUD_PROJECT")),
            location=str(settings.get("GOOGLE_CLOUD_REGION")),
            api_endpoint=None,
            credentials=None,
            staging_bucket=str(settings.get("GOOGLE_CLOUD_STAGING_BUCKET")).rstrip("/"),
            emulated=False,
        )
    from google.auth.credentials import AnonymousCredentials

    from mocks.vertex.server import LOCATION, PROJECT, STAGING_BUCKET, local_emulator

    server = local_emulator()
    os.environ["STORAGE_EMULATOR_HOST"] = server.url
    server.backend.storage.ensure_bucket(STAGING_BUCKET[5:])
    return VertexConnection(
        project=PROJECT,
        location=LOCATION,
        api_endpoint=server.url,
        credentials=AnonymousCredentials(),
        staging_bucket=STAGING_BUCKET,
        emulated=True,
    )


def init_vertex(conn: VertexConnection, experiment: str | None = None) -> None:
    """aiplatform.init for this connection (REST + anonymous credentials for the emulator)."""
    from google.cloud import aiplatform

    kwargs: dict = {
        "project": conn.project,
        "location": conn.location,
        "staging_bucket": conn.staging_bucket,
    }
    if conn.credentials is not None:
        kwargs["credentials"] = conn.credentials
    if conn.emulated:
        # The emulator speaks HTTP/JSON only; gRPC is the SDK's default transport.
        kwargs["api_endpoint"] = conn.api_endpoint
        kwargs["api_transport"] = "rest"
        os.environ["STORAGE_EMULATOR_HOST"] = conn.api_endpoint
    if experiment:
        kwargs["experiment"] = experiment
    aiplatform.init(**kwargs)


def storage_client(project: str | None = None):
    """A google-cloud-storage client; honours STORAGE_EMULATOR_HOST (anonymous) when set."""
    from google.cloud import storage

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project=project or "labkit-local", credentials=AnonymousCredentials())
    return storage.Client(project=project)


def split_gs_uri(uri: str) -> tuple[str, str]:
    """gs://bucket/a/b -> ("bucket", "a/b")."""
    if not uri.startswith("gs://") or len(uri) <= 5:
        raise ValueError(f"Expected a gs://bucket/path URI, got {uri!r}.")
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix


def upload_dir(local_dir: str | Path, gs_uri: str, client=None) -> list[str]:
    """Copy every file under ``local_dir`` to ``gs_uri`` (keeping relative paths); return URIs."""
    local_dir = Path(local_dir)
    if not local_dir.is_dir():
        raise FileNotFoundError(f"{local_dir} is not a folder; nothing to upload.")
    client = client or storage_client()
    bucket_name, prefix = split_gs_uri(gs_uri)
    bucket = client.bucket(bucket_name)
    prefix = prefix.rstrip("/")
    uploaded = []
    for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
        name = "/".join(filter(None, [prefix, path.relative_to(local_dir).as_posix()]))
        bucket.blob(name).upload_from_filename(str(path))
        uploaded.append(f"gs://{bucket_name}/{name}")
    return uploaded


def download_dir(gs_uri: str, local_dir: str | Path, client=None) -> list[Path]:
    """Copy every object under ``gs_uri`` into ``local_dir`` (keeping relative paths)."""
    client = client or storage_client()
    bucket_name, prefix = split_gs_uri(gs_uri)
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    local_dir = Path(local_dir)
    written = []
    for blob in client.list_blobs(bucket_name, prefix=prefix):
        if blob.name.endswith("/"):
            continue
        target = local_dir / blob.name[len(prefix):]
        target.parent.mkdir(parents=True, exist_ok=True)
        blob.download_to_filename(str(target))
        written.append(target)
    return written
