"""Visit photos: stored without their metadata (EXIF, GPS, XMP), turned as the camera said, and
a visit keeps a limited number of them."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import ExifTags, Image

from tests.monitoring.visits_support import PNG, an_image, deliver
from tests.service_fixtures import Auth, StartService

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="40,41.0N"/></rdf:RDF></x:xmpmeta>'
)


def a_phone_photo() -> bytes:
    """16 wide, 8 high as stored by the sensor, with orientation 6 (turn 90° clockwise to view),
    the place it was taken in GPS EXIF, and the camera in XMP."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (40.0, 41.0, 3.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (46.0, 21.0, 38.0)
    return an_image("JPEG", (16, 8), exif=exif.tobytes(), xmp=XMP)


async def test_a_photo_is_stored_without_exif_gps_or_xmp_and_upright(
    start_service: StartService, auth: Auth, tmp_path: Path
) -> None:
    monitoring = await start_service("monitoring", filestore_path=tmp_path / "files")
    _, visits = await deliver(monitoring, auth)
    url = f"/v1/visits/{visits[0]['id']}/photos"
    photo = a_phone_photo()
    sent = Image.open(io.BytesIO(photo))
    assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo does carry GPS
    assert b"GPSLatitude" in photo

    added = await monitoring.client.post(
        url, files={"file": ("hives.jpg", photo)}, headers=auth("monitor")
    )
    assert added.status_code == 201, added.text
    assert added.json()["content_type"] == "image/jpeg"

    stored_files = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert len(stored_files) == 1
    stored = stored_files[0].read_bytes()
    assert added.json()["size"] == len(stored)
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert b"Exif" not in stored
    assert b"GPS" not in stored
    assert b"PhoneMaker" not in stored
    assert b"xmpmeta" not in stored
    assert image.size == (8, 16)  # the orientation is applied to the pixels
    served = await monitoring.client.get(
        f"{url}/{added.json()['id']}", headers=auth("case_officer")
    )
    assert served.content == stored


async def test_a_visit_keeps_a_limited_number_of_photos(
    start_service: StartService, auth: Auth, tmp_path: Path
) -> None:
    monitoring = await start_service(
        "monitoring", filestore_path=tmp_path / "files", max_photos_per_visit=2
    )
    _, visits = await deliver(monitoring, auth)
    url = f"/v1/visits/{visits[0]['id']}/photos"
    monitor = auth("monitor")
    for _ in range(2):
        added = await monitoring.client.post(url, files={"file": ("a.png", PNG)}, headers=monitor)
        assert added.status_code == 201, added.text
    third = await monitoring.client.post(url, files={"file": ("a.png", PNG)}, headers=monitor)
    assert third.status_code == 409, third.text
    assert third.json()["limit"] == 2
    # Another visit has its own count.
    other = await monitoring.client.post(
        f"/v1/visits/{visits[1]['id']}/photos", files={"file": ("a.png", PNG)}, headers=monitor
    )
    assert other.status_code == 201


async def test_an_image_of_too_many_pixels_or_unreadable_is_refused(
    start_service: StartService, auth: Auth, tmp_path: Path
) -> None:
    monitoring = await start_service(
        "monitoring", filestore_path=tmp_path / "files", photo_max_pixels=1000
    )
    _, visits = await deliver(monitoring, auth)
    url = f"/v1/visits/{visits[0]['id']}/photos"
    monitor = auth("monitor")
    huge = an_image("PNG", (100, 100))
    refused = await monitoring.client.post(url, files={"file": ("a.png", huge)}, headers=monitor)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["body.file"]
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    refused = await monitoring.client.post(url, files={"file": ("a.png", broken)}, headers=monitor)
    assert refused.status_code == 422, refused.text
    assert not [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
