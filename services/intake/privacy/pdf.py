"""A person's access export printed in Azerbaijani, to hand to them. DejaVu (shipped with
matplotlib) has every Azerbaijani letter (ə, ğ, ı, İ, ö, ş, ü, ç)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from intake.privacy.models import AccessExport

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
LINE = 5

SERVICES = {
    "intake": "Qeydiyyat (intake)",
    "plans": "Biznes planlar (plans)",
    "assets": "Aktivlər (assets)",
    "monitoring": "Monitorinq (monitoring)",
}


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _records(pdf: FPDF, kind: str, rows: list[dict[str, Any]]) -> None:
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, LINE + 1, f"{kind} ({len(rows)})", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 8)
    for row in rows:
        for key, value in row.items():
            pdf.multi_cell(
                0, LINE - 1, f"{key}: {_value(value)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
        pdf.ln(1)


def render_export(export: AccessExport, printed_on: date) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"Şəxsi məlumatlar çıxarışı {export.id}")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(
        0, 10, "Şəxsi məlumatlar haqqında çıxarış", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="C"
    )
    pdf.set_font("DejaVu", "", 10)
    for label, value in (
        ("Çıxarış:", str(export.id)),
        ("Şəxs:", str(export.applicant_id)),
        ("Sorğu tarixi:", export.requested_at.strftime("%d.%m.%Y")),
        ("Çap tarixi:", printed_on.strftime("%d.%m.%Y")),
        ("Əsas:", '"Fərdi məlumatlar haqqında" Azərbaycan Respublikasının Qanunu (2010)'),
    ):
        pdf.cell(40, LINE + 1, label)
        pdf.multi_cell(0, LINE + 1, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if export.content is None:
        pdf.ln(3)
        pdf.multi_cell(
            0,
            LINE + 1,
            "Şəxsin məlumatları sonradan silinib: çıxarışın məzmunu da silinib.",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        return bytes(pdf.output())
    content = export.content
    for service, title in SERVICES.items():
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(0, LINE + 2, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        part = content.get(service)
        if part is None:
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(
                0,
                LINE + 1,
                "Bu xidmət cavab vermədi: onun məlumatları çıxarışa daxil edilməyib.",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            continue
        for kind, rows in part.items():
            _records(pdf, kind, rows)
    return bytes(pdf.output())
