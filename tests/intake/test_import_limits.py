"""What an import upload may be: a workbook that unpacks to too much (a zip bomb) or holds too many
strings is refused before openpyxl opens it, and a file has a limited number of rows."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
from openpyxl import Workbook

from intake.imports.parser import COLUMNS, TEMPLATE_ROWS, template_csv
from tests.service_fixtures import Auth, Service, StartService

MB = 1024 * 1024


def a_workbook(rows: list[tuple[str, ...]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_member(workbook: bytes, name: str, write: Any) -> bytes:
    """The workbook with one more member, written by `write(file)`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            target.writestr(member, source.read(member))
        with target.open(name, "w", force_zip64=True) as file:
            write(file)
    return out.getvalue()


def a_zip_bomb() -> bytes:
    """A real workbook with 300 MB of zeros more, deflated to a few hundred KB."""

    def zeros(file: Any) -> None:
        for _ in range(300):
            file.write(bytes(MB))

    return with_member(a_workbook(list(TEMPLATE_ROWS)), "xl/media/padding.bin", zeros)


def with_shared_strings(count: int) -> bytes:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    strings = "".join(f"<si><t>text {n}</t></si>" for n in range(count))
    xml = f'<sst xmlns="{ns}" count="{count}" uniqueCount="{count}">{strings}</sst>'
    return with_member(
        a_workbook(list(TEMPLATE_ROWS)),
        "xl/sharedStrings.xml",
        lambda file: file.write(xml.encode()),
    )


async def upload(client: httpx.AsyncClient, name: str, content: bytes, **headers: str) -> Any:
    return await client.post("/v1/imports", files={"file": (name, content)}, headers=headers)


async def test_a_zip_bomb_workbook_is_refused_naming_the_file(intake: Service, auth: Auth) -> None:
    bomb = a_zip_bomb()
    assert len(bomb) < 2 * MB
    response = await upload(intake.client, "bomb.xlsx", bomb, **auth("case_officer"))
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("body.file", "xlsx-too-large")


async def test_a_workbook_with_too_many_shared_strings_is_refused(
    start_service: StartService, auth: Auth
) -> None:
    intake = await start_service("intake", import_xlsx_max_shared_strings=10)
    officer = auth("case_officer")
    response = await upload(intake.client, "r.xlsx", with_shared_strings(11), **officer)
    assert response.status_code == 413, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("body.file", "too-many-shared-strings")
    # Within the limit the workbook is taken.
    response = await upload(intake.client, "r.xlsx", with_shared_strings(10), **officer)
    assert response.status_code == 202, response.text


async def test_an_import_has_a_limited_number_of_rows(
    start_service: StartService, auth: Auth
) -> None:
    intake = await start_service("intake", import_max_rows=2)
    officer = auth("case_officer", **{"Accept-Language": "en"})
    two = template_csv().encode()
    assert (await upload(intake.client, "two.csv", two, **officer)).status_code == 202
    three = two + two.splitlines(keepends=True)[-1].replace(b"7XYZ2QW", b"8XYZ2QW")
    response = await upload(intake.client, "three.csv", three, **officer)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("body.file", "too-many-rows")
    assert "at most 2" in error["message"]
