"""The S3-compatible file store against moto's S3 server over real HTTP (standing in for the
ministry's object storage), and how settings choose the store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from shared.filestore import (
    FileStoreSettings,
    LocalFileStore,
    S3FileStore,
    max_upload_bytes,
    store_from_settings,
)
from shared.settings import ServiceSettings

CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free port of 127.0.0.1, for the whole run."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str) -> Any:
    """A client of the moto server, with its test credentials."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def new_bucket(endpoint: str) -> str:
    """A fresh bucket (moto keeps its buckets for the whole process)."""
    name = f"dayaq-{uuid.uuid4().hex[:12]}"
    client = s3_client(endpoint)
    client.create_bucket(Bucket=name)
    return name


def object_names(endpoint: str, bucket: str) -> list[str]:
    client = s3_client(endpoint)
    listed = client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


async def test_an_s3_store_keeps_reads_and_deletes_files(s3_endpoint: str) -> None:
    bucket = new_bucket(s3_endpoint)
    store = S3FileStore(bucket, prefix="/assets/", endpoint_url=s3_endpoint, **CREDENTIALS)
    content = b"%PDF-1.7\n" + bytes(range(256)) * 10

    key = await store.put(content, prefix="acts/123")
    assert key.startswith("acts/123/")
    assert len(key) > len("acts/123/") + 20  # random, never the client's file name
    assert await store.get(key) == content
    # Inside the bucket, under the store's own prefix.
    assert object_names(s3_endpoint, bucket) == [f"assets/{key}"]
    other = await store.put(b"second", prefix="acts/123")
    assert other != key

    await store.delete(key)
    with pytest.raises(KeyError):
        await store.get(key)
    await store.delete(key)  # deleting again is no error, as with a local file
    assert object_names(s3_endpoint, bucket) == [f"assets/{other}"]


async def test_a_missing_or_malformed_key_is_a_key_error(s3_endpoint: str) -> None:
    store = S3FileStore(new_bucket(s3_endpoint), endpoint_url=s3_endpoint, **CREDENTIALS)
    with pytest.raises(KeyError):
        await store.get("acts/never-stored")
    for key in ("", "/etc/passwd", "acts/../../other"):
        with pytest.raises(KeyError):
            await store.get(key)


async def test_a_missing_bucket_is_an_error_not_a_missing_file(s3_endpoint: str) -> None:
    store = S3FileStore(f"missing-{uuid.uuid4().hex[:8]}", endpoint_url=s3_endpoint, **CREDENTIALS)
    with pytest.raises(ClientError, match="NoSuchBucket"):
        await store.put(b"x", prefix="acts")
    with pytest.raises(ClientError, match="NoSuchBucket"):  # not KeyError: a 404 would hide it
        await store.get("acts/some-key")


class _Settings(ServiceSettings, FileStoreSettings):
    model_config = SettingsConfigDict(env_prefix="FSTEST_", extra="ignore")

    service_name: str = "fstest"


def test_settings_choose_the_store(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = store_from_settings(_Settings(filestore_path=tmp_path))
    assert isinstance(local, LocalFileStore)
    assert local.base_path == tmp_path.resolve()
    default = store_from_settings(_Settings())
    assert isinstance(default, LocalFileStore)
    assert default.base_path == Path(".dayaq/files/fstest").resolve()

    # From the environment, with the service's prefix, as a Deployment sets them.
    monkeypatch.setenv("FSTEST_FILESTORE_S3_BUCKET", "acts")
    monkeypatch.setenv("FSTEST_FILESTORE_S3_PREFIX", "assets")
    monkeypatch.setenv("FSTEST_FILESTORE_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("FSTEST_FILESTORE_S3_ACCESS_KEY_ID", "dayaq-assets")
    monkeypatch.setenv("FSTEST_FILESTORE_S3_SECRET_ACCESS_KEY", "not-shown")
    monkeypatch.setenv("FSTEST_MAX_UPLOAD_BYTES", "2048")
    settings = _Settings()
    assert isinstance(settings.filestore_s3_secret_access_key, SecretStr)
    assert "not-shown" not in repr(settings)
    assert max_upload_bytes(settings) == 2048
    s3 = store_from_settings(settings)
    assert isinstance(s3, S3FileStore)
    assert (s3.bucket, s3.prefix) == ("acts", "assets/")
    assert s3.client.meta.endpoint_url == s3_endpoint

    monkeypatch.setenv("FSTEST_MAX_UPLOAD_BYTES", "0")
    with pytest.raises(ValidationError):
        _Settings()


def test_a_development_secret_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FSTEST_FILESTORE_S3_SECRET_ACCESS_KEY", "dev-only-CHANGE-ME")
    with pytest.raises(ValidationError, match="filestore_s3_secret_access_key"):
        _Settings(environment="production", jwks_url="https://login.example.invalid/jwks")
    assert _Settings().filestore_s3_secret_access_key is not None  # fine in development
