"""Cells for the CSV and XLSX files the services write, safe to open in a spreadsheet program.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets, and a formula can run commands or send the sheet's data
away (CSV injection). As OWASP advises, such text is written with a leading apostrophe. Numbers,
dates and booleans are values, never formulas: they stay as they are, negative ones too, and so
does text that is only a signed number (a phone number "+994...", an amount "-12.50").
"""

from __future__ import annotations

import re
from typing import TypeVar

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-][0-9]+([.,][0-9]+)?")

Value = TypeVar("Value")


def safe_cell(value: Value) -> Value | str:
    """`value` as it should be written to a CSV or XLSX cell."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _SIGNED_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value
