"""Applicants: registration, personal data and its audit, search, and the one-benefit rule.
Functions flush, never commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    String,
    Text,
    Uuid,
    any_,
    bindparam,
    delete,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.duplicates import flag_duplicates
from intake.applicants.models import (
    Applicant,
    ApplicantCategory,
    AuditEntry,
    Category,
    ClaimStatus,
    Purpose,
    ReferralClaim,
    consented_links,
)
from intake.applicants.names import folded_full_name, search_tokens
from intake.applicants.pii import FinProtector
from intake.applicants.repository import ApplicantRepository, people_only
from intake.applicants.schemas import (
    ApplicantIn,
    ApplicantOut,
    ApplicantSummary,
    ApplicantUpdate,
    CategoryIn,
    CategoryOut,
    Evidence,
)
from intake.privacy.models import Consent
from intake.privacy.registration import registration_consents
from shared.auth import Principal, Role
from shared.db import add_in_savepoint, utcnow
from shared.paging import Page, PageParams, paginate
from shared.problems import Conflict, FieldError, Forbidden, NotFound, Problem, ValidationProblem
from shared.repository import partner_of

log = logging.getLogger(__name__)

_DUPLICATE_FIN = FieldError(field="body.fin", code="duplicate", message="field.fin-registered")

# The audit rows of searches: one per search, with the ids it returned in `result_ids`.
SEARCH_AUDIT_RESOURCE = "applicant_search"


_HASH_ARRAY = postgresql.ARRAY(String(64))

# --- Who may see personal fields ----------------------------------------------------------------


def may_see_personal_data(principal: Principal) -> bool:
    """Case officers and admins; a partner too, but it only ever reaches its own referrals."""
    return partner_of(principal) is not None or principal.has_any_role(Role.case_officer)


def default_purpose(principal: Principal) -> Purpose:
    return Purpose.partner_referral if partner_of(principal) is not None else Purpose.case_review


def audit(
    session: AsyncSession,
    principal: Principal,
    action: str,
    resource_id: uuid.UUID,
    *,
    purpose: str | None = None,
    reason: str | None = None,
    resource: str = "applicant",
) -> None:
    session.add(
        AuditEntry(
            principal=principal.id,
            action=action,
            resource=resource,
            resource_id=resource_id,
            purpose=purpose,
            reason=reason,
        )
    )


# --- Registration and changes -------------------------------------------------------------------


def category_values(applicant_id: uuid.UUID, entry: CategoryIn) -> dict[str, Any]:
    """One applicant_categories row."""
    return {
        "id": uuid.uuid4(),
        "applicant_id": applicant_id,
        "category": entry.category,
        "disability_group": entry.disability_group,
        "document_type": entry.evidence.document_type,
        "document_number": entry.evidence.number,
        "issued_on": entry.evidence.issued_on,
    }


def _category_rows(
    applicant_id: uuid.UUID, entries: Sequence[CategoryIn]
) -> list[ApplicantCategory]:
    return [ApplicantCategory(**category_values(applicant_id, entry)) for entry in entries]


@dataclass(frozen=True)
class NewApplicant:
    """A person's applicants row and applicant_categories rows, ready to insert."""

    values: dict[str, Any]
    categories: list[dict[str, Any]]


