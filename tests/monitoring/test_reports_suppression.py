"""Complementary (secondary) small-cell suppression: no count withheld from a partner or the
public can be worked out again from what is shown (a total minus the shown cells of its group, two
nested counts' difference, a rate or growth), analysts still see exact figures, and CSV and XLSX
withhold the same cells as JSON."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from monitoring.reports.suppression import Row, complete, separate
from tests.monitoring.programme_support import PARTNERS, Facts, load
from tests.monitoring.reports_support import expected_partner, get, partner_key
from tests.service_fixtures import Auth, Service, StartService

PARTNER = uuid.UUID(int=0xD4)
FUNNEL_ROUND = uuid.UUID(int=1999)


def small(count: int | None) -> bool:
    return count is not None and 0 < count < 5


# --- the rules on their own ---------------------------------------------------------------------


def test_groups_are_completed_until_none_has_a_single_withheld_cell() -> None:
    # A two-way table with row and column totals: withholding the complement of the first row
    # leaves its column with a single withheld cell, which needs one more, and so on.
    table = [[3, 9, 20], [8, 6, 30], [40, 50, 60]]
    rows = [Row({"a": a, "b": b, "c": c, "total": a + b + c}) for a, b, c in table]
    totals = Row({name: sum(r.values[name] for r in rows) for name in ("a", "b", "c")})
    for row in rows:
        row.hide_if_small("a")
    groups = [[row.cell(n) for n in ("a", "b", "c", "total")] for row in rows]
    groups += [[*(row.cell(n) for row in rows), totals.cell(n)] for n in ("a", "b", "c")]
    complete(groups)
    hidden = [[n for n in ("a", "b", "c") if row.hidden(n)] for row in rows]
    # The first row hides a=3 and its smallest other cell, b=9; column a then hides the second
    # row's 8, column b its 6; that row then has two withheld cells, and every group is complete.
    assert hidden == [["a", "b"], ["a", "b"], []]
    for group in groups:
        assert sum(cell.hidden for cell in group) != 1
    assert rows[1].exact("b") == 6  # the exact figures are kept for the rules, not published
    assert rows[1].values["b"] is None


def test_ties_and_zeros_are_handled_deterministically() -> None:
    # The first of equal candidates, in the table's order, is withheld; a 0 never is (it would
    # leave the total minus the shown cells equal to the withheld one).
    cells = [Row({"n": n}) for n in (2, 0, 7, 7, 30)]
    total = Row({"n": 46})
    for row in cells:
        row.hide_if_small("n")
    complete([[*(row.cell("n") for row in cells), total.cell("n")]])
    assert [row.hidden("n") for row in cells] == [True, False, True, False, False]

    # Nested counts: no two shown may differ by 1 to 4.
    chain = [Row({"n": n}) for n in (30, 28, 20, 17, 12, 12, 3)]
    for row in chain:
        row.hide_if_small("n")
    separate([row.cell("n") for row in chain])
    assert [row.values["n"] for row in chain] == [30, None, 20, None, 12, 12, None]


# --- the reports --------------------------------------------------------------------------------


def _person(i: int, **facts: Any) -> dict[str, Any]:
    return {
        "application_id": uuid.UUID(int=0x10000 + i),
        "categories": ["unemployed"],
        "direction": "sewing",
        "region": "AZ-BA",
        **facts,
    }


def crafted() -> Facts:
    """Participants of 2020 and 2021 by region (2020: AZ-BA 3, AZ-GA 6, AZ-LA 20, AZ-SA 6;
    2021: AZ-BA 10, AZ-GA 10, AZ-LA 7, AZ-SA 12, these last of PARTNER, 10 of them of priority);
    and a round of 1999 whose funnel is 30, 28, 20, 17, 12, 0, 0."""
    facts = Facts()
    cells = {
        2020: {"AZ-BA": 3, "AZ-GA": 6, "AZ-LA": 20, "AZ-SA": 6},
        2021: {"AZ-BA": 10, "AZ-GA": 10, "AZ-LA": 7, "AZ-SA": 12},
    }
    i = 0
    for year, regions in cells.items():
        for region, n in regions.items():
            for k in range(n):
                i += 1
                ours = year == 2021 and region == "AZ-SA"
                facts.applications.append(
                    _person(
                        i,
                        region=region,
                        partner_id=PARTNER if ours else None,
                        categories=["martyr_family"] if ours and k < 10 else ["unemployed"],
                        enrolled_at=datetime(year, 3, 1, tzinfo=UTC) + timedelta(days=k),
                    )
                )
    reached = [30, 28, 20, 17, 12]
    applied = datetime(1999, 2, 1, tzinfo=UTC)
    for k in range(reached[0]):
        i += 1
        facts.applications.append(
            _person(
                i,
                round_id=FUNNEL_ROUND,
                applied_at=applied,
                eligible=k < reached[1],
                assessed_at=applied + timedelta(days=2),
                selected_at=applied + timedelta(days=20) if k < reached[2] else None,
                enrolled_at=applied + timedelta(days=21) if k < reached[2] else None,
                plan_approved_at=applied + timedelta(days=50) if k < reached[3] else None,
                delivered_on=date(1999, 5, 1) if k < reached[4] else None,
                delivered_value=Decimal("2000.00") if k < reached[4] else None,
            )
        )
    return facts


async def test_the_next_smallest_cell_of_a_group_is_withheld_too(
    start_service: StartService, auth: Auth
) -> None:
    monitoring = await start_service("monitoring")
    await load(monitoring, crafted())
    url = "/v1/reports/participants?by=region&from=2020-01-01"

    # Analysts see every figure.
    exact = (await get(monitoring, url, auth("analyst"))).json()
    assert {(r["group"], r["year"]): r["count"] for r in exact["breakdown"]}[("AZ-BA", 2020)] == 3
    assert all(r["suppressed"] == [] for r in exact["breakdown"] + exact["years"])

    # The public: AZ-BA's 3 in 2020 is withheld, and so the next smallest of 2020 (AZ-GA's 6,
    # the first of the two sixes); the growth of AZ-BA and AZ-GA, whose 2020 is withheld, too.
    public = (await get(monitoring, f"{url}&audience=public", auth("analyst"))).json()
    shown = {(r["group"], r["year"]): (r["count"], r["growth"]) for r in public["breakdown"]}
    assert shown == {
        ("AZ-BA", 2020): (None, None),
        ("AZ-GA", 2020): (None, None),
        ("AZ-LA", 2020): (20, 1.0),
        ("AZ-SA", 2020): (6, 1.0),
        ("AZ-BA", 2021): (10, None),
        ("AZ-GA", 2021): (10, None),
        ("AZ-LA", 2021): (7, 0.35),
        ("AZ-SA", 2021): (12, 2.0),
    }
    assert [(r["year"], r["count"], r["growth"]) for r in public["years"]] == [
        (2020, 35, 1.0),
        (2021, 39, 1.11),
    ]
    ga = next(r for r in public["breakdown"] if (r["group"], r["year"]) == ("AZ-GA", 2020))
    assert ga["suppressed"] == ["count", "growth"]
    # 35 - 20 - 6 = 9 is AZ-BA and AZ-GA together: neither can be told.
    assert 35 - 20 - 6 not in (3, 6)

    # The funnel of the 1999 round: 30, 28, 20, 17, 12, 0, 0 hides 28 (2 were not eligible) and
    # 17 (3 had no plan approved), and every rate of a withheld stage.
    body = (
        await get(monitoring, f"/v1/reports/funnel?round_id={FUNNEL_ROUND}", auth("analyst"))
    ).json()
    assert [s["count"] for s in body["stages"]] == [30, 28, 20, 17, 12, 0, 0]
    body = (
        await get(
            monitoring,
            f"/v1/reports/funnel?round_id={FUNNEL_ROUND}&audience=public",
            auth("analyst"),
        )
    ).json()
    stages = {s["stage"]: s for s in body["stages"]}
    assert [s["count"] for s in body["stages"]] == [30, None, 20, None, 12, 0, 0]
    assert stages["eligible"]["conversion_from_applied"] is None
    assert stages["selected"]["conversion_from_previous"] is None
    assert stages["selected"]["conversion_from_applied"] == round(20 / 30, 4)
    assert stages["delivered"]["conversion_from_previous"] is None
    assert stages["delivered"]["conversion_from_applied"] == 0.4
    assert stages["operating_6"]["conversion_from_previous"] == 0.0
    assert set(stages["plan_approved"]["suppressed"]) == {
        "count",
        "conversion_from_previous",
        "conversion_from_applied",
        "median_days_from_previous",
    }

    # The partner: 12 enrolled, 10 of priority would publish the 2 others; its own key sees the
    # priority figure withheld, and the headline does not claim it is small.
    key = await partner_key(monitoring, PARTNER)
    for lang, words in (
        ("en", "12 persons enrolled, an undisclosed number of them"),
        ("az", "12 nəfər proqrama cəlb olunub, onlardan açıqlanmayan sayda"),
        ("ru", "Зачислено 12 человек, из них нераскрываемое число"),
    ):
        body = (
            await get(
                monitoring, f"/v1/reports/partners/{PARTNER}", {**key, "Accept-Language": lang}
            )
        ).json()
        assert (body["enrolled"], body["priority"]) == (12, None)
        assert body["suppressed"] == ["priority"]
        assert body["summary"].startswith(words), body["summary"]
    exact_partner = (
        await get(monitoring, f"/v1/reports/partners/{PARTNER}", auth("analyst"))
    ).json()
    assert (exact_partner["enrolled"], exact_partner["priority"]) == (12, 10)

    # CSV and XLSX withhold the same cells.
    response = await get(monitoring, f"{url}&audience=public&format=csv", auth("analyst"))
    lines = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {(r["group"], r["year"]): r["count"] for r in lines if r["count"] == "<5"} == {
        ("AZ-BA", "2020"): "<5",
        ("AZ-GA", "2020"): "<5",
    }
    response = await get(
        monitoring, f"/v1/reports/funnel?round_id={FUNNEL_ROUND}&format=xlsx", auth("case_officer")
    )
    sheet: Any = load_workbook(io.BytesIO(response.content)).active
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        30,
        "<5",
        20,
        "<5",
        12,
        0,
        0,
    ]


# --- a checker over generated figures -----------------------------------------------------------


class Checker:
    """Tries to work out every withheld count from what a public report shows."""

    def __init__(self) -> None:
        self.secondary = 0  # counts withheld that were not small themselves

    def cell(self, shown: Any, exact: Any) -> None:
        """A shown figure is exact; a small count is never shown."""
        if shown is None:
            if exact is not None and not small(exact) and exact != 0:
                self.secondary += 1
        else:
            assert shown == exact
            if isinstance(exact, int):
                assert not small(exact)

    def group(self, total: tuple[Any, Any], parts: list[tuple[Any, Any]]) -> None:
        """(shown, exact) of a total and its parts: the total minus the shown parts never gives a
        withheld part, and never is a single figure withheld."""
        withheld = [exact for shown, exact in (total, *parts) if shown is None and exact]
        assert len(withheld) != 1, (total, parts)
        if total[0] is not None and withheld:
            rest = total[0] - sum(shown for shown, _ in parts if shown is not None)
            for exact in withheld:
                assert rest != exact, (total, parts)

    def chain(self, counts: list[tuple[Any, Any]]) -> None:
        """Nested counts: two shown never differ by 1 to 4."""
        shown = [s for s, _ in counts if s is not None]
        for i, a in enumerate(shown):
            for b in shown[i + 1 :]:
                assert not small(a - b), counts

    @staticmethod
    def ratio(shown: Any, *counts: Any) -> None:
        """A rate is shown only when all its counts are."""
        if shown is not None:
            assert all(count is not None for count in counts)


FILTERS = ["", "sex=female", "region=AZ-GA", "age_band=30-39", "from=2019-01-01&to=2020-12-31"]


async def _pair(
    monitoring: Service, url: str, public: dict[str, str], analyst: dict[str, str]
) -> Any:
    glue = "&" if "?" in url else "?"
    shown = (await get(monitoring, f"{url}{glue}audience=public", public)).json()
    exact = (await get(monitoring, url, analyst)).json()
    return shown, exact


async def test_no_withheld_count_can_be_worked_out_again(
    programme: tuple[Service, Facts], auth: Auth
) -> None:
    monitoring, _ = programme
    analyst, officer = auth("analyst"), auth("case_officer")
    check = Checker()

    for query in FILTERS:
        # Participants per year, broken down four ways.
        for by in ("region", "direction", "partner", "category"):
            url = f"/v1/reports/participants?by={by}&{query}"
            shown, exact = await _pair(monitoring, url, officer, analyst)
            assert exact["suppressed_below"] is None
            assert shown["suppressed_below"] == 5
            totals = {r["year"]: r for r in shown["years"]}
            exact_totals = {r["year"]: r for r in exact["years"]}
            for year, total in totals.items():
                check.cell(total["count"], exact_totals[year]["count"])
                check.ratio(total["growth"], total["count"], totals[shown["first_year"]]["count"])
            assert [(r["group"], r["year"]) for r in shown["breakdown"]] == [
                (r["group"], r["year"]) for r in exact["breakdown"]
            ]
            cells: dict[int, list[tuple[Any, Any]]] = {}
            first = {r["group"]: r for r in shown["breakdown"] if r["year"] == shown["first_year"]}
            for s, e in zip(shown["breakdown"], exact["breakdown"], strict=True):
                check.cell(s["count"], e["count"])
                base = first.get(s["group"])
                check.ratio(s["growth"], s["count"], base and base["count"])
                cells.setdefault(s["year"], []).append((s["count"], e["count"]))
            for year, parts in cells.items():
                total = (totals[year]["count"], exact_totals[year]["count"])
                if by != "category":  # a person counts under each category: no sum
                    assert sum(e for _, e in parts) == total[1]
                check.group(total, parts)

        # The funnel: nested stages, and rates of shown stages only.
        shown, exact = await _pair(monitoring, f"/v1/reports/funnel?{query}", officer, analyst)
        stages = shown["stages"]
        for s, e in zip(stages, exact["stages"], strict=True):
            check.cell(s["count"], e["count"])
            if s["count"] is None:
                assert s["median_days_from_previous"] is None
        check.chain(
            [(s["count"], e["count"]) for s, e in zip(stages, exact["stages"], strict=True)]
        )
        for i, s in enumerate(stages):
            check.ratio(s["conversion_from_applied"], s["count"], stages[0]["count"])
            if i:
                check.ratio(s["conversion_from_previous"], s["count"], stages[i - 1]["count"])

        # Survival: those followed, still at risk, and closed.
        shown, exact = await _pair(monitoring, f"/v1/reports/survival?{query}", officer, analyst)
        for s, e in zip(shown["directions"], exact["directions"], strict=True):
            check.cell(s["followed"], e["followed"])
            check.cell(s["closed"], e["closed"])
            check.chain([(s["followed"], e["followed"]), (s["closed"], e["closed"])])
            check.chain(
                [(s["followed"], e["followed"])]
                + [
                    (p["at_risk"], q["at_risk"])
                    for p, q in zip(s["points"], e["points"], strict=True)
                ]
            )
            for p, q in zip(s["points"], e["points"], strict=True):
                check.cell(p["at_risk"], q["at_risk"])
                if p["survival"] is not None:
                    assert p["at_risk"] is not None
                    assert s["closed"] is not None or p["survival"] == 1.0

        # Each partner: enrolled, of them priority, with assets, and of those operating.
        shown, exact = await _pair(monitoring, f"/v1/reports/partners?{query}", officer, analyst)
        for s, e in zip(shown["partners"], exact["partners"], strict=True):
            for name in ("enrolled", "priority", "persons_with_assets", "operating"):
                check.cell(s[name], e[name])
            pairs = {name: (s[name], e[name]) for name in s if name in e}
            check.chain([pairs["enrolled"], pairs["priority"]])
            check.chain([pairs["enrolled"], pairs["persons_with_assets"], pairs["operating"]])
            if s["persons_with_assets"] is None:
                assert s["assets_value"] is None
                assert s["items_delivered"] is None
            for name in ("enrolled", "priority"):
                if s[name] is None:  # the headline does not give it away either
                    assert str(e[name]) not in s["summary"].split()

    # Budgets: allocated = reserved + spent + available, never one part withheld alone.
    shown, exact = await _pair(monitoring, "/v1/reports/budgets", officer, analyst)
    for s, e in zip(shown["budgets"], exact["budgets"], strict=True):
        money = [
            (None if s[n] is None else Decimal(s[n]), Decimal(e[n]))
            for n in ("allocated", "reserved", "spent", "available")
        ]
        check.group(money[0], money[1:])

    # The data is such that the rule had work to do, and analysts saw it all.
    assert check.secondary > 10


async def test_exports_withhold_what_json_withholds(
    programme: tuple[Service, Facts], auth: Auth
) -> None:
    monitoring, facts = programme
    own = PARTNERS[0]
    key = await partner_key(monitoring, own)
    tables = [
        ("/v1/reports/participants?by=region&sex=female", "breakdown", "count"),
        ("/v1/reports/funnel?region=AZ-GA&sex=female", "stages", "count"),
        ("/v1/reports/partners?age_band=30-39", "partners", "enrolled"),
    ]
    for url, rows, first_figure in tables:
        body = (await get(monitoring, url, key)).json()
        withheld = [(i, name) for i, row in enumerate(body[rows]) for name in row["suppressed"]]
        assert any(row[first_figure] is None for row in body[rows]) or rows == "partners"
        csv_lines = list(
            csv.DictReader(
                io.StringIO(
                    (await get(monitoring, f"{url}&format=csv", key)).content.decode("utf-8-sig")
                )
            )
        )
        sheet: Any = load_workbook(
            io.BytesIO((await get(monitoring, f"{url}&format=xlsx", key)).content)
        ).active
        header, *values = list(sheet.iter_rows(values_only=True))
        xlsx_lines = [dict(zip(header, line, strict=True)) for line in values]
        assert len(csv_lines) == len(xlsx_lines) == len(body[rows])
        lines: list[dict[Any, Any]]
        for lines in (csv_lines, xlsx_lines):
            marked = [
                (i, name) for i, line in enumerate(lines) for name, v in line.items() if v == "<5"
            ]
            assert sorted(marked) == sorted(w for w in withheld if w[1] in lines[0])
            for i, line in enumerate(lines):
                for name, value in line.items():
                    shown = body[rows][i].get(name)
                    if value != "<5" and isinstance(shown, int) and not isinstance(shown, bool):
                        assert int(value) == shown

    # The partner's own figures, exact for an analyst, in the same file format.
    expected = expected_partner(facts, own)
    response = await get(monitoring, f"/v1/reports/partners/{own}?format=csv", auth("analyst"))
    [line] = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert int(line["enrolled"]) == expected["enrolled"]
    assert int(line["priority"]) == expected["priority"]
