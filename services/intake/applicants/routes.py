from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy import select

from intake.applicants import claims, duplicates
from intake.applicants import service as applicants
from intake.applicants.models import (
    Applicant,
    AuditEntry,
    Category,
    ClaimStatus,
    DuplicateFlag,
    DuplicateStatus,
    Purpose,
    ReferralClaim,
)
from intake.applicants.repository import ApplicantRepository
from intake.applicants.schemas import (
    ApplicantIn,
    ApplicantOut,
    ApplicantSearch,
    ApplicantSummary,
    ApplicantUpdate,
    AuditEntryOut,
    CategoryOut,
    DismissIn,
    DuplicateFlagOut,
    LinkIn,
    MergeIn,
    ReferralClaimOut,
    RefuseIn,
)
from intake.dependencies import (
    FinsDep,
    ReadsReferralDetails,
    ReadsReferrals,
    ReviewsCases,
    WritesReferrals,
)
from shared.auth import Admin
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, read_versioned, set_etag
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import FieldError, ValidationProblem, problem_responses
from shared.ratelimit import RateLimit
from shared.regions import region_names
from shared.routes import RESPONSE_ID, links

router = APIRouter(prefix="/v1")


async def _purpose(
    purpose: Annotated[
        Purpose | None,
        Query(description="Why personal fields are read; kept in the audit log."),
    ] = None,
    x_purpose: Annotated[
        Purpose | None, Header(alias="X-Purpose", description="Same as `purpose`.")
    ] = None,
) -> Purpose | None:
    return purpose or x_purpose


PurposeDep = Annotated[Purpose | None, Depends(_purpose)]


@router.post(
    "/applicants",
    tags=["applicants"],
    status_code=201,
    response_model=ApplicantOut,
    summary="Register an applicant; possible duplicates are flagged for review",
    description="A FIN registered before is a 409 on `body.fin` for staff, and for a partner "
    "when the person is its own referral. A partner's FIN registered outside its referrals is "
    "answered exactly as a new referral (a record of its own) and waits for a case officer's "
    "review at `/v1/referral-claims`: a partner never learns whether someone else registered a "
    "person.",
    responses=problem_responses(401, 403, 409, 422),
    openapi_extra=links(
        "GET /v1/applicants/{applicant_id}",
        "PATCH /v1/applicants/{applicant_id}",
        "GET /v1/applicants/{applicant_id}/audit",
        "POST /v1/applicants/{applicant_id}/duplicates/check",
        applicant_id=RESPONSE_ID,
    ),
)
async def create_applicant(
    body: ApplicantIn,
    session: SessionDep,
    principal: WritesReferrals,
    protector: FinsDep,
    idem: IdempotencyDep,
    purpose: PurposeDep,
) -> Response:
    async def reveal(
        applicant: Applicant, categories: list[CategoryOut] | None = None
    ) -> ApplicantOut:
        return await applicants.reveal_applicant(
            session, protector, applicant, principal, purpose=purpose, categories=categories
        )

    async def create() -> ApplicantOut:
        applicant = await applicants.create_applicant(session, protector, body, principal)
        # Its categories are the ones just registered: not read back.
        return await reveal(applicant, applicants.category_details_of(body.categories))

    async def read(applicant_id: uuid.UUID) -> ApplicantOut:
        # A replay is a read like any other: scoped to the caller, audited with its purpose.
        return await reveal(await ApplicantRepository(session).get(applicant_id, principal))

    return await idem.create(
        create, read=read, response_model=ApplicantOut, location="/v1/applicants/{id}"
    )


_SEARCH_RESULTS = (
    "Oldest first. Personal fields (audited with the purpose given) only for the roles that may "
    "see them, summaries for the others; a partner finds only its own referrals. Merged "
    "applicants are left out."
)
# Query parameters that would put personal data in URLs, where access logs, proxies and browser
# histories keep it: refused rather than ignored, so that a client sending them learns at once.
PERSONAL_QUERY_PARAMETERS = (
    "fin",
    "name",
    "first_name",
    "last_name",
    "patronymic",
    "birth_date",
    "phone",
)


