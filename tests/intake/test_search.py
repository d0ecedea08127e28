"""Search: by FIN (keyed hash), by name folded the Azerbaijani way, by region, category and
benefit, cursor-paged; summaries for roles without access to personal fields."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text

from intake.applicants.models import AuditEntry
from tests.intake import evidence, field_errors, register
from tests.service_fixtures import Auth, Service, StartService

PEOPLE: list[dict[str, Any]] = [
    {"last_name": "Məmmədova", "first_name": "Aygün", "region": "AZ-GA"},
    {"last_name": "İsmayılov", "first_name": "İlham", "region": "AZ-BA"},
    {"last_name": "Əliyev", "first_name": "Rəşad", "region": "AZ-BA",
     "categories": [{"category": "disability", "disability_group": "I", "evidence": evidence()}]},
    {"last_name": "Quliyeva", "first_name": "Gülnarə", "region": "AZ-SA"},
    {"last_name": "Şirinov", "first_name": "Iqbal", "region": "AZ-LA"},
]  # fmt: skip


@pytest.fixture
async def intake(start_service: StartService) -> Service:
    return await start_service("intake")


@pytest.fixture
async def registry(intake: Service, auth: Auth) -> dict[str, dict[str, Any]]:
    """The people above, by last name, each with their own birth date (no duplicates)."""
    officer = auth("case_officer")
    people = {}
    for day, fields in enumerate(PEOPLE, start=1):
        created = await register(intake, officer, birth_date=f"1985-03-{day:02d}", **fields)
        people[fields["last_name"]] = created
    return people


async def search(intake: Service, headers: dict[str, str], query: str) -> list[dict[str, Any]]:
    response = await intake.client.get(f"/v1/applicants?{query}", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def names(intake: Service, auth: Auth, query: str) -> list[str]:
    return [a["last_name"] for a in await search(intake, auth("case_officer"), query)]


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
    assert await names(intake, auth, f"name={name}") == found


async def test_fin_region_category_and_benefit_filters(
    intake: Service, auth: Auth, registry: dict[str, Any]
) -> None:
    fin = registry["Quliyeva"]["fin"]
    assert await names(intake, auth, f"fin=%20{fin.lower()}%20") == ["Quliyeva"]
    assert await names(intake, auth, "fin=ZZZ9999") == []
    assert await names(intake, auth, "region=AZ-BA") == ["İsmayılov", "Əliyev"]
    assert await names(intake, auth, "region=az-ba&name=ilham") == ["İsmayılov"]
    assert await names(intake, auth, "category=disability") == ["Əliyev"]
    assert await names(intake, auth, "category=martyr_family&region=AZ-BA") == ["İsmayılov"]
    assert await names(intake, auth, "benefited=true") == []
    assert len(await names(intake, auth, "benefited=false")) == len(PEOPLE)

    officer = auth("case_officer")
    for query, field in (
        ("region=AZ-XX", "query.region"),
        ("fin=12-45", "query.fin"),
        ("category=rich", "query.category"),
        ("benefited=maybe", "query.benefited"),
        ("cursor=nonsense", "query.cursor"),
    ):
        response = await intake.client.get(f"/v1/applicants?{query}", headers=officer)
        assert response.status_code == 422, query
        assert list(field_errors(response)) == [field]


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


async def test_name_search_gives_summaries_unless_the_caller_may_see_more(
    intake: Service, auth: Auth, registry: dict[str, Any]
) -> None:
    async with intake.runtime.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
    for role in ("analyst", "monitor"):
        (item,) = await search(intake, auth(role), "name=ilham")
        assert item["id"] == registry["İsmayılov"]["id"]
        assert item["region_name"] == "Bakı"
        assert not {"fin", "first_name", "last_name", "birth_date", "phone"} & set(item)
    async with intake.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == before

    (item,) = await search(
        intake, auth("case_officer", subject="o-9"), "name=ilham&purpose=enrolment"
    )
    assert (item["first_name"], item["fin"]) == ("İlham", registry["İsmayılov"]["fin"])
    async with intake.runtime.sessionmaker() as session:
        last = await session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert last is not None
    assert (str(last.resource_id), last.principal, last.purpose) == (
        item["id"],
        "staff:o-9",
        "enrolment",
    )


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