def new_applicant(
    data: ApplicantIn,
    *,
    applicant_id: uuid.UUID,
    fin_hash: str,
    fin_ciphertext: bytes,
    referred_by_partner_id: uuid.UUID | None,
    now: datetime,
    claimed: bool = False,
) -> NewApplicant:
    """The rows of a person registered from `data` (its FIN already hashed, and encrypted with
    `applicant_id`); `claimed`: a partner's claim on a FIN registered outside its referrals (see
    ReferralClaim)."""
    values: dict[str, Any] = {
        "id": applicant_id,
        "fin_hash": fin_hash,
        "fin_ciphertext": fin_ciphertext,
        "first_name": data.first_name,
        "last_name": data.last_name,
        "patronymic": data.patronymic,
        "name_folded": folded_full_name(data.last_name, data.first_name, data.patronymic),
        "birth_date": data.birth_date,
        "sex": data.sex,
        "phone": data.phone,
        "address": data.address,
        "region": data.region,
        "household_size": data.household_size,
        "categories": [entry.category.value for entry in data.categories],
        "referred_by_partner_id": referred_by_partner_id,
        "claimed": claimed,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    categories = [category_values(applicant_id, entry) for entry in data.categories]
    return NewApplicant(values, categories)


@dataclass(frozen=True)
class FinRegistration:
    """A FIN as its registrant may know it. `own_id`: the record the registrant may use (for staff
    the registered person; for a partner its own referral, or the person linked to it with
    consent). `person_id` alone: registered, but outside the partner's referrals, so the
    registration becomes a claim on that person. Neither: a new person."""

    own_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None


NEW_FIN = FinRegistration()


# Built once (its cache key too): one array parameter however many FINs, as an import asks for a
# chunk's FINs at once.
_FIN_HOLDERS = select(
    Applicant.fin_hash,
    Applicant.id,
    Applicant.claimed,
    Applicant.referred_by_partner_id,
    Applicant.merged_into_id,
).where(Applicant.fin_hash == any_(bindparam("fin_hashes", type_=_HASH_ARRAY)))


async def fin_registrations(
    session: AsyncSession, fin_hashes: Sequence[str], registrant: uuid.UUID | None
) -> dict[str, FinRegistration]:
    """How each registered FIN (keyed hash) stands for the registrant, a partner (None: staff);
    FINs not registered are left out. The one decision of the API and the import alike."""
    if not fin_hashes:
        return {}
    rows = (await session.execute(_FIN_HOLDERS, {"fin_hashes": list(fin_hashes)})).all()
    holders: dict[str, list[Any]] = {}
    for row in rows:
        holders.setdefault(row.fin_hash, []).append(row)
    # The registered person of each FIN (a claim is only ever made on a registered person).
    people = {
        fin_hash: person
        for fin_hash, group in holders.items()
        if (person := next((row for row in group if not row.claimed), None)) is not None
    }
    if registrant is None:  # staff know every registered person
        return {fin_hash: FinRegistration(own_id=person.id) for fin_hash, person in people.items()}
    # Even when nothing was found: the same statements either way.
    ids = bindparam("people", [p.id for p in people.values()], postgresql.ARRAY(Uuid))
    linked = set(
        await session.scalars(
            consented_links(registrant).where(ReferralClaim.person_id == any_(ids))
        )
    )
    found: dict[str, FinRegistration] = {}
    for fin_hash, person in people.items():
        if person.referred_by_partner_id == registrant or person.id in linked:
            found[fin_hash] = FinRegistration(own_id=person.id)
            continue
        mine = next(
            (
                row
                for row in holders[fin_hash]
                if row.claimed
                and row.referred_by_partner_id == registrant
                and row.merged_into_id is None
            ),
            None,
        )
        found[fin_hash] = (
            FinRegistration(own_id=mine.id) if mine else FinRegistration(person_id=person.id)
        )
    return found


def claim_values(
    applicant_id: uuid.UUID, person_id: uuid.UUID, partner_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    """A pending referral_claims row."""
    return {
        "id": uuid.uuid4(),
        "applicant_id": applicant_id,
        "person_id": person_id,
        "partner_id": partner_id,
        "status": ClaimStatus.pending,
        "created_at": now,
        "version": 1,
    }


async def create_applicant(
    session: AsyncSession, fins: FinProtector, data: ApplicantIn, principal: Principal
) -> Applicant:
    """Registers a person and flags possible duplicates; 409 on a FIN the registrant knows
    (staff: any registered FIN; a partner: its own referrals). A partner's FIN registered outside
    its referrals is answered alike, as a record of its own, and waits for a case officer's
    review as a referral claim: being registered is itself sensitive."""
    fin_hash = fins.hash(data.fin)
    registrant = partner_of(principal)
    for attempt in range(2):
        registrations = await fin_registrations(session, [fin_hash], registrant)
        found = registrations.get(fin_hash, NEW_FIN)
        now = utcnow()
        if found.own_id is not None:
            known = await load_applicant(session, found.own_id)
            if known.erased_at is None:
                raise Conflict("detail.applicant-exists", errors=[_DUPLICATE_FIN])
            return await _register_again(session, fins, known, data, principal, now)
        applicant_id = uuid.uuid4()
        new = new_applicant(
            data,
            applicant_id=applicant_id,
            fin_hash=fin_hash,
            fin_ciphertext=fins.encrypt(data.fin, applicant_id),
            referred_by_partner_id=registrant,
            now=now,
            claimed=found.person_id is not None,
        )
        applicant = Applicant(**new.values)
        rows: list[object] = [
            applicant,
            *(ApplicantCategory(**values) for values in new.categories),
            *registration_consents(applicant, data.consent, principal, now),
        ]
        if found.person_id is not None:
            assert registrant is not None  # only a partner's registration becomes a claim
            claim = claim_values(applicant.id, found.person_id, registrant, now)
            rows.append(ReferralClaim(**claim))
        try:
            # A concurrent twin with the same FIN is a conflict, not a failed request; one
            # registered meanwhile by someone else is looked at again.
            await add_in_savepoint(session, *rows)
        except IntegrityError as exc:
            if attempt or registrant is None:
                raise Conflict("detail.applicant-exists", errors=[_DUPLICATE_FIN]) from exc
            continue
        await flag_duplicates(session, applicant, new=True)  # a claim's writes nothing
        return applicant
    raise AssertionError("unreachable")


# What a registration sets again on the record of a person erased before (see below).
_REFILLED = (
    "first_name",
    "last_name",
    "patronymic",
    "name_folded",
    "birth_date",
    "sex",
    "phone",
    "address",
    "region",
    "household_size",
    "categories",
)


async def _register_again(
    session: AsyncSession,
    fins: FinProtector,
    applicant: Applicant,
    data: ApplicantIn,
    principal: Principal,
    now: datetime,
) -> Applicant:
    """A person erased before registers again: their record (the FIN hash kept at erasure) gets
    the personal fields back, so that a benefit or exclusion recorded before still holds."""
    new = new_applicant(
        data,
        applicant_id=applicant.id,
        fin_hash=applicant.fin_hash,
        fin_ciphertext=fins.encrypt(data.fin, applicant.id),
        referred_by_partner_id=applicant.referred_by_partner_id,
        now=now,
    )
    for field in ("fin_ciphertext", *_REFILLED):
        setattr(applicant, field, new.values[field])
    applicant.erased_at = None
    applicant.erasure_basis = None
    # The consents given now replace those given before the erasure.
    await session.execute(
        update(Consent)
        .where(Consent.applicant_id == applicant.id, Consent.superseded_at.is_(None))
        .values(superseded_at=now)
    )
    session.add_all([ApplicantCategory(**values) for values in new.categories])
    session.add_all(registration_consents(applicant, data.consent, principal, now))
    audit(session, principal, "register_again", applicant.id)
    await session.flush()
    return applicant


async def load_applicant(session: AsyncSession, applicant_id: uuid.UUID) -> Applicant:
    """The applicant whoever asks: for the work behind a check made already (an application's,
    an event's). A caller's read goes through ApplicantRepository."""
    applicant = await session.get(Applicant, applicant_id)
    if applicant is None:
        raise NotFound("applicant", applicant_id)
    return applicant


async def update_applicant(
    session: AsyncSession, applicant: Applicant, changes: ApplicantUpdate, principal: Principal
) -> Applicant:
    check_not_erased(applicant)
    sent = changes.model_fields_set
    for field in ("phone", "address", "household_size"):
        if field in sent:
            setattr(applicant, field, getattr(changes, field))
    if changes.region is not None:
        applicant.region = changes.region
    if changes.categories is not None:
        await session.execute(
            delete(ApplicantCategory).where(ApplicantCategory.applicant_id == applicant.id)
        )
        session.add_all(_category_rows(applicant.id, changes.categories))
        applicant.categories = [entry.category.value for entry in changes.categories]
    audit(session, principal, "update", applicant.id, reason=",".join(sorted(sent)))
    await session.flush()
    return applicant


def audit_query(applicant_id: uuid.UUID) -> Select[AuditEntry]:
    """The applicant's audit log: reads and changes of their record, and the searches that
    returned them (reads of their data too)."""
    return select(AuditEntry).where(
        (AuditEntry.resource == "applicant") & (AuditEntry.resource_id == applicant_id)
        | (AuditEntry.resource == SEARCH_AUDIT_RESOURCE)
        & AuditEntry.result_ids.contains([applicant_id])
    )


class ApplicantErased(Problem):
    """Erased: nothing of the person is shown, not even what was erased."""

    def __init__(self) -> None:
        super().__init__(410, "applicant-erased", detail="detail.applicant-erased")


def check_not_erased(applicant: Applicant) -> None:
    if applicant.erased_at is not None:
        raise ApplicantErased()


# --- Reading: summaries for all, personal fields audited ----------------------------------------


async def _category_details(
    session: AsyncSession, applicant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CategoryOut]]:
    rows = await session.scalars(
        select(ApplicantCategory)
        .where(ApplicantCategory.applicant_id.in_(applicant_ids))
        .order_by(ApplicantCategory.category)
    )
    details: dict[uuid.UUID, list[CategoryOut]] = {id_: [] for id_ in applicant_ids}
    for row in rows:
        details[row.applicant_id].append(
            CategoryOut(
                category=row.category,
                disability_group=row.disability_group,
                evidence=Evidence(
                    document_type=row.document_type,
                    number=row.document_number,
                    issued_on=row.issued_on,
                ),
            )
        )
    return details


def category_details_of(entries: Sequence[CategoryIn]) -> list[CategoryOut]:
    """The categories just registered, as `_category_details` would read them back."""
    return [
        CategoryOut(
            category=entry.category,
            disability_group=entry.disability_group,
            evidence=entry.evidence,
        )
        for entry in sorted(entries, key=lambda entry: entry.category.value)
    ]


async def reveal_applicants(
    session: AsyncSession,
    fins: FinProtector,
    applicants: Sequence[Applicant],
    principal: Principal,
    *,
    purpose: Purpose | None = None,
    categories: Mapping[uuid.UUID, list[CategoryOut]] | None = None,
) -> list[ApplicantOut]:
    """The applicants with personal fields; each read is written to the audit log with its
    purpose. Callers check `may_see_personal_data` (and partner scoping) first. `categories`:
    the applicants' category details when the caller has them (it just registered them)."""
    why = (purpose or default_purpose(principal)).value
    viewer = partner_of(principal)
    for applicant in applicants:
        check_not_erased(applicant)
    if categories is None:
        details = await _category_details(session, [a.id for a in applicants])
    else:
        details = {applicant.id: categories[applicant.id] for applicant in applicants}
    out = []
    for applicant in applicants:
        audit(session, principal, "read", applicant.id, purpose=why)
        summary = ApplicantSummary.model_validate(applicant).model_dump()
        if viewer is not None and summary["referred_by_partner_id"] != viewer:
            summary["referred_by_partner_id"] = None  # another partner's: not this one's to know
        out.append(
            ApplicantOut(
                **summary,
                fin=fins.decrypt(applicant.fin_ciphertext, applicant.id),
                first_name=applicant.first_name,
                last_name=applicant.last_name,
                patronymic=applicant.patronymic,
                birth_date=applicant.birth_date,
                phone=applicant.phone,
                address=applicant.address,
                category_details=details[applicant.id],
            )
        )
    await session.flush()
    return out


async def reveal_applicant(
    session: AsyncSession,
    fins: FinProtector,
    applicant: Applicant,
    principal: Principal,
    *,
    purpose: Purpose | None = None,
    categories: list[CategoryOut] | None = None,
) -> ApplicantOut:
    known = None if categories is None else {applicant.id: categories}
    (out,) = await reveal_applicants(
        session, fins, [applicant], principal, purpose=purpose, categories=known
    )
    return out


@dataclass(frozen=True)
class ApplicantFilters:
    fin: str | None = None  # normalised (upper case)
    name: str | None = None
    region: str | None = None
    category: Category | None = None
    benefited: bool | None = None
    include_merged: bool = False


def search_statement(
    session: AsyncSession, fins: FinProtector, filters: ApplicantFilters, principal: Principal
) -> Select[Applicant]:
    stmt = ApplicantRepository(session).query(principal, people_only(principal))
    if not filters.include_merged:
        stmt = stmt.where(Applicant.merged_into_id.is_(None))
    if filters.fin is not None:
        stmt = stmt.where(Applicant.fin_hash == fins.hash(filters.fin))
    if filters.name is not None:
        # Every word typed must start a word of the folded name: "memmed ayg" finds
        # "Məmmədova Aygün". Folded tokens are letters and digits only, so they are safe in
        # LIKE and regex patterns; LIKE and ~ both use the trigram index.
        for token in search_tokens(filters.name):
            stmt = stmt.where(
                Applicant.name_folded.like(f"%{token}%"),
                Applicant.name_folded.regexp_match(f"(^| ){token}"),
            )
    if filters.region is not None:
        stmt = stmt.where(Applicant.region == filters.region)
    if filters.category is not None:
        # @> so that the GIN index on the array is used.
        categories = type_coerce(Applicant.categories, postgresql.ARRAY(Text))
        stmt = stmt.where(categories.contains([filters.category.value]))
    if filters.benefited is not None:
        stmt = stmt.where(
            Applicant.benefited_at.is_not(None)
            if filters.benefited
            else Applicant.benefited_at.is_(None)
        )
    return stmt


def searches_personal_data(filters: ApplicantFilters) -> bool:
    return filters.fin is not None or filters.name is not None


def check_may_search(
    principal: Principal, filters: ApplicantFilters, purpose: Purpose | None
) -> None:
    """A search by FIN or name is a read of personal data: only for the roles that may read it
    (a partner within its own referrals), and only with a purpose (403, else 422)."""
    if not searches_personal_data(filters):
        return
    if not may_see_personal_data(principal):
        raise Forbidden("detail.search-personal-data")
    if purpose is None:
        raise ValidationProblem(
            [FieldError(field="query.purpose", code="missing", message="field.purpose-required")]
        )


async def search_applicants(
    session: AsyncSession,
    fins: FinProtector,
    filters: ApplicantFilters,
    params: PageParams,
    principal: Principal,
    *,
    purpose: Purpose | None = None,
) -> Page[ApplicantOut] | Page[ApplicantSummary]:
    """A page of applicants, oldest first: with personal fields (audited) for the roles that may
    see them, else summaries. A search by FIN or name (see check_may_search) is itself one audit
    row: its purpose, which criteria were given (never their values) and the ids it returned."""
    check_may_search(principal, filters, purpose)
    page: Page[Applicant] = await paginate(
        session,
        search_statement(session, fins, filters, principal),
        key_columns=(Applicant.created_at, Applicant.id),
        params=params,
        to_item=lambda applicant: applicant,
    )
    if searches_personal_data(filters):
        assert purpose is not None
        given = [name for name, value in vars(filters).items() if value not in (None, False)]
        session.add(
            AuditEntry(
                principal=principal.id,
                action="search",
                resource=SEARCH_AUDIT_RESOURCE,
                resource_id=uuid.uuid4(),
                purpose=purpose.value,
                reason="criteria:" + ",".join(given),
                result_ids=[applicant.id for applicant in page.items],
            )
        )
    if may_see_personal_data(principal):
        items = await reveal_applicants(session, fins, page.items, principal, purpose=purpose)
        return Page[ApplicantOut](items=items, next_cursor=page.next_cursor)
    await session.flush()
    return Page[ApplicantSummary](
        items=[ApplicantSummary.model_validate(a) for a in page.items],
        next_cursor=page.next_cursor,
    )


# --- One person, one benefit --------------------------------------------------------------------


class AlreadyBenefited(Problem):
    def __init__(self, benefited_at: datetime) -> None:
        super().__init__(
            409,
            "already-benefited",
            detail="detail.already-benefited",
            params={"benefited_at": benefited_at.date().isoformat()},
            extras={"benefited_at": benefited_at},
        )


async def resolve_merged(session: AsyncSession, applicant: Applicant) -> Applicant:
    """The applicant a merged one now lives on (merges never form cycles)."""
    while applicant.merged_into_id is not None:
        applicant = await load_applicant(session, applicant.merged_into_id)
    return applicant


async def record_benefit(
    session: AsyncSession,
    applicant_id: uuid.UUID,
    *,
    at: datetime,
    application_id: uuid.UUID,
) -> Applicant:
    """Marks the person as having received assets; the first benefit's date is kept."""
    applicant = await resolve_merged(session, await load_applicant(session, applicant_id))
    if applicant.benefited_at is None or at < applicant.benefited_at:
        applicant.benefited_at = at
        applicant.benefited_application_id = application_id
        await session.flush()
    return applicant


async def record_exclusion(
    session: AsyncSession,
    applicant_id: uuid.UUID,
    *,
    at: datetime,
    rule: str,
    flag_id: uuid.UUID,
) -> Applicant:
    """Marks the person as excluded from the programme (a case officer decided on monitoring's
    proposal, e.g. the assets were sold); the first exclusion is kept."""
    applicant = await resolve_merged(session, await load_applicant(session, applicant_id))
    if applicant.excluded_at is None:
        applicant.excluded_at = at
        applicant.excluded_rule = rule
        applicant.excluded_flag_id = flag_id
        await session.flush()
    return applicant


async def lift_exclusion(session: AsyncSession, flag_id: uuid.UUID) -> None:
    """An upheld appeal lifts the exclusion `flag_id` led to, wherever a merge carried it (an
    exclusion for another flag stays)."""
    await session.execute(
        update(Applicant)
        .where(Applicant.excluded_flag_id == flag_id)
        .values(
            excluded_at=None,
            excluded_rule=None,
            excluded_flag_id=None,
            version=Applicant.version + 1,
        )
        .execution_options(synchronize_session="fetch")
    )


async def check_can_benefit(
    session: AsyncSession,
    applicant_id: uuid.UUID,
    *,
    principal: Principal,
    override_reason: str | None,
) -> None:
    """Refuses (409 already-benefited, with `benefited_at`) a person who received assets before.

    An admin may override with a reason, which is audited; anyone else giving an override
    reason is refused (403).
    """
    reason = (override_reason or "").strip() or None
    if reason is not None and not principal.is_admin:
        raise Forbidden("detail.benefit-override-admin-only")
    applicant = await resolve_merged(session, await load_applicant(session, applicant_id))
    if applicant.claimed:
        # A partner's claim on a registered person: which person it is waits for the review.
        raise Conflict("detail.referral-under-review")
    if applicant.benefited_at is None:
        return
    if reason is None:
        raise AlreadyBenefited(applicant.benefited_at)
    audit(session, principal, "benefit_override", applicant.id, reason=reason)
    await session.flush()
