"""One row of a referral file checked against the API's own input models (ApplicantIn,
ApplicationIn), so an imported referral obeys exactly the rules of one posted by hand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from intake.applicants.pii import FinProtector
from intake.applicants.schemas import ApplicantIn
from intake.applications.schemas import ApplicationIn
from shared.i18n import translate
from shared.problems import field_errors

_LIST_SEPARATOR = ";"
# Where an error inside a category entry points to in the file.
_EVIDENCE_COLUMNS = {
    "document_type": "document_type",
    "number": "document_number",
    "issued_on": "document_issued_on",
}
_FIN = TypeAdapter(Annotated[str, *ApplicantIn.model_fields["fin"].metadata])
_APPLICANT_FIELDS = [name for name in ApplicantIn.model_fields if name != "categories"]
_PLACEHOLDER_ID = uuid.UUID(int=0)  # the applicant's id is not known while validating


@dataclass(frozen=True)
class RowError:
    row: int
    field: str | None  # the column at fault, or None for the row as a whole
    code: str
    message: str


@dataclass(frozen=True)
class Referral:
    """A row that passed validation: the person, and what they are referred for."""

    row: int
    fin_hash: str
    applicant_id: uuid.UUID  # of the applicants row made if the person is new: binds the FIN
    fin_ciphertext: bytes
    applicant: ApplicantIn
    direction: str


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(_LIST_SEPARATOR)] if cell else []


def applicant_input(values: dict[str, str]) -> dict[str, Any]:
    """The file's columns as ApplicantIn's fields: blank cells are left out, categories are
    "a;b" with their documents given in the same order in the document_* columns."""
    data: dict[str, Any] = {name: values[name] for name in _APPLICANT_FIELDS if values.get(name)}
    types, numbers, dates = (
        _split(values.get(column, "")) for column in _EVIDENCE_COLUMNS.values()
    )
    group = values.get("disability_group") or None
    categories: list[dict[str, Any]] = []
    for index, category in enumerate(_split(values.get("categories", ""))):
        evidence = {
            key: items[index]
            for key, items in (("document_type", types), ("number", numbers), ("issued_on", dates))
            if index < len(items) and items[index]
        }
        entry: dict[str, Any] = {"category": category, "evidence": evidence}
        if category == "disability":
            entry["disability_group"] = group
        categories.append(entry)
    if categories:
        data["categories"] = categories
    return data


def _column(location: tuple[int | str, ...]) -> str | None:
    if not location:
        return None
    head = str(location[0])
    if head == "categories" and len(location) >= 3:
        if location[2] == "disability_group":
            return "disability_group"
        if location[2] == "evidence" and len(location) >= 4:
            return _EVIDENCE_COLUMNS.get(str(location[3]), "categories")
    return head


def _errors(row: int, exc: ValidationError, language: str) -> list[RowError]:
    found = []
    for error, field in zip(exc.errors(), field_errors(exc.errors(), language), strict=True):
        found.append(RowError(row, _column(error["loc"]), field.code, field.message))
    return found


def fin_hash_of(values: dict[str, str], fins: FinProtector) -> str | None:
    """The keyed hash of the row's FIN when the FIN itself is well formed."""
    try:
        return fins.hash(_FIN.validate_python(values.get("fin", "")))
    except ValidationError:
        return None


def check_row(
    row: int,
    values: dict[str, str],
    fins: FinProtector,
    round_id: uuid.UUID | None,
    language: str,
    *,
    fin_hash: str | None = None,
) -> Referral | list[RowError]:
    """`fin_hash`: the FIN's hash if the caller has it already (see fin_hash_of)."""
    errors: list[RowError] = []
    applicant: ApplicantIn | None = None
    try:
        applicant = ApplicantIn.model_validate(applicant_input(values))
    except ValidationError as exc:
        errors += _errors(row, exc, language)
    if values.get("disability_group") and "disability" not in _split(values.get("categories", "")):
        message = translate("pydantic.disability_group_not_allowed", language)
        errors.append(RowError(row, "disability_group", "disability_group_not_allowed", message))
    try:
        application = ApplicationIn.model_validate(
            {
                "applicant_id": _PLACEHOLDER_ID,
                "round_id": round_id,
                "direction": values.get("direction"),
            }
        )
    except ValidationError as exc:
        errors += _errors(row, exc, language)
    if errors or applicant is None:
        return errors
    applicant_id = uuid.uuid4()
    return Referral(
        row=row,
        fin_hash=fin_hash or fins.hash(applicant.fin),
        applicant_id=applicant_id,
        fin_ciphertext=fins.encrypt(applicant.fin, applicant_id),
        applicant=applicant,
        direction=application.direction,
    )
