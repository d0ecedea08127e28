"""Reports against generated facts: every figure is computed again here, in plain Python, from
the rows the test inserted, and compared with what the service answers (JSON, CSV and XLSX);
survival against a Kaplan-Meier worked by hand; small-cell suppression, partner scope, charts and
filter validation."""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.monitoring.programme_support import (
    PARTNERS,
    SMALL_PARTNER,
    Facts,
    load,
)
from tests.monitoring.programme_support import generate_facts as generate
from tests.monitoring.reports_support import (
    expected_budgets,
    expected_funnel,
    expected_partner,
    expected_years,
    get,
    participants,
    partner_key,
)
from tests.service_fixtures import Auth, Service, StartService

# --- the same figures, computed here ------------------------------------------------------------


# --- tests --------------------------------------------------------------------------------------


async def test_reports_match_figures_computed_independently(
    programme: tuple[Service, Facts], auth: Auth
) -> None:
    monitoring, facts = programme
    analyst = auth("analyst")

    # Participants per year and growth against the first year.
    first, counts, growth = expected_years(facts)
    body = (await get(monitoring, "/v1/reports/participants", analyst)).json()
    assert body["first_year"] == first == 2017
    assert body["suppressed_below"] is None
    assert {r["year"]: r["count"] for r in body["years"]} == counts
    assert {r["year"]: r["growth"] for r in body["years"]} == growth
    assert growth[2021] > 1

    # ... by region, and by category (a person under each of their categories).
    body = (await get(monitoring, "/v1/reports/participants?by=region", analyst)).json()
    by_region = Counter((a["region"], a["enrolled_at"].year) for a in participants(facts))
    assert {(r["group"], r["year"]): r["count"] for r in body["breakdown"]} == by_region
    for r in body["breakdown"]:
        base = by_region.get((r["group"], first))
        assert r["growth"] == (round(r["count"] / base, 2) if base else None)
    body = (await get(monitoring, "/v1/reports/participants?by=category", analyst)).json()
    by_category = Counter(
        (c, a["enrolled_at"].year) for a in participants(facts) for c in a["categories"]
    )
    assert {(r["group"], r["year"]): r["count"] for r in body["breakdown"]} == by_category

    # The funnel: counts, conversions and medians.
    funnel = expected_funnel(facts)
    body = (await get(monitoring, "/v1/reports/funnel", analyst)).json()
    stages = {s["stage"]: s for s in body["stages"]}
    assert list(stages) == list(funnel["counts"])
    assert {k: s["count"] for k, s in stages.items()} == funnel["counts"]
    applied = funnel["counts"]["applied"]
    assert applied == len(facts.applications)
    names = list(funnel["counts"])
    for i, name in enumerate(names):
        count = funnel["counts"][name]
        assert stages[name]["conversion_from_applied"] == round(count / applied, 4)
        if i:
            before = funnel["counts"][names[i - 1]]
            assert stages[name]["conversion_from_previous"] == round(count / before, 4)
            assert stages[name]["median_days_from_previous"] == funnel["medians"][name]
    assert funnel["counts"]["operating_12"] > 0

    # The funnel of one round (the period and the round narrow it the same way here).
    body = (
        await get(monitoring, "/v1/reports/funnel?from=2019-01-01&to=2019-12-31", analyst)
    ).json()
    in_2019 = Facts(
        applications=[a for a in facts.applications if a["applied_at"].year == 2019],
        visits=facts.visits,
    )
    assert [s["count"] for s in body["stages"]] == list(expected_funnel(in_2019)["counts"].values())
    round_body = (
        await get(monitoring, f"/v1/reports/funnel?round_id={uuid.UUID(int=2019)}", analyst)
    ).json()
    assert round_body["stages"] == body["stages"]

    # Each partner's report under its memorandum.
    for partner in PARTNERS:
        expected = expected_partner(facts, partner)
        body = (await get(monitoring, f"/v1/reports/partners/{partner}", analyst)).json()
        got = {k: body[k] for k in expected}
        got["assets_value"] = Decimal(got["assets_value"])
        assert got == expected
        assert body["summary"] == (
            f"{expected['enrolled']} persons enrolled, {expected['priority']} of them from "
            "martyr families or war participants"
        )
    listing = (await get(monitoring, "/v1/reports/partners", analyst)).json()
    assert {p["partner_id"] for p in listing["partners"]} == {
        str(p) for p in (*PARTNERS, SMALL_PARTNER)
    }
    az = (
        await get(
            monitoring, f"/v1/reports/partners/{PARTNERS[0]}", {**analyst, "Accept-Language": "az"}
        )
    ).json()
    assert az["summary"].startswith(f"{expected_partner(facts, PARTNERS[0])['enrolled']} nəfər")

    # Budget use per fund and round.
    expected_budget = expected_budgets(facts)
    body = (await get(monitoring, "/v1/reports/budgets", analyst)).json()
    assert len(body["budgets"]) == 3
    for row in body["budgets"]:
        want = expected_budget[uuid.UUID(row["budget_id"])]
        for name, value in want.items():
            assert (Decimal(row[name]) if isinstance(value, Decimal) else row[name]) == value
    body = (await get(monitoring, "/v1/reports/budgets?round=2021", analyst)).json()
    assert {row["round"] for row in body["budgets"]} == {"2021"}
    assert len(body["budgets"]) == 2

    # CSV and XLSX carry the same figures.
    response = await get(monitoring, "/v1/reports/participants?format=csv", analyst)
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="participants.csv"' in response.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {int(r["year"]): int(r["count"]) for r in lines} == counts
    assert {int(r["year"]): float(r["growth"]) for r in lines} == growth
    response = await get(monitoring, "/v1/reports/funnel?format=xlsx", analyst)
    assert 'filename="funnel.xlsx"' in response.headers["content-disposition"]
    sheet: Any = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("stage", "count")
    assert {r[0]: r[1] for r in rows[1:]} == funnel["counts"]
    response = await get(monitoring, "/v1/reports/budgets?format=xlsx", analyst)
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    for values in rows[1:]:
        row = dict(zip(header, values, strict=True))
        budget = next(b for b in facts.budgets if b["round"] == row["round"] and
                      str(b["fund_id"]) == row["fund_id"])  # fmt: skip
        want = expected_budget[budget["budget_id"]]
        assert Decimal(str(row["spent"])) == want["spent"]
        assert row["orders_waiting"] == want["orders_waiting"]


