"""Every operation of every service's OpenAPI, and what partner A must get when it calls it with
B's objects in the path (tests/isolation/conftest.py makes them). A new route fails
test_every_route_has_an_entry until it is entered here.

Kinds of entry:
    owned      B's object by id: A gets a 404 problem (or the status given); B's key or staff
               reads the same object, so the object exists
    listing    A gets its own items only: none of B's; B's key (or staff) finds B's there
    shared     not a partner's: the same for everyone (catalogues, rounds, aggregates)
    staff      staff only: A's key is refused with 403 before anything is looked up
    own        A makes its own object: naming B's objects in the body gets A nothing of B's
    public     probes and examples, without a key
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from intake.imports.parser import template_csv
from tests.journey_support import APPLICANT

Kind = Literal["owned", "listing", "shared", "staff", "own", "public"]
Files = dict[str, tuple[str, bytes]]

# The query of an access request: refused to every partner, whatever the application.
ANY_APPLICATION = "?application_id=00000000-0000-0000-0000-0000000000a1"

# A body to send: the request body's example in the OpenAPI document.
EXAMPLE = "example"


@dataclass(frozen=True)
class Entry:
    kind: Kind
    status: int
    why: str = ""
    query: str = ""
    # JSON with "{param}" placeholders for B's objects, None for no body, or EXAMPLE.
    body: Any = EXAMPLE
    files: Files | None = None


def owned(status: int = 404, **fields: Any) -> Entry:
    return Entry("owned", status, **fields)


def listing(**fields: Any) -> Entry:
    return Entry("listing", 200, **fields)


def shared(why: str, status: int = 200, **fields: Any) -> Entry:
    return Entry("shared", status, why, **fields)


def staff(why: str = "staff only", **fields: Any) -> Entry:
    return Entry("staff", 403, why, **fields)


def own(status: int, why: str, **fields: Any) -> Entry:
    return Entry("own", status, why, **fields)


def public(why: str) -> Entry:
    return Entry("public", 200, why, body=None)


PROBES = {
    ("get", "/healthz"): public("liveness probe, no data"),
    ("get", "/readyz"): public("readiness probe, no data"),
}
PDF = b"%PDF-1.7\n" + b"\x00" * 64


def png() -> bytes:
    """A real image: photos are decoded and re-encoded on upload."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 150, 0)).save(out, "PNG")
    return out.getvalue()


PNG_FILE: Files = {"file": ("a.png", png())}
PDF_FILE: Files = {"file": ("act.pdf", PDF)}