async def _no_personal_data_in_query(request: Request) -> None:
    refused = [name for name in PERSONAL_QUERY_PARAMETERS if name in request.query_params]
    if refused:
        raise ValidationProblem(
            [
                FieldError(
                    field=f"query.{name}",
                    code="personal_data_in_query",
                    message="field.use-post-search",
                )
                for name in refused
            ],
            detail="detail.personal-data-in-query",
        )


NoPersonalDataInQuery = Annotated[None, Depends(_no_personal_data_in_query)]


@router.get(
    "/applicants",
    tags=["applicants"],
    response_model=Page[ApplicantOut] | Page[ApplicantSummary],
    summary="List applicants by region, category and benefit (search by FIN or name: POST "
    "/v1/applicants/search)",
    description=f"{_SEARCH_RESULTS}\n\n"
    "FINs and names never travel in URLs: `fin`, `name`, `first_name`, `last_name`, "
    "`patronymic`, `birth_date` and `phone` are refused with a 422 problem naming each one "
    '(e.g. `{"field": "query.fin", "code": "personal_data_in_query"}`) that points to '
    "`POST /v1/applicants/search`.",
    responses=problem_responses(401, 403, 422),
)
async def list_applicants(
    session: SessionDep,
    principal: ReadsReferrals,
    _: NoPersonalDataInQuery,
    protector: FinsDep,
    page: PageParamsDep,
    purpose: PurposeDep,
    region: Annotated[str | None, Query(description="ISO 3166-2:AZ code", examples=["AZ-BA"])] = (
        None
    ),
    category: Category | None = None,
    benefited: Annotated[
        bool | None, Query(description="Whether the person has received assets")
    ] = None,
) -> Page[ApplicantOut] | Page[ApplicantSummary]:
    if region is not None and region.strip().upper() not in region_names():
        raise ValidationProblem(
            [
                FieldError(
                    field="query.region", code="region_unknown", message="pydantic.region_unknown"
                )
            ]
        )
    filters = applicants.ApplicantFilters(
        region=region.strip().upper() if region else None,
        category=category,
        benefited=benefited,
    )
    return await applicants.search_applicants(
        session, protector, filters, page, principal, purpose=purpose
    )


@router.post(
    "/applicants/search",
    tags=["applicants"],
    dependencies=[Depends(RateLimit("rate_limit_searches"))],
    response_model=Page[ApplicantOut] | Page[ApplicantSummary],
    summary="Search applicants by FIN, name, region, category and benefit (criteria in the body, "
    "never in the URL)",
    description=f"{_SEARCH_RESULTS}\n\n"
    "A read: nothing changes but the audit log of who saw whose personal fields, so it needs no "
    "Idempotency-Key and may be repeated. Pages by `cursor` and `limit` in the query string, as "
    "every list does; send the same body with each page. A search by `fin` or `name` reads "
    "personal data: only case officers, admins and partners (within their own referrals) may "
    "make it (others: 403), always with a `purpose` (422 without), and each search is one audit "
    "row with its purpose and the ids it returned. `name` matches every word typed "
    "against the start of a word of the name, folded: case-insensitive with İ/i and I/ı, and ə, "
    'ı, ö, ü, ş, ç, ğ typed as e, i, o, u, s, c, g ("memmedova" finds "Məmmədova"). Unknown '
    "criteria are refused (422), so that a typo never widens a search.",
    responses=problem_responses(401, 403, 422),
)
async def search_applicants(
    body: ApplicantSearch,
    session: SessionDep,
    principal: ReadsReferrals,
    protector: FinsDep,
    page: PageParamsDep,
    purpose: PurposeDep,
) -> Page[ApplicantOut] | Page[ApplicantSummary]:
    filters = applicants.ApplicantFilters(
        fin=body.fin,
        name=body.name,
        region=body.region,
        category=body.category,
        benefited=body.benefited,
    )
    return await applicants.search_applicants(
        session, protector, filters, page, principal, purpose=purpose
    )