async def test_small_cells_are_suppressed_for_partners_and_the_public(
    programme: tuple[Service, Facts], auth: Auth
) -> None:
    monitoring, facts = programme
    small = expected_partner(facts, SMALL_PARTNER)
    assert small["enrolled"] == 3

    # The analyst sees the exact figures of the small partner.
    exact = (await get(monitoring, f"/v1/reports/partners/{SMALL_PARTNER}", auth("analyst"))).json()
    assert exact["enrolled"] == 3
    assert exact["suppressed"] == []

    # The same analyst asking for the public version, a case officer, and the partner itself
    # get the small counts withheld, with what derives from them.
    key = await partner_key(monitoring, SMALL_PARTNER)
    for headers, url in [
        (auth("analyst"), f"/v1/reports/partners/{SMALL_PARTNER}?audience=public"),
        (auth("case_officer"), f"/v1/reports/partners/{SMALL_PARTNER}"),
        (key, f"/v1/reports/partners/{SMALL_PARTNER}"),
    ]:
        body = (await get(monitoring, url, headers)).json()
        assert body["suppressed_below"] == 5
        assert body["enrolled"] is None
        assert "enrolled" in body["suppressed"]
        assert body["persons_with_assets"] is None
        assert body["assets_value"] is None
        assert {"persons_with_assets", "assets_value", "items_delivered"} <= set(body["suppressed"])
        assert body["summary"].startswith("fewer than 5 persons enrolled")
        for name, value in small.items():
            if name not in body["suppressed"]:
                assert value == 0 or value >= 5, name
                assert body[name] == value
    csv_text = (
        await get(monitoring, f"/v1/reports/partners/{SMALL_PARTNER}?format=csv", key)
    ).content.decode("utf-8-sig")
    [line] = list(csv.DictReader(io.StringIO(csv_text)))
    assert line["enrolled"] == "<5"
    assert line["assets_value"] == "<5"

    # Public figures: every count shown is 0 or at least 5; every rate of a hidden count hidden.
    public = (
        await get(monitoring, "/v1/reports/participants?by=region&audience=public", auth("admin"))
    ).json()
    exact_rows = (
        await get(monitoring, "/v1/reports/participants?by=region", auth("admin"))
    ).json()["breakdown"]
    assert len(public["breakdown"]) == len(exact_rows)
    hidden = 0
    for shown, truth in zip(public["breakdown"], exact_rows, strict=True):
        if 0 < truth["count"] < 5:
            hidden += 1
            assert shown["count"] is None
            assert shown["growth"] is None
            assert set(shown["suppressed"]) == {"count", "growth"}
        else:
            assert shown["count"] == truth["count"]
    assert hidden > 0
    response = await get(
        monitoring, "/v1/reports/participants?by=region&audience=public&format=xlsx", auth("admin")
    )
    sheet: Any = load_workbook(io.BytesIO(response.content)).active
    counts = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert counts.count("<5") == hidden
    assert all(c == "<5" or c >= 5 for c in counts)

    funnel = (await get(monitoring, "/v1/reports/funnel?region=AZ-GA&sex=female", key)).json()
    for stage in funnel["stages"]:
        if stage["count"] is None:
            assert stage["median_days_from_previous"] is None
            assert stage["conversion_from_previous"] is None
        else:
            assert stage["count"] == 0 or stage["count"] >= 5


