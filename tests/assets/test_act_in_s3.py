"""The handover act uploaded and read back end to end, with the assets service configured to keep
files in an S3-compatible bucket (moto's S3 server over HTTP)."""

from __future__ import annotations

from shared.filestore import FileStore, S3FileStore
from tests.assets.assets_support import a_pdf, a_png, add_budget, approval, approve
from tests.journey_support import handover
from tests.service_fixtures import Auth, StartService
from tests.shared.test_filestore_s3 import new_bucket, object_names, s3_endpoint

__all__ = ["s3_endpoint"]  # the fixture, shared with the file store's own tests


async def test_a_handover_act_goes_to_the_bucket_and_comes_back(
    start_service: StartService, auth: Auth, s3_endpoint: str
) -> None:
    bucket = new_bucket(s3_endpoint)
    assets = await start_service(
        "assets",
        filestore_s3_bucket=bucket,
        filestore_s3_prefix="assets",
        filestore_s3_endpoint_url=s3_endpoint,
        filestore_s3_region="us-east-1",
        filestore_s3_access_key_id="testing",
        filestore_s3_secret_access_key="testing",
        max_upload_bytes=64 * 1024,
    )
    await add_budget(assets, auth, "5000.00")
    order = await approve(assets, approval("150.00", quantity=1))
    officer = auth("asset_officer")
    delivered = await assets.client.post(
        "/v1/deliveries",
        json=handover(order, {"beehive": ["S3-HIVE-1"]}, delivered_on="2026-11-20", place="Qəbələ"),
        headers=officer,
    )
    assert delivered.status_code == 201, delivered.text
    delivery = delivered.json()
    url = f"/v1/deliveries/{delivery['id']}/act"

    pdf = a_pdf()
    stored = await assets.client.post(
        url,
        files={"file": ("act.pdf", pdf, "application/pdf")},
        headers={**officer, "If-Match": delivered.headers["etag"]},
    )
    assert stored.status_code == 200, stored.text
    assert isinstance(assets.runtime.parts[FileStore], S3FileStore)  # made from the settings
    [name] = object_names(s3_endpoint, bucket)
    assert name.startswith(f"assets/acts/{delivery['id']}/")
    back = await assets.client.get(url, headers=officer)
    assert (back.status_code, back.headers["content-type"]) == (200, "application/pdf")
    assert back.content == pdf

    # The configured limit holds for the bucket too; nothing is written for a refused file.
    too_large = await assets.client.post(
        url,
        files={"file": ("act.pdf", b"%PDF-1.7\n" + bytes(64 * 1024), "application/pdf")},
        headers={**officer, "If-Match": stored.headers["etag"]},
    )
    assert too_large.status_code == 413
    assert object_names(s3_endpoint, bucket) == [name]

    png = a_png()
    replaced = await assets.client.post(
        url,
        files={"file": ("act.png", png, "image/png")},
        headers={**officer, "If-Match": stored.headers["etag"]},
    )
    assert replaced.status_code == 200, replaced.text
    back = await assets.client.get(url, headers=officer)
    assert (back.headers["content-type"], back.content) == ("image/png", png)
    [newer] = object_names(s3_endpoint, bucket)  # the old scan was deleted
    assert newer != name
