"""An approved plan printed as a PDF in Azerbaijani: generated, opened, and read back."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.plans.plans_support import BEEHIVES, enrol, to_approved
from tests.service_fixtures import Auth, Service


async def test_approved_plan_prints_with_its_items_and_amounts(plans: Service, auth: Auth) -> None:
    officer, reviewer = auth("case_officer"), auth("plan_reviewer")
    plan = await enrol(plans, auth, "beekeeping")
    url = f"/v1/business-plans/{plan['id']}/pdf"
    draft = await plans.client.get(url, headers=officer)
    assert draft.status_code == 409
    assert draft.json()["current_state"] == "draft"

    await to_approved(plans, plan, officer, reviewer, BEEHIVES)
    printed = await plans.client.get(url, headers=officer)
    assert printed.status_code == 200
    assert printed.headers["content-type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF-")

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(printed.content)).pages)
    for expected in (
        "Biznes plan",
        "Arıçılıq",  # the direction's Azerbaijani name, with ı
        plan["participant_id"],
        "beehive",
        "honey-extractor",
        "150.50 AZN",
        "301.00 AZN",
        "420.00 AZN",
        "721.00 AZN",  # the total
        "100.00 AZN",  # the participant's own contribution
        "İştirakçının imzası",  # İ, ş, ç, ı
        "Şəxsi töhfə",  # Ş, ə, ö
        "Gözlənilən aylıq gəlir və xərclər",  # ö, ə, ı
    ):
        assert expected in text, expected
    assert "Aygün" not in text  # plans knows no names: only the participant's id
