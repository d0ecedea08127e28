"""Search: by FIN (keyed hash), by name folded the Azerbaijani way, by region, category and
benefit, cursor-paged; summaries for roles without access to personal fields. FINs and names go
in the body of POST /v1/applicants/search; the GET list refuses them in its query string."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from intake.applicants.models import AuditEntry
from tests.conftest import LaunchServices
from tests.intake.applicants_support import evidence, field_errors, person, register
from tests.service_fixtures import Auth, Service

PEOPLE: list[dict[str, Any]] = [
    {"last_name": "Məmmədova", "first_name": "Aygün", "region": "AZ-GA"},
    {"last_name": "İsmayılov", "first_name": "İlham", "region": "AZ-BA"},
    {"last_name": "Əliyev", "first_name": "Rəşad", "region": "AZ-BA",
     "categories": [{"category": "disability", "disability_group": "I", "evidence": evidence()}]},
    {"last_name": "Quliyeva", "first_name": "Gülnarə", "region": "AZ-SA"},
    {"last_name": "Şirinov", "first_name": "Iqbal", "region": "AZ-LA"},
]  # fmt: skip


@pytest.fixture
async def registry(intake: Service, auth: Auth) -> dict[str, dict[str, Any]]:
    """The people above, by last name, each with their own birth date (no duplicates)."""
    officer = auth("case_officer")
    people = {}
    for day, fields in enumerate(PEOPLE, start=1):
        created = await register(intake, officer, birth_date=f"1985-03-{day:02d}", **fields)
        people[fields["last_name"]] = created
    return people


async def search(
    intake: Service,
    headers: dict[str, str],
    criteria: dict[str, Any],
    query: str = "purpose=case_review",
) -> list[dict[str, Any]]:
    response = await intake.client.post(
        f"/v1/applicants/search?{query}", json=criteria, headers=headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def names(intake: Service, auth: Auth, criteria: dict[str, Any]) -> list[str]:
    return [a["last_name"] for a in await search(intake, auth("case_officer"), criteria)]


async def listed(intake: Service, auth: Auth, query: str) -> list[str]:
    response = await intake.client.get(f"/v1/applicants?{query}", headers=auth("case_officer"))
    assert response.status_code == 200, response.text
    return [a["last_name"] for a in response.json()["items"]]


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("memmedova", ["Məmmədova"]),
        ("MƏMMƏDOVA aygün", ["Məmmədova"]),
        ("aygun memm", ["Məmmədova"]),  # any order, words as prefixes
        ("edova", []),  # not the start of a word
        ("ilham", ["İsmayılov"]),
        ("İLHAM", ["İsmayılov"]),
        ("ISMAYILOV", ["İsmayılov"]),
        ("ismayılov", ["İsmayılov"]),
        ("iqbal", ["Şirinov"]),  # a dotless capital I, typed as i
        ("IQBAL", ["Şirinov"]),
        ("sirinov", ["Şirinov"]),
        ("eliyev r", ["Əliyev"]),
        ("gulnare", ["Quliyeva"]),
        ("100%_", []),  # wildcards are not wildcards
    ],
)
async def test_name_search_folds_azerbaijani_letters_and_casing(
    intake: Service, auth: Auth, registry: dict[str, Any], name: str, found: list[str]
) -> None:
    assert await names(intake, auth, {"name": name}) == found


async def test_fin_region_category_and_benefit_filters(
    intake: Service, auth: Auth, registry: dict[str, Any]
) -> None:
    fin = registry["Quliyeva"]["fin"]
    assert await names(intake, auth, {"fin": f" {fin.lower()} "}) == ["Quliyeva"]
    assert await names(intake, auth, {"fin": "ZZZ9999"}) == []
    assert await names(intake, auth, {"region": "az-ba", "name": "ilham"}) == ["İsmayılov"]
    assert await names(intake, auth, {"fin": fin, "region": "AZ-BA"}) == []
    # The non-personal criteria work alike in the body and in the GET list's query string.
    for criteria, query, found in (
        ({"region": "AZ-BA"}, "region=AZ-BA", ["İsmayılov", "Əliyev"]),
        ({"category": "disability"}, "category=disability", ["Əliyev"]),
        (
            {"category": "martyr_family", "region": "AZ-BA"},
            "category=martyr_family&region=AZ-BA",
            ["İsmayılov"],
        ),
        ({"benefited": True}, "benefited=true", []),
        ({"benefited": False}, "benefited=false", [p["last_name"] for p in PEOPLE]),
        ({}, "", [p["last_name"] for p in PEOPLE]),
    ):
        assert await names(intake, auth, criteria) == found, criteria
        assert await listed(intake, auth, query) == found, query

    officer = auth("case_officer")
    for query, field in (
        ("region=AZ-XX", "query.region"),
        ("category=rich", "query.category"),
        ("benefited=maybe", "query.benefited"),
        ("cursor=nonsense", "query.cursor"),
    ):
        response = await intake.client.get(f"/v1/applicants?{query}", headers=officer)
        assert response.status_code == 422, query
        assert list(field_errors(response)) == [field]
    for criteria, query, expected in (
        ({"region": "AZ-XX"}, "", {"body.region": "region_unknown"}),
        ({"fin": "12-45"}, "", {"body.fin": "string_pattern_mismatch"}),
        ({"name": " "}, "", {"body.name": "string_too_short"}),
        ({"category": "rich"}, "", {"body.category": "enum"}),
        ({"benefited": "maybe"}, "", {"body.benefited": "bool_parsing"}),
        # An unknown criterion is refused: a typo must not widen the search to everyone.
        ({"last_name": "Quliyeva"}, "", {"body.last_name": "extra_forbidden"}),
        ({}, "cursor=nonsense", {"query.cursor": "value_error"}),
    ):
        response = await intake.client.post(
            f"/v1/applicants/search?{query}", json=criteria, headers=officer
        )
        assert response.status_code == 422, criteria
        assert field_errors(response) == expected, criteria


async def test_the_list_refuses_fins_and_names_in_its_query_string(
    intake: Service, auth: Auth, registry: dict[str, Any]
) -> None:
    fin = registry["Quliyeva"]["fin"]
    officer = auth("case_officer")
    for query, fields in (
        (f"fin={fin}", ["query.fin"]),
        ("fin=12-45", ["query.fin"]),  # refused whatever its value
        ("name=ilham&region=AZ-BA", ["query.name"]),
        ("last_name=Quliyeva&first_name=G", ["query.first_name", "query.last_name"]),
        ("birth_date=1985-03-04&phone=0501234567", ["query.birth_date", "query.phone"]),
    ):
        response = await intake.client.get(f"/v1/applicants?{query}", headers=officer)
        assert response.status_code == 422, query
        assert field_errors(response) == dict.fromkeys(fields, "personal_data_in_query")
        assert "POST /v1/applicants/search" in response.json()["detail"]
        assert fin not in response.text
    azerbaijani = await intake.client.get(
        f"/v1/applicants?fin={fin}", headers={**officer, "Accept-Language": "az"}
    )
    assert azerbaijani.headers["content-language"] == "az"
    assert "gövdəsində" in azerbaijani.json()["detail"]

    # The contract says so: no personal parameter on the GET, a documented body on the POST.
    paths = (await intake.client.get("/openapi.json")).json()["paths"]
    listed_parameters = {p["name"] for p in paths["/v1/applicants"]["get"]["parameters"]}
    assert not listed_parameters & {"fin", "name", "first_name", "last_name", "birth_date"}
    assert "POST /v1/applicants/search" in paths["/v1/applicants"]["get"]["description"]
    body = paths["/v1/applicants/search"]["post"]["requestBody"]["content"]["application/json"]
    schema = (await intake.client.get("/openapi.json")).json()["components"]["schemas"][
        body["schema"]["$ref"].rsplit("/", 1)[-1]
    ]
    assert {"fin", "name", "region", "category", "benefited"} <= set(schema["properties"])
    assert {"fin": "5ABC7DE"} in schema["examples"]


async def test_pages_by_cursor_without_gaps_or_repeats(
    intake: Service, auth: Auth, registry: dict[str, Any]
) -> None:
    headers = auth("analyst")
    seen: list[str] = []
    url = "/v1/applicants?limit=2"
    while True:
        page = (await intake.client.get(url, headers=headers)).json()
        assert len(page["items"]) <= 2
        seen += [a["id"] for a in page["items"]]
        if page["next_cursor"] is None:
            break
        url = f"/v1/applicants?limit=2&cursor={page['next_cursor']}"
    assert seen == [registry[p["last_name"]]["id"] for p in PEOPLE]

    # The POST search pages alike, the same body sent with each page's cursor.
    criteria = {"region": "AZ-BA"}
    searched: list[str] = []
    query = "limit=1"
    while True:
        response = await intake.client.post(
            f"/v1/applicants/search?{query}", json=criteria, headers=headers
        )
        page = response.json()
        assert len(page["items"]) <= 1
        searched += [a["id"] for a in page["items"]]
        if page["next_cursor"] is None:
            break
        query = f"limit=1&cursor={page['next_cursor']}"
    assert searched == [registry["İsmayılov"]["id"], registry["Əliyev"]["id"]]


async def audit_count(intake: Service) -> int:
    async with intake.runtime.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(AuditEntry)) or 0


async def test_fin_and_name_searches_are_refused_to_roles_without_personal_data(
    intake: Service, auth: Auth, registry: dict[str, Any]
) -> None:
    # Analysts and monitors used to find people by FIN or name and learn their categories and
    # benefit, unaudited: a FIN or name search is a read of personal data.
    before = await audit_count(intake)
    fin = registry["İsmayılov"]["fin"]
    for role in ("analyst", "monitor"):
        for criteria in ({"name": "ilham"}, {"fin": fin}, {"fin": fin, "region": "AZ-BA"}):
            response = await intake.client.post(
                "/v1/applicants/search?purpose=case_review", json=criteria, headers=auth(role)
            )
            assert response.status_code == 403, (role, criteria, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert fin not in response.text
        # Region and category remain theirs, as summaries.
        (item,) = await search(intake, auth(role), {"region": "AZ-BA", "category": "disability"})
        assert item["id"] == registry["Əliyev"]["id"]
        assert not {"fin", "first_name", "last_name", "birth_date", "phone"} & set(item)
    assert await audit_count(intake) == before


async def test_fin_and_name_searches_need_a_purpose(
    intake: Service, auth: Auth, registry: dict[str, Any]
) -> None:
    for criteria in ({"name": "ilham"}, {"fin": registry["İsmayılov"]["fin"]}):
        response = await intake.client.post(
            "/v1/applicants/search", json=criteria, headers=auth("case_officer")
        )
        assert response.status_code == 422, response.text
        assert field_errors(response) == {"query.purpose": "missing"}
    # A region search is no look-up of a person: it needs none.
    assert len(await search(intake, auth("case_officer"), {"region": "AZ-BA"}, "")) == 2


async def test_each_fin_or_name_search_is_one_audit_row_with_its_purpose_and_results(
    intake: Service, auth: Auth, registry: dict[str, Any]
) -> None:
    officer = auth("case_officer", subject="o-9")
    (item,) = await search(intake, officer, {"name": "ilham"}, "purpose=enrolment")
    assert (item["first_name"], item["fin"]) == ("İlham", registry["İsmayılov"]["fin"])
    fin = registry["Quliyeva"]["fin"]
    assert await search(intake, officer, {"fin": fin, "region": "AZ-BA"}) == []
    nothing = await intake.client.post(
        "/v1/applicants/search",
        json={"fin": fin, "region": "AZ-BA"},
        headers={**officer, "X-Purpose": "duplicate_review"},
    )
    assert nothing.json()["items"] == []
    async with intake.runtime.sessionmaker() as session:
        searches = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "search").order_by(AuditEntry.id)
            )
        ).all()
        reads = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "read", AuditEntry.principal == "staff:o-9"
                )
            )
        ).all()
    assert [(s.principal, s.purpose, s.reason, s.result_ids) for s in searches] == [
        ("staff:o-9", "enrolment", "criteria:name", [uuid.UUID(item["id"])]),
        ("staff:o-9", "case_review", "criteria:fin,region", []),
        ("staff:o-9", "duplicate_review", "criteria:fin,region", []),
    ]
    # Never the criteria themselves.
    for row in searches:
        assert "ilham" not in str(row.reason).lower()
        assert fin not in str(row.reason)
    # Each person shown is still a read in their own audit log.
    assert [(str(r.resource_id), r.purpose) for r in reads] == [(item["id"], "enrolment")]


async def test_name_search_uses_the_trigram_index(intake: Service) -> None:
    async with intake.runtime.sessionmaker() as session, session.begin():
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = (
            await session.execute(
                text(
                    "EXPLAIN SELECT id FROM applicants WHERE name_folded LIKE '%ilham%'"
                    " AND name_folded ~ '(^| )ilham'"
                )
            )
        ).all()
    assert "ix_applicants_name_folded_trgm" in " ".join(row[0] for row in plan)


@pytest.mark.e2e
async def test_a_running_intake_logs_no_search_criteria(
    launch_services: LaunchServices, auth: Auth
) -> None:
    """As a real uvicorn process: no access log line, nor any other, carries the query string or
    the body of a search."""
    service = (await launch_services("intake"))["intake"]
    officer = auth("case_officer")
    body = person(fin="7LOG123", first_name="Zümrüd", last_name="Tağıyeva")
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
        created = await client.post("/v1/applicants", json=body, headers=officer)
        assert created.status_code == 201, created.text
        refused = await client.get("/v1/applicants?fin=7log123&name=zumrud", headers=officer)
        assert refused.status_code == 422
        found = await client.post(
            "/v1/applicants/search?purpose=case_review",
            json={"fin": "7log123", "name": "zumrud tagiyeva"},
            headers=officer,
        )
        assert [a["id"] for a in found.json()["items"]] == [created.json()["id"]]
        listed = await client.get("/v1/applicants?region=AZ-GA&limit=5", headers=officer)
        assert listed.status_code == 200
    logged = service.log.read_text(encoding="utf-8")
    assert "intake started" in logged  # the log is the process's own
    secrets = ("7LOG123", "7log123", "zumrud", "Zümrüd", "Tağıyeva", "tagiyeva", "applicants?")
    for secret in secrets:
        assert secret not in logged, secret


async def test_an_applicants_audit_shows_the_searches_that_returned_them(
    intake: Service, auth: Auth, registry: dict[str, Any]
) -> None:
    officer = auth("case_officer", subject="o-11")
    (found,) = await search(intake, officer, {"name": "ilham"}, "purpose=enrolment")
    other = registry["Quliyeva"]
    audit = await intake.client.get(f"/v1/applicants/{found['id']}/audit", headers=auth("admin"))
    assert audit.status_code == 200, audit.text
    entries = [(e["principal"], e["action"], e["purpose"]) for e in audit.json()["items"]]
    # After the read that answered the registration: the search that returned them, then the
    # read of their personal fields in its answer.
    assert entries[1:] == [
        ("staff:o-11", "search", "enrolment"),
        ("staff:o-11", "read", "enrolment"),
    ]
    # A search that did not return someone is not in their audit.
    untouched = await intake.client.get(
        f"/v1/applicants/{other['id']}/audit", headers=auth("admin")
    )
    assert untouched.status_code == 200, untouched.text
    assert [e["principal"] for e in untouched.json()["items"]] == [entries[0][0]]