async def test_a_partner_sees_its_own_participants_only(
    programme: tuple[Service, Facts], auth: Auth
) -> None:
    monitoring, facts = programme
    own, other = PARTNERS
    key = await partner_key(monitoring, own)

    # Its funnel is the funnel of its own participants (its counts are large enough to show).
    body = (await get(monitoring, "/v1/reports/funnel", key)).json()
    expected = expected_funnel(facts, own)["counts"]
    for stage in body["stages"]:
        if stage["count"] is not None:
            assert stage["count"] == expected[stage["stage"]]
    assert body["stages"][0]["count"] == expected["applied"] < len(facts.applications)
    years = (await get(monitoring, "/v1/reports/participants", key)).json()
    own_years = Counter(a["enrolled_at"].year for a in participants(facts, own))
    assert {r["year"]: r["count"] for r in years["years"]} == {
        y: (c if c >= 5 else None) for y, c in own_years.items()
    }
    listing = (await get(monitoring, "/v1/reports/partners", key)).json()
    assert [p["partner_id"] for p in listing["partners"]] == [str(own)]
    budgets = (await get(monitoring, "/v1/reports/budgets", key)).json()
    assert [b["fund_partner_id"] for b in budgets["budgets"]] == [str(own)]

    # Another partner's figures are not found, by path or by filter.
    for url in [
        f"/v1/reports/partners/{other}",
        f"/v1/reports/funnel?partner_id={other}",
        f"/v1/reports/participants?partner_id={other}",
        f"/v1/reports/budgets?partner_id={other}",
    ]:
        response = await get(monitoring, url, key, status=404)
        assert response.headers["content-type"] == "application/problem+json"
    # A key without a reading scope, and a staff role that does not read reports, are refused.
    await get(monitoring, "/v1/reports/funnel", auth("asset_officer"), status=403)
    await get(monitoring, "/v1/reports/funnel", {}, status=401)


