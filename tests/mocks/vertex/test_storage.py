"""The Cloud Storage emulator through google-cloud-storage (STORAGE_EMULATOR_HOST) and raw HTTP."""

from __future__ import annotations

import os

import httpx
import pytest
from google.api_core import exceptions

from shared.gcp import download_dir, storage_client, upload_dir


def test_upload_download_list_delete(vertex):
    client = storage_client()
    bucket = client.create_bucket("lab-data")
    bucket.blob("raw/a.txt").upload_from_string("alpha", content_type="text/plain")
    bucket.blob("raw/sub/b.txt").upload_from_string("beta")
    bucket.blob("other.txt").upload_from_string("other")

    assert client.bucket("lab-data").blob("raw/a.txt").download_as_text() == "alpha"
    assert sorted(b.name for b in client.list_blobs("lab-data", prefix="raw/")) == [
        "raw/a.txt", "raw/sub/b.txt"
    ]
    page = client.list_blobs("lab-data", prefix="raw/", delimiter="/")
    assert [b.name for b in page] == ["raw/a.txt"] and page.prefixes == {"raw/sub/"}
    blob = bucket.get_blob("raw/a.txt")
    assert blob.size == 5 and blob.content_type == "text/plain"

    bucket.blob("raw/a.txt").delete()
    assert not bucket.blob("raw/a.txt").exists()
    with pytest.raises(exceptions.NotFound):
        bucket.blob("raw/a.txt").download_as_bytes()


def test_resumable_upload_of_a_large_file(vertex, tmp_path):
    """Files above 8 MiB go through a resumable session; the bytes must survive intact."""
    data = os.urandom(9 * 1024 * 1024)
    (tmp_path / "big.bin").write_bytes(data)
    bucket = storage_client().bucket("labkit-staging")
    bucket.blob("big.bin").upload_from_filename(str(tmp_path / "big.bin"))
    assert bucket.blob("big.bin").download_as_bytes() == data


def test_upload_dir_and_download_dir_round_trip(vertex, tmp_path):
    src = tmp_path / "src"
    (src / "variables").mkdir(parents=True)
    (src / "saved_model.pb").write_bytes(b"pb")
    (src / "variables" / "v.index").write_bytes(b"idx")
    uris = upload_dir(src, "gs://labkit-staging/models/m1/")
    assert uris == ["gs://labkit-staging/models/m1/saved_model.pb",
                    "gs://labkit-staging/models/m1/variables/v.index"]
    written = download_dir("gs://labkit-staging/models/m1", tmp_path / "dst")
    assert sorted(p.relative_to(tmp_path / "dst").as_posix() for p in written) == [
        "saved_model.pb", "variables/v.index"]
    assert (tmp_path / "dst" / "variables" / "v.index").read_bytes() == b"idx"


def test_missing_bucket_is_a_404_in_the_storage_error_shape(vertex):
    reply = httpx.get(f"{vertex.url}/storage/v1/b/nope")
    assert reply.status_code == 404
    error = reply.json()["error"]
    assert error["code"] == 404 and error["errors"][0]["reason"] == "notFound"
    with pytest.raises(exceptions.NotFound):
        storage_client().get_bucket("nope")


def test_object_names_cannot_escape_the_bucket(vertex):
    reply = httpx.post(
        f"{vertex.url}/upload/storage/v1/b/labkit-staging/o",
        params={"uploadType": "media", "name": "../escape.txt"}, content=b"x",
    )
    assert reply.status_code == 400
    assert not (vertex.backend.storage.root / "escape.txt").exists()