@router.get(
    "/applicants/{applicant_id:uuid}",
    tags=["applicants"],
    response_model=ApplicantOut,
    summary="An applicant with personal fields (audited with the purpose given); 404 once the "
    "person is erased",
    responses=problem_responses(401, 403, 404, 422),
    openapi_extra=links(
        "PATCH /v1/applicants/{applicant_id}",
        status=200,
        if_match=True,
        applicant_id="$request.path.applicant_id",
    ),
)
async def get_applicant(
    applicant_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsReferralDetails,
    protector: FinsDep,
    purpose: PurposeDep,
    response: Response,
) -> ApplicantOut:
    applicant = await ApplicantRepository(session).get(applicant_id, principal)
    set_etag(response, applicant.version)
    return await applicants.reveal_applicant(
        session, protector, applicant, principal, purpose=purpose
    )


@router.patch(
    "/applicants/{applicant_id:uuid}",
    tags=["applicants"],
    response_model=ApplicantSummary,
    summary="Change an applicant's contact, region, household or categories (If-Match required)",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def update_applicant(
    applicant_id: uuid.UUID,
    body: ApplicantUpdate,
    session: SessionDep,
    principal: WritesReferrals,
    if_match: IfMatchDep,
    response: Response,
) -> Applicant:
    applicant = await ApplicantRepository(session).get(applicant_id, principal)
    return await change_versioned(
        applicant,
        if_match,
        response,
        lambda applicant: applicants.update_applicant(session, applicant, body, principal),
    )


@router.get(
    "/applicants/{applicant_id}/audit",
    tags=["applicants"],
    response_model=Page[AuditEntryOut],
    summary="Who read or changed the applicant's personal data, when and why (admins)",
    responses=problem_responses(401, 403, 404, 422),
)
async def applicant_audit(
    applicant_id: uuid.UUID, session: SessionDep, principal: Admin, page: PageParamsDep
) -> Page[AuditEntryOut]:
    await applicants.load_applicant(session, applicant_id)
    return await paginate(
        session,
        applicants.audit_query(applicant_id),
        key_columns=(AuditEntry.id,),
        params=page,
        to_item=AuditEntryOut.model_validate,
    )


# --- Duplicates ---------------------------------------------------------------------------------


async def _flag(flag_id: uuid.UUID, session: SessionDep, principal: ReviewsCases) -> DuplicateFlag:
    # The role first: a caller who may not review gets a 403, never a 404 that tells which exist.
    return await duplicates.get_flag(session, flag_id)


FlagDep = Annotated[DuplicateFlag, Depends(_flag)]


@router.post(
    "/applicants/{applicant_id}/duplicates/check",
    tags=["duplicates"],
    response_model=list[DuplicateFlagOut],
    summary="Look again for possible duplicates of an applicant; returns its open flags",
    responses=problem_responses(401, 403, 404),
)
async def check_duplicates(
    applicant_id: uuid.UUID, session: SessionDep, principal: ReviewsCases
) -> list[DuplicateFlag]:
    applicant = await applicants.load_applicant(session, applicant_id)
    return await duplicates.find_duplicates(session, applicant)


@router.get(
    "/duplicates",
    tags=["duplicates"],
    response_model=Page[DuplicateFlagOut],
    summary="Possible duplicates, oldest first (ids and scores only: no personal fields)",
    responses=problem_responses(401, 403, 422),
)
async def list_duplicates(
    session: SessionDep,
    principal: ReviewsCases,
    page: PageParamsDep,
    status: DuplicateStatus = DuplicateStatus.open,
    applicant_id: Annotated[
        uuid.UUID | None, Query(description="Flags involving this applicant")
    ] = None,
) -> Page[DuplicateFlagOut]:
    return await paginate(
        session,
        duplicates.flags_query(status, applicant_id),
        key_columns=(DuplicateFlag.created_at, DuplicateFlag.id),
        params=page,
        to_item=DuplicateFlagOut.model_validate,
    )


@router.get(
    "/duplicates/{flag_id}",
    tags=["duplicates"],
    response_model=DuplicateFlagOut,
    summary="A possible duplicate, with its ETag",
    responses=problem_responses(401, 403, 404),
)
async def get_duplicate(flag: FlagDep, response: Response) -> DuplicateFlag:
    return read_versioned(flag, response)


@router.post(
    "/duplicates/{flag_id}/dismiss",
    tags=["duplicates"],
    response_model=DuplicateFlagOut,
    summary="Not the same person: close the flag with a note (If-Match required)",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def dismiss_duplicate(
    flag: FlagDep,
    body: DismissIn,
    session: SessionDep,
    principal: ReviewsCases,
    if_match: IfMatchDep,
    response: Response,
) -> DuplicateFlag:
    return await change_versioned(
        flag,
        if_match,
        response,
        lambda flag: duplicates.dismiss(session, flag, note=body.note, principal=principal),
    )


@router.post(
    "/duplicates/{flag_id}/merge",
    tags=["duplicates"],
    response_model=DuplicateFlagOut,
    summary="The same person: keep one applicant, move the other's applications to it "
    "(If-Match required; audited)",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def merge_duplicate(
    flag: FlagDep,
    body: MergeIn,
    session: SessionDep,
    principal: ReviewsCases,
    if_match: IfMatchDep,
    response: Response,
) -> DuplicateFlag:
    return await change_versioned(
        flag,
        if_match,
        response,
        lambda flag: duplicates.merge(
            session, flag, keep_id=body.keep_id, note=body.note, principal=principal
        ),
    )


# --- Referral claims ----------------------------------------------------------------------------


async def _claim(
    claim_id: uuid.UUID, session: SessionDep, principal: ReviewsCases
) -> ReferralClaim:
    # The role first: a caller who may not review gets a 403, never a 404 that tells which exist.
    return await claims.get_claim(session, claim_id)


ClaimDep = Annotated[ReferralClaim, Depends(_claim)]


@router.get(
    "/referral-claims",
    tags=["referral-claims"],
    response_model=Page[ReferralClaimOut],
    summary="Partners' referrals of FINs registered outside their own referrals, oldest first "
    "(ids only: no personal fields)",
    responses=problem_responses(401, 403, 422),
)
async def list_referral_claims(
    session: SessionDep,
    principal: ReviewsCases,
    page: PageParamsDep,
    status: ClaimStatus = ClaimStatus.pending,
) -> Page[ReferralClaimOut]:
    return await paginate(
        session,
        select(ReferralClaim).where(ReferralClaim.status == status),
        key_columns=(ReferralClaim.created_at, ReferralClaim.id),
        params=page,
        to_item=ReferralClaimOut.model_validate,
    )


@router.get(
    "/referral-claims/{claim_id}",
    tags=["referral-claims"],
    response_model=ReferralClaimOut,
    summary="A referral claim, with its ETag",
    responses=problem_responses(401, 403, 404),
)
async def get_referral_claim(claim: ClaimDep, response: Response) -> ReferralClaim:
    return read_versioned(claim, response)


@router.post(
    "/referral-claims/{claim_id}/link",
    tags=["referral-claims"],
    response_model=ReferralClaimOut,
    summary="The partner referred the registered person: link them, saying whether the person "
    "consented to share with the partner (If-Match required; audited)",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def link_referral_claim(
    claim: ClaimDep,
    body: LinkIn,
    session: SessionDep,
    principal: ReviewsCases,
    if_match: IfMatchDep,
    response: Response,
) -> ReferralClaim:
    return await change_versioned(
        claim,
        if_match,
        response,
        lambda claim: claims.link(
            session, claim, consent=body.consent, note=body.note, principal=principal
        ),
    )


@router.post(
    "/referral-claims/{claim_id}/refuse",
    tags=["referral-claims"],
    response_model=ReferralClaimOut,
    summary="Refuse the partner's referral; the partner learns nothing (If-Match required; "
    "audited)",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def refuse_referral_claim(
    claim: ClaimDep,
    body: RefuseIn,
    session: SessionDep,
    principal: ReviewsCases,
    if_match: IfMatchDep,
    response: Response,
) -> ReferralClaim:
    return await change_versioned(
        claim,
        if_match,
        response,
        lambda claim: claims.refuse(session, claim, note=body.note, principal=principal),
    )