ROUTES: dict[str, dict[tuple[str, str], Entry]] = {
    "intake": {
        **PROBES,
        ("post", "/v1/applicants"): own(
            201,
            "A refers B's referral's FIN: a claim for staff, nothing of B's shown",
            body={**APPLICANT, "fin": "{fin}"},
        ),
        ("get", "/v1/applicants"): listing(),
        ("post", "/v1/applicants/search"): listing(
            query="?purpose=case_review", body={"fin": "{fin}"}
        ),
        ("get", "/v1/applicants/{applicant_id}"): owned(query="?purpose=case_review"),
        ("patch", "/v1/applicants/{applicant_id}"): owned(),
        ("get", "/v1/applicants/{applicant_id}/audit"): staff("admins only"),
        ("get", "/v1/applicants/{applicant_id}/consents"): owned(),
        ("post", "/v1/applicants/{applicant_id}/consents"): staff("case officers record consent"),
        ("post", "/v1/applicants/{applicant_id}/access-requests"): staff("admins only"),
        ("get", "/v1/access-requests/{export_id}"): staff("admins only"),
        ("post", "/v1/applicants/{applicant_id}/erasure"): staff("admins only"),
        ("post", "/v1/applicants/{applicant_id}/duplicates/check"): staff(),
        ("get", "/v1/duplicates"): staff(),
        ("get", "/v1/duplicates/{flag_id}"): staff(),
        ("post", "/v1/duplicates/{flag_id}/dismiss"): staff(),
        ("post", "/v1/duplicates/{flag_id}/merge"): staff(),
        ("get", "/v1/referral-claims"): staff(),
        ("get", "/v1/referral-claims/{claim_id}"): staff(),
        ("post", "/v1/referral-claims/{claim_id}/link"): staff(),
        ("post", "/v1/referral-claims/{claim_id}/refuse"): staff(),
        ("post", "/v1/applications"): own(
            404,
            "A applies for B's applicant",
            body={"applicant_id": "{applicant_id}", "direction": "beekeeping"},
        ),
        ("get", "/v1/applications/{application_id}"): owned(),
        ("get", "/v1/applications/{application_id}/assessment"): owned(),
        ("post", "/v1/applications/{application_id}/enroll"): staff(),
        ("post", "/v1/applications/{application_id}/withdraw"): owned(),
        ("post", "/v1/applications/{application_id}/cancel"): staff(),
        ("get", "/v1/applications/{application_id}/decisions"): staff(),
        ("get", "/v1/exclusion-proposals"): staff(),
        ("get", "/v1/exclusion-proposals/{proposal_id}"): staff(),
        ("post", "/v1/exclusion-proposals/{proposal_id}/decision"): staff(),
        ("post", "/v1/rounds"): staff(),
        ("get", "/v1/rounds"): shared("rounds are the programme's, not a partner's"),
        ("get", "/v1/rounds/{round_id}"): shared("rounds are the programme's, not a partner's"),
        ("patch", "/v1/rounds/{round_id}"): staff(),
        ("post", "/v1/rounds/{round_id}/open"): staff(),
        ("post", "/v1/rounds/{round_id}/close"): staff(),
        ("post", "/v1/rounds/{round_id}/selections"): staff(),
        ("get", "/v1/rounds/{round_id}/selections"): staff(),
        ("get", "/v1/selections/{selection_id}"): staff(),
        ("get", "/v1/selections/{selection_id}/results"): staff(),
        ("post", "/v1/selections/{selection_id}/commit"): staff(),
        ("post", "/v1/selections/{selection_id}/discard"): staff(),
        ("post", "/v1/partners"): staff(),
        ("get", "/v1/partners"): listing(),
        ("get", "/v1/partners/me"): own(200, "A's own record"),
        ("get", "/v1/partners/{partner_id}"): owned(),
        ("patch", "/v1/partners/{partner_id}"): staff(),
        ("post", "/v1/partners/{partner_id}/memoranda"): staff(),
        ("get", "/v1/partners/{partner_id}/memoranda"): owned(),
        ("get", "/v1/partners/{partner_id}/memoranda/{memorandum_id}"): owned(),
        ("post", "/v1/partners/{partner_id}/api-keys"): staff(),
        ("get", "/v1/partners/{partner_id}/api-keys"): owned(),
        ("get", "/v1/partners/{partner_id}/api-keys/{key_id}"): owned(),
        ("post", "/v1/partners/{partner_id}/api-keys/{key_id}/rotate"): staff(),
        ("post", "/v1/partners/{partner_id}/api-keys/{key_id}/revoke"): staff(),
        ("post", "/v1/imports"): own(
            202,
            "A uploads its own file",
            body=None,
            files={"file": ("a.csv", template_csv().encode())},
        ),
        ("get", "/v1/imports"): listing(),
        ("get", "/v1/imports/template.csv"): public("an example file, the same for everyone"),
        ("get", "/v1/imports/{import_id}"): owned(),
        ("get", "/v1/imports/{import_id}/errors"): owned(),
        ("get", "/v1/imports/{import_id}/errors.csv"): owned(),
    },
    "plans": {
        **PROBES,
        ("get", "/v1/directions"): shared("the programme's directions"),
        ("post", "/v1/directions"): staff("admins only"),
        ("get", "/v1/directions/{code}"): shared("the programme's directions"),
        ("patch", "/v1/directions/{code}"): staff("admins only"),
        ("get", "/v1/participants"): listing(),
        ("get", "/v1/participants/{participant_id}"): owned(),
        ("post", "/v1/participants/{participant_id}/consultations"): owned(),
        ("get", "/v1/participants/{participant_id}/consultations"): owned(),
        ("post", "/v1/trainings/courses"): staff("admins only"),
        ("get", "/v1/trainings/courses"): shared("the course catalogue"),
        ("get", "/v1/trainings/courses/{course_id}"): shared("the course catalogue"),
        ("patch", "/v1/trainings/courses/{course_id}"): staff("admins only"),
        ("post", "/v1/trainings/sessions"): own(
            422,
            "A plans a session for B",
            body={
                "course_id": "{course_id}",
                "starts_on": "2027-04-05",
                "ends_on": "2027-04-05",
                "place": "x",
                "trainer": "y",
                "capacity": 3,
                "run_by_partner_id": "{partner_id}",
            },
        ),
        ("get", "/v1/trainings/sessions"): listing(),
        ("get", "/v1/trainings/sessions/{session_id}"): owned(),
        ("patch", "/v1/trainings/sessions/{session_id}"): owned(),
        ("post", "/v1/trainings/sessions/{session_id}/start"): owned(),
        ("post", "/v1/trainings/sessions/{session_id}/complete"): owned(),
        ("post", "/v1/trainings/sessions/{session_id}/cancel"): owned(),
        ("post", "/v1/trainings/sessions/{session_id}/enrolments"): owned(
            body={"participant_id": "{participant_id}"}
        ),
        ("get", "/v1/trainings/sessions/{session_id}/enrolments"): owned(),
        ("get", "/v1/trainings/sessions/{session_id}/enrolments/{participant_id}"): owned(),
        (
            "post",
            "/v1/trainings/sessions/{session_id}/enrolments/{participant_id}/cancel",
        ): owned(),
        ("put", "/v1/trainings/sessions/{session_id}/attendance/{day}"): owned(
            body={"participant_ids": ["{participant_id}"]}
        ),
        ("get", "/v1/trainings/sessions/{session_id}/attendance/{day}"): owned(),
        ("get", "/v1/participants/{participant_id}/trainings"): owned(),
        ("get", "/v1/business-plans"): listing(),
        ("get", "/v1/business-plans/{plan_id}"): owned(),
        ("patch", "/v1/business-plans/{plan_id}"): owned(),
        ("put", "/v1/business-plans/{plan_id}/items"): owned(),
        ("post", "/v1/business-plans/{plan_id}/submit"): owned(),
        ("post", "/v1/business-plans/{plan_id}/review"): staff("plan reviewers"),
        ("post", "/v1/business-plans/{plan_id}/request-changes"): staff("plan reviewers"),
        ("post", "/v1/business-plans/{plan_id}/reject"): staff("plan reviewers"),
        ("post", "/v1/business-plans/{plan_id}/approve"): staff("plan reviewers"),
        ("get", "/v1/business-plans/{plan_id}/versions"): owned(),
        ("get", "/v1/business-plans/{plan_id}/pdf"): owned(),
        ("get", "/v1/business-plans/{plan_id}/decisions"): owned(),
        ("get", "/v1/subject-access/plans"): staff("admins only", query=ANY_APPLICATION),
    },
    "assets": {
        **PROBES,
        ("get", "/v1/asset-types"): shared("the asset catalogue"),
        ("post", "/v1/asset-types"): staff("admins only"),
        ("get", "/v1/asset-types/{code}"): shared("the asset catalogue"),
        ("patch", "/v1/asset-types/{code}"): staff("admins only"),
        ("get", "/v1/suppliers"): staff(),
        ("post", "/v1/suppliers"): staff("admins only"),
        ("get", "/v1/suppliers/{supplier_id}"): staff(),
        ("patch", "/v1/suppliers/{supplier_id}"): staff("admins only"),
        ("put", "/v1/suppliers/{supplier_id}/prices"): staff("admins only"),
        ("post", "/v1/funds"): staff("admins only"),
        ("get", "/v1/funds"): listing(),
        ("get", "/v1/funds/{fund_id}"): owned(),
        ("post", "/v1/funds/{fund_id}/budgets"): staff("admins only"),
        ("get", "/v1/funds/{fund_id}/budgets"): owned(),
        ("get", "/v1/funds/{fund_id}/budgets/{budget_id}"): owned(),
        ("post", "/v1/funds/{fund_id}/budgets/{budget_id}/top-ups"): staff("admins only"),
        ("post", "/v1/funds/{fund_id}/budgets/{budget_id}/reductions"): staff("admins only"),
        ("get", "/v1/funds/{fund_id}/ledger"): owned(query="?round=isolation"),
        ("get", "/v1/orders"): listing(),
        ("get", "/v1/orders/{order_id}"): owned(),
        ("get", "/v1/orders/{order_id}/decisions"): owned(),
        ("get", "/v1/subject-access/assets"): staff("admins only", query=ANY_APPLICATION),
        ("put", "/v1/orders/{order_id}/terms"): staff(),
        ("post", "/v1/orders/{order_id}/approve-price"): staff("admins only"),
        ("post", "/v1/orders/{order_id}/place"): staff(),
        ("post", "/v1/orders/{order_id}/cancel"): staff(),
        ("post", "/v1/deliveries"): staff(
            "asset officers",
            body={
                "order_id": "{order_id}",
                "delivered_on": "2026-05-01",
                "place": "Şəki",
                "signed_by": "participant",
                "items": [],
            },
        ),
        ("get", "/v1/deliveries"): listing(),
        ("get", "/v1/deliveries/{delivery_id}"): owned(),
        ("post", "/v1/deliveries/{delivery_id}/act"): staff(body=None, files=PDF_FILE),
        ("get", "/v1/deliveries/{delivery_id}/act"): staff(),
        ("get", "/v1/items"): listing(query="?serial=HIVE-B-1"),
        ("get", "/v1/items/{item_id}"): owned(),
        ("get", "/v1/serial-flags"): staff(),
    },
    "monitoring": {
        **PROBES,
        ("get", "/v1/visits"): listing(),
        ("get", "/v1/visits/{visit_id}"): owned(),
        ("post", "/v1/visits/{visit_id}/assign"): staff("case officers"),
        ("get", "/v1/visits/{visit_id}/report"): owned(),
        ("post", "/v1/visits/{visit_id}/report"): owned(),
        ("put", "/v1/visits/{visit_id}/report"): owned(),
        ("post", "/v1/visits/{visit_id}/photos"): owned(body=None, files=PNG_FILE),
        ("get", "/v1/visits/{visit_id}/photos"): owned(),
        ("get", "/v1/visits/{visit_id}/photos/{photo_id}"): owned(),
        ("put", "/v1/monitors/{monitor_id}"): staff("admins only"),
        ("get", "/v1/monitors/{monitor_id}"): staff(),
        ("get", "/v1/monitors"): staff("case officers"),
        ("get", "/v1/cases"): listing(),
        ("get", "/v1/cases/{participant_id}"): owned(),
        ("post", "/v1/cases/{participant_id}/close"): staff(),
        ("get", "/v1/flags"): listing(),
        ("get", "/v1/flags/{flag_id}"): owned(),
        ("post", "/v1/flags/{flag_id}/assign"): staff(),
        ("post", "/v1/flags/{flag_id}/resolve"): staff(),
        ("post", "/v1/flags/overdue-check"): staff("admins only"),
        ("get", "/v1/flag-rules"): shared("the programme's rules"),
        ("get", "/v1/flag-rules/{code}"): shared("the programme's rules"),
        ("put", "/v1/flag-rules/{code}"): staff("admins only"),
        ("get", "/v1/cases/{participant_id}/timeline"): owned(),
        ("get", "/v1/reports/participants"): shared("programme totals, no ids"),
        ("get", "/v1/reports/funnel"): shared("programme totals, no ids"),
        ("get", "/v1/reports/survival"): shared("programme totals, no ids"),
        ("get", "/v1/reports/partners"): listing(),
        ("get", "/v1/reports/partners/{partner_id}"): owned(),
        ("get", "/v1/reports/budgets"): listing(),
        ("get", "/v1/reports/grievances"): staff("analysts and admins"),
        ("get", "/v1/decisions"): listing(),
        ("post", "/v1/grievances"): own(
            404,
            "a person A did not refer is not found",
            body={
                "application_id": "{participant_id}",
                "type": "grievance",
                "category": "data_error",
                "channel": "partner",
            },
        ),
        ("get", "/v1/grievances"): listing(),
        ("get", "/v1/grievances/{grievance_id}"): owned(),
        ("post", "/v1/grievances/{grievance_id}/assign"): staff("case officers"),
        ("post", "/v1/grievances/{grievance_id}/acknowledge"): staff("case officers", body=None),
        ("post", "/v1/grievances/{grievance_id}/resolve"): staff("case officers"),
        ("get", "/v1/subject-access/monitoring"): staff(
            "admins only", query="?application_id=0b8f2f0e-3c1a-4d6e-9a51-2b7c0d9e4f11"
        ),
    },
}
