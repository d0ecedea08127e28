"""The consent a registration records (the applicants' service calls it, so it needs nothing of
theirs)."""

from __future__ import annotations

import uuid
from datetime import datetime

from intake.applicants.models import Applicant
from intake.privacy.models import Consent, ConsentHow, ConsentPurpose
from intake.privacy.schemas import RegistrationConsent
from shared.auth import Principal

# The text version of a consent not stated at registration (see `registration_consents`).
UNSTATED = "unstated"


def registration_consents(
    applicant: Applicant, given: RegistrationConsent | None, principal: Principal, now: datetime
) -> list[Consent]:
    """The consent rows of a registration. Without `given` (older clients, imports) processing
    consent is taken as the registrant's word: a partner's memorandum obliges it to have the
    person's consent before referring them, and staff register from the signed application."""
    partner_id = applicant.referred_by_partner_id
    if given is None:
        how = ConsentHow.partner_referral if partner_id else ConsentHow.application_form
        text_version, sharing = UNSTATED, True
    else:
        how, text_version = ConsentHow(given.how), given.text_version
        sharing = given.partner_sharing

    def row(purpose: ConsentPurpose, partner: uuid.UUID | None, granted: bool) -> Consent:
        return Consent(
            applicant_id=applicant.id,
            purpose=purpose,
            partner_id=partner,
            granted=granted,
            how=how,
            text_version=text_version,
            recorded_by=principal.id,
            recorded_at=now,
        )

    rows = [row(ConsentPurpose.processing, None, True)]
    if partner_id is not None:  # staff's registrations have no partner to share with
        rows.append(row(ConsentPurpose.partner_sharing, partner_id, sharing))
    return rows


CONSENT_COLUMNS = [
    "id",
    "applicant_id",
    "purpose",
    "partner_id",
    "granted",
    "how",
    "text_version",
    "recorded_by",
    "recorded_at",
]


def imported_consents(
    applicant_ids: list[uuid.UUID],
    partner_id: uuid.UUID | None,
    recorded_by: str,
    now: datetime,
) -> list[tuple[object, ...]]:
    """The consent rows of people an import registered, for COPY (in CONSENT_COLUMNS order): an
    import states no consent, so it is the importer's word, as for a registration without it."""
    how = ConsentHow.partner_referral if partner_id else ConsentHow.application_form
    purposes: list[tuple[ConsentPurpose, uuid.UUID | None]] = [(ConsentPurpose.processing, None)]
    if partner_id is not None:
        purposes.append((ConsentPurpose.partner_sharing, partner_id))
    return [
        (
            uuid.uuid4(),
            applicant_id,
            purpose.value,
            partner,
            True,
            how.value,
            UNSTATED,
            recorded_by,
            now,
        )
        for applicant_id in applicant_ids
        for purpose, partner in purposes
    ]
