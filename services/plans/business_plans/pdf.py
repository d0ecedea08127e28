"""An approved plan printed in Azerbaijani, for the participant's signature.

Plans holds no names: the page shows the participant's id and a blank line to sign on. DejaVu
(shipped with matplotlib) has every Azerbaijani letter (ə, ğ, ı, İ, ö, ş, ü, ç).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from plans.business_plans.models import BusinessPlan
from plans.business_plans.schemas import Projection
from plans.directions.models import Direction

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
LINE = 6


def _money(amount: Decimal | None) -> str:
    return "—" if amount is None else f"{amount:,.2f} AZN".replace(",", " ")


def _day(moment: datetime | date | None) -> str:
    return "—" if moment is None else moment.strftime("%d.%m.%Y")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, LINE + 1, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 10)


def _field(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(55, LINE, label)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, LINE, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_plan(plan: BusinessPlan, direction: Direction | None, printed_on: date) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"Biznes plan {plan.id}")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()

    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 10, "Biznes plan", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="C")
    pdf.set_font("DejaVu", "", 10)
    _field(pdf, "Plan:", str(plan.id))
    _field(pdf, "İştirakçı:", str(plan.participant_id))
    _field(pdf, "İstiqamət:", direction.name_az if direction is not None else plan.direction)
    _field(pdf, "Təsdiq tarixi:", _day(plan.approved_at))
    _field(pdf, "Çap tarixi:", _day(printed_on))

    _heading(pdf, "Plan")
    _field(pdf, "Fəaliyyət:", plan.activity or "—")
    _field(pdf, "Fəaliyyət yeri:", plan.place or "—")
    _field(pdf, "Bazar və müştərilər:", plan.market or "—")
    jobs = "—" if plan.jobs_created is None else str(plan.jobs_created)
    _field(pdf, "Yaradılan iş yerləri:", jobs)
    _field(pdf, "Şəxsi töhfə:", _money(plan.own_contribution))

    _assets(pdf, plan)
    _projections(pdf, plan)
    _signature(pdf)
    return bytes(pdf.output())


def _assets(pdf: FPDF, plan: BusinessPlan) -> None:
    _heading(pdf, "Tələb olunan aktivlər")
    with pdf.table(
        col_widths=(70, 25, 45, 45), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT")
    ) as table:
        table.row(("Aktiv", "Miqdar", "Vahid qiyməti", "Cəmi"))
        for item in plan.items:
            table.row(
                (item.asset_type, str(item.quantity), _money(item.unit_price), _money(item.total))
            )
        table.row(("Yekun", "", "", _money(plan.total)))


def _projections(pdf: FPDF, plan: BusinessPlan) -> None:
    projections = [Projection.model_validate(p) for p in plan.projections]
    if not projections:
        return
    _heading(pdf, "Gözlənilən aylıq gəlir və xərclər (12 ay)")
    with pdf.table(
        col_widths=(25, 50, 50, 50), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT")
    ) as table:
        table.row(("Ay", "Gəlir", "Xərc", "Xalis"))
        for p in sorted(projections, key=lambda p: p.month):
            table.row((str(p.month), _money(p.income), _money(p.costs), _money(p.income - p.costs)))


def _signature(pdf: FPDF) -> None:
    pdf.ln(12)
    pdf.cell(
        0, LINE, "İştirakçının imzası: ______________________", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(4)
    pdf.cell(0, LINE, "Tarix: ____ . ____ . ________", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