async def test_survival_is_kaplan_meier_with_cases_still_followed_censored(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    # Six bakeries, by what their visits found at months 1, 3, 6 and 12 (True: operating).
    histories = {
        "A": [True, True, False],  # closed at 6
        "B": [True, False],  # closed at 3
        "C": [True, True],  # still followed: censored at 3
        "D": [True, True, True, True],  # censored at 12
        "E": [False],  # closed at 1
        "F": [True, True, True],  # censored at 6
    }
    facts = Facts()
    for i, (name, found) in enumerate(histories.items()):
        pid = uuid.uuid5(uuid.NAMESPACE_URL, name)
        facts.applications.append(
            {
                "application_id": pid,
                "direction": "bakery",
                "categories": [],
                "region": "AZ-BA",
                "enrolled_at": datetime(2024, 1, 1, tzinfo=UTC),
                "delivered_on": date(2024, 2, 1),
                "delivered_value": Decimal("1000.00"),
            }
        )
        for month, operating in zip((1, 3, 6, 12), found, strict=False):
            facts.visits.append(
                {
                    "visit_id": uuid.uuid4(),
                    "participant_id": pid,
                    "month": month,
                    "due_on": date(2024, 2, 1) + timedelta(days=30 * month),
                    "visited_on": date(2024, 2, 1) + timedelta(days=30 * month + i),
                    "operating": operating,
                }
            )
    await load(monitoring, facts)

    # By hand: at 1 month 6 at risk, 1 closed; at 3, 5 and 1; at 6, 3 and 1; at 12, 1 and 0.
    table = {1: (6, 1), 3: (5, 1), 6: (3, 1), 12: (1, 0)}
    survival, greenwood, expected = 1.0, 0.0, {}
    for month, (at_risk, closed) in table.items():
        survival *= 1 - closed / at_risk
        greenwood += closed / (at_risk * (at_risk - closed))
        # The exponential Greenwood (log-log) 95% interval.
        spread = 1.959964 * math.sqrt(greenwood / math.log(survival) ** 2)
        centre = math.log(-math.log(survival))
        expected[month] = (
            at_risk,
            survival,
            math.exp(-math.exp(centre + spread)),
            math.exp(-math.exp(centre - spread)),
        )
    assert expected[3][1] == pytest.approx(4 / 6)
    assert expected[12][1] == pytest.approx(4 / 9)

    body = (await get(monitoring, "/v1/reports/survival", auth("analyst"))).json()
    [curve] = body["directions"]
    assert (curve["direction"], curve["followed"], curve["closed"]) == ("bakery", 6, 3)
    for point in curve["points"]:
        at_risk, estimate, lower, upper = expected[point["month"]]
        assert point["at_risk"] == at_risk
        assert point["survival"] == pytest.approx(estimate, abs=1e-4)
        assert point["ci_lower"] == pytest.approx(lower, abs=1e-3)
        assert point["ci_upper"] == pytest.approx(upper, abs=1e-3)
    assert [p["month"] for p in curve["points"]] == [3, 6, 12]

    # Six businesses are a small cell for the public: at risk 3 and 1, and few closures, hidden.
    public = (await get(monitoring, "/v1/reports/survival?audience=public", auth("analyst"))).json()
    [curve] = public["directions"]
    assert curve["closed"] is None
    assert curve["followed"] == 6
    assert all(p["survival"] is None for p in curve["points"])

    # The curves as pictures.
    for fmt, magic in (("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<svg")):
        response = await get(monitoring, f"/v1/reports/survival?format={fmt}", auth("analyst"))
        assert magic in response.content[:400]
        assert len(response.content) > 5_000
        assert response.headers["content-type"].startswith(f"image/{fmt}")


async def test_charts_are_images(start_service: StartService, auth: Auth) -> None:
    monitoring = await start_service("monitoring")
    await load(monitoring, generate(n=120))
    for url in (
        "/v1/reports/participants",
        "/v1/reports/participants?by=direction",
        "/v1/reports/funnel",
    ):
        png = await get(monitoring, f"{url}{'&' if '?' in url else '?'}format=png", auth("analyst"))
        assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(png.content) > 10_000
        svg = await get(monitoring, f"{url}{'&' if '?' in url else '?'}format=svg", auth("analyst"))
        assert b"<svg" in svg.content[:400]
        assert len(svg.content) > 10_000
        assert svg.headers["content-type"].startswith("image/svg+xml")


BAD_FILTERS = [
    ("region=XX-ZZ", "query.region"),
    ("sex=unknown", "query.sex"),
    ("category=rich", "query.category"),
    ("age_band=30-45", "query.age_band"),
    ("from=2021-05-01&to=2021-01-01", "query.to"),
    ("round_id=not-a-uuid", "query.round_id"),
    ("direction=Bee%20keeping", "query.direction"),
    ("format=pdf", "query.format"),
    ("audience=everyone", "query.audience"),
    ("by=income", "query.by"),
]


async def test_bad_filters_are_problems_naming_the_field(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    headers = auth("analyst", **{"Accept-Language": "az"})
    for query, name in BAD_FILTERS:
        response = await monitoring.client.get(f"/v1/reports/participants?{query}", headers=headers)
        assert response.status_code == 422, (query, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert name in [error["field"] for error in response.json()["errors"]], query
    response = await monitoring.client.get(
        "/v1/reports/budgets?from=2021-05-01&to=2021-01-01", headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.to"
    assert response.json()["errors"][0]["message"] == "dövrün sonu başlanğıcından əvvəldir"
