"""One model per event type. Amounts are Decimal AZN, serialised as strings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.envelope import Envelope, Event

Money = Decimal


class Part(BaseModel):
    """A value inside an event payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")


# intake ----------------------------------------------------------------------------------------


class ApplicationSubmitted(Event):
    """An application submitted, by staff, a partner or an import: who applies (ids and coded
    facts), for which direction and round."""

    type = "intake.application.submitted"
    source_service = "intake"
    consumers = ("monitoring",)
    subject_field = "application_id"

    application_id: uuid.UUID
    applicant_id: uuid.UUID
    region: str = Field(description="ISO 3166-2:AZ code, e.g. AZ-BA")
    categories: list[str]
    direction: str | None = None
    partner_id: uuid.UUID | None = None
    submitted_at: datetime
    round_id: uuid.UUID | None = None
    sex: str | None = Field(None, description="male or female")
    age_band: str | None = Field(None, description='Coarse age, e.g. "30-39"; never the birth date')
    source: str | None = Field(None, description="staff, partner or import")


class ParticipantEnrolled(Event):
    """An application enrolled, by hand or by a committed selection: the person is now a
    participant, and plans opens a draft business plan for them."""

    type = "intake.participant.enrolled"
    source_service = "intake"
    consumers = ("plans", "monitoring")
    subject_field = "participant_id"

    participant_id: uuid.UUID = Field(description="The enrolled application's id")
    applicant_id: uuid.UUID
    region: str
    categories: list[str]
    direction: str
    partner_id: uuid.UUID | None = None
    enrolled_at: datetime
    round_id: uuid.UUID | None = None
    sex: str | None = None
    age_band: str | None = None


class ApplicationAssessed(Event):
    """Eligibility checked and priority scored at submission (or re-assessment)."""

    type = "intake.application.assessed"
    source_service = "intake"
    consumers = ("monitoring",)
    subject_field = "application_id"

    application_id: uuid.UUID
    round_id: uuid.UUID | None = None
    eligible: bool
    failed_rules: list[str] = Field(default_factory=list, description="Codes of failed rules")
    score: Decimal | None = None


class ApplicationSelected(Event):
    """The outcome of a committed selection: selected for a place, or put on the waitlist."""

    type = "intake.application.selected"
    source_service = "intake"
    consumers = ("monitoring",)
    subject_field = "application_id"

    application_id: uuid.UUID
    round_id: uuid.UUID
    outcome: str = Field(description="selected or waitlisted")
    rank: int
    region: str


class EnrollmentCancelled(Event):
    """A participant's enrolment ended: the participant withdrew, or staff cancelled it with a
    coded reason. Plans cancels open plans and training places; monitoring closes the case as
    dropped_out."""

    type = "intake.participant.cancelled"
    source_service = "intake"
    consumers = ("plans", "monitoring")
    subject_field = "participant_id"

    participant_id: uuid.UUID
    reason: str = Field(description="Coded reason, e.g. withdrew, not_eligible, duplicate")


class PartnerKeyIssued(Event):
    """A partner's API key, so that every service can authenticate partners without asking
    intake. Carries the SHA-256 of a 256-bit random key, which cannot be turned back into it."""

    type = "intake.partner_key.issued"
    source_service = "intake"
    lifecycle = False
    consumers = ("plans", "assets", "monitoring")
    subject_field = "key_id"

    key_id: uuid.UUID
    partner_id: uuid.UUID
    prefix: str
    key_hash: str
    scopes: list[str]
    expires_at: datetime | None = None


class PartnerKeyRevoked(Event):
    """A partner's API key revoked: every service refuses it as soon as this arrives."""

    type = "intake.partner_key.revoked"
    source_service = "intake"
    lifecycle = False
    consumers = ("plans", "assets", "monitoring")
    subject_field = "key_id"

    key_id: uuid.UUID
    revoked_at: datetime


class KeyInForce(Part):
    """One key of a snapshot: what `intake.partner_key.issued` carries for it."""

    key_id: uuid.UUID
    partner_id: uuid.UUID
    prefix: str
    key_hash: str
    scopes: list[str]
    expires_at: datetime | None = None


class PartnerKeysSnapshot(Event):
    """Every partner key in force (neither revoked nor expired), as intake holds them at
    `taken_at`. Sent whenever a key changes and periodically; a service reconciles its copy with
    the last one, so that a revocation it missed (dead-lettered, or trimmed from the stream) still
    takes effect: a copy the snapshot does not list, and that no newer event touched, is revoked.
    A key takes about 300 bytes: NATS's default 1 MB payload holds some 3,000 keys in force."""

    type = "intake.partner_keys.snapshot"
    source_service = "intake"
    lifecycle = False
    consumers = ("plans", "assets", "monitoring")

    taken_at: datetime
    keys: list[KeyInForce]


class ApplicantMerged(Event):
    """Two registrations found to be one person: the merged applicant's applications now belong
    to the kept one, which counts as one person for the one-benefit rule."""

    type = "intake.applicant.merged"
    source_service = "intake"
    lifecycle = False
    consumers = ("monitoring",)
    subject_field = "kept_applicant_id"

    kept_applicant_id: uuid.UUID
    merged_applicant_id: uuid.UUID
    moved_application_ids: list[uuid.UUID] = Field(
        default_factory=list, description="The merged applicant's applications, now the kept one's"
    )
    merged_at: datetime


class MemorandumRecorded(Event):
    """A partner's memorandum as recorded or changed: what it lets the partner do, and when, so
    that the other services can hold partners to it. Sent whole each time (an upsert)."""

    type = "intake.memorandum.recorded"
    source_service = "intake"
    lifecycle = False
    consumers = ("plans",)
    subject_field = "memorandum_id"

    memorandum_id: uuid.UUID
    partner_id: uuid.UUID
    areas: list[str] = Field(description="Areas of cooperation, e.g. trainings, monitoring")
    valid_from: date
    valid_to: date | None = Field(None, description="None: open-ended")


class ExclusionProposed(Event):
    """A monitoring flag asks to exclude the person behind a participant (e.g. the assets were
    reported missing or sold). Only a proposal: a case officer decides; until then the person is
    not excluded."""

    type = "intake.exclusion.proposed"
    source_service = "intake"
    consumers = ("monitoring",)
    subject_field = "application_id"

    proposal_id: uuid.UUID
    application_id: uuid.UUID = Field(description="The participant the flag is about")
    applicant_id: uuid.UUID
    flag_id: uuid.UUID
    rule: str = Field(description="The monitoring rule that proposed it, e.g. asset_lost")
    proposed_at: datetime


class ExclusionProposalWithdrawn(Event):
    """A proposal to exclude that no longer stands: the flag was resolved as unfounded, the
    report was corrected so the rule no longer holds, or a case officer declined it."""

    type = "intake.exclusion.withdrawn"
    source_service = "intake"
    consumers = ("monitoring",)
    subject_field = "application_id"

    proposal_id: uuid.UUID
    application_id: uuid.UUID
    flag_id: uuid.UUID
    reason: Literal["flag_unfounded", "report_corrected", "declined_by_officer"]
    withdrawn_at: datetime


class ConsentChanged(Event):
    """A person's consent recorded, renewed or withdrawn. For `partner_sharing`, every service
    stops (or resumes) showing the partner the person's records at once: `application_ids` are
    the person's applications that partner referred."""

    type = "intake.consent.changed"
    source_service = "intake"
    lifecycle = False
    consumers = ("plans", "assets", "monitoring")
    subject_field = "applicant_id"

    applicant_id: uuid.UUID
    application_ids: list[uuid.UUID] = Field(default_factory=list)
    purpose: Literal["processing", "partner_sharing"]
    partner_id: uuid.UUID | None = Field(None, description="For partner_sharing: with whom")
    granted: bool
    text_version: str = Field(description="The version of the consent text the person was shown")
    changed_at: datetime


class ApplicantErased(Event):
    """A person's personal fields removed from intake's registry (retention elapsed after the
    case closed, or a lawful request). The other services remove any free text they keep about
    the applications; counts and coded facts stay, so reports do not change."""

    type = "intake.applicant.erased"
    source_service = "intake"
    lifecycle = False
    consumers = ("plans", "assets", "monitoring")
    subject_field = "applicant_id"

    applicant_id: uuid.UUID
    application_ids: list[uuid.UUID] = Field(default_factory=list)
    basis: Literal["retention_elapsed", "lawful_request"]
    erased_at: datetime


# plans -----------------------------------------------------------------------------------------


class AssetItem(Part):
    asset_type: str = Field(description="Code in the assets service's catalogue")
    quantity: int
    unit_price: Money
    total: Money


class PlanOpened(Event):
    """A draft business plan opened for a newly enrolled participant."""

    type = "plans.plan.opened"
    source_service = "plans"
    consumers = ("monitoring",)
    subject_field = "participant_id"

    plan_id: uuid.UUID
    participant_id: uuid.UUID
    direction: str


class PlanSubmitted(Event):
    """A business plan submitted for review, with its total."""

    type = "plans.plan.submitted"
    source_service = "plans"
    consumers = ("monitoring",)
    subject_field = "participant_id"

    plan_id: uuid.UUID
    participant_id: uuid.UUID
    total: Money


class MonthlyProjection(Part):
    month: int = Field(description="Month of the business, 1-12")
    income: Money
    costs: Money


class PlanApproved(Event):
    """A business plan approved: its assets and total, so that assets opens an order and reserves
    the money, and monitoring knows the income and costs the business expects."""

    type = "plans.plan.approved"
    source_service = "plans"
    consumers = ("assets", "monitoring")
    subject_field = "participant_id"

    plan_id: uuid.UUID
    participant_id: uuid.UUID
    region: str
    direction: str
    partner_id: uuid.UUID | None = None
    items: list[AssetItem]
    total: Money
    approved_at: datetime
    projections: list[MonthlyProjection] = Field(
        default_factory=list, description="The plan's expected monthly income and costs"
    )
    round_id: uuid.UUID | None = Field(
        None, description="Intake's programme round of the participant; none: enrolled by hand"
    )


class DirectionChosen(Event):
    """The self-employment direction chosen with the participant at a consultation."""

    type = "plans.direction.chosen"
    source_service = "plans"
    consumers = ("monitoring",)
    subject_field = "participant_id"

    participant_id: uuid.UUID
    direction: str


class TrainingCompleted(Event):
    """A participant reached a course's attendance threshold in a training session."""

    type = "plans.training.completed"
    source_service = "plans"
    consumers = ("monitoring",)
    subject_field = "participant_id"

    participant_id: uuid.UUID
    course_id: uuid.UUID
    session_id: uuid.UUID
    direction: str
    run_by_partner_id: uuid.UUID | None = Field(None, description="None: run by the ministry")
    completed_on: date


class PlanStateChanged(Event):
    """A plan moved to changes_requested, rejected, reopened (a revision asked for) or
    cancelled (the enrolment was cancelled)."""

    type = "plans.plan.state_changed"
    source_service = "plans"
    consumers = ("assets", "monitoring")
    subject_field = "participant_id"

    plan_id: uuid.UUID
    participant_id: uuid.UUID
    state: str
    reason: str | None = Field(None, description="Coded reason, never free text")


# assets ----------------------------------------------------------------------------------------


class OrderOpened(Event):
    """An order opened for an approved plan's assets."""

    type = "assets.order.opened"
    source_service = "assets"
    consumers = ("monitoring",)
    subject_field = "participant_id"

    order_id: uuid.UUID
    plan_id: uuid.UUID
    participant_id: uuid.UUID
    total: Money


class OrderAwaitingBudget(Event):
    """The order's fund has no room for it (or no budget for its date): it waits in line."""

    type = "assets.order.awaiting_budget"
    source_service = "assets"
    consumers = ("monitoring",)
    subject_field = "participant_id"

    order_id: uuid.UUID
    plan_id: uuid.UUID
    participant_id: uuid.UUID
    fund_id: uuid.UUID
    budget_id: uuid.UUID | None = Field(None, description="None: no budget covers the date")
    amount: Decimal


class OrderReserved(Event):
    """The order's total reserved in a budget, at opening or once money was added or released."""

    type = "assets.order.reserved"
    source_service = "assets"
    consumers = ("monitoring",)
    subject_field = "participant_id"

    order_id: uuid.UUID
    plan_id: uuid.UUID
    participant_id: uuid.UUID
    fund_id: uuid.UUID
    budget_id: uuid.UUID
    amount: Decimal


class OrderPlaced(Event):
    """Suppliers and prices agreed; the order went to the suppliers."""

    type = "assets.order.placed"
    source_service = "assets"
    consumers = ("monitoring",)
    subject_field = "participant_id"

    order_id: uuid.UUID
    participant_id: uuid.UUID
    amount: Decimal


class OrderCancelled(Event):
    """An order cancelled, by an officer or because its plan was: what it held is released."""

    type = "assets.order.cancelled"
    source_service = "assets"
    consumers = ("monitoring",)
    subject_field = "participant_id"

    order_id: uuid.UUID
    plan_id: uuid.UUID
    participant_id: uuid.UUID
    released: Decimal
    reason: str = Field(description="Coded reason, never free text")


class BudgetChanged(Event):
    """A budget was created or its allocation changed."""

    type = "assets.budget.changed"
    source_service = "assets"
    lifecycle = False
    consumers = ("monitoring",)
    subject_field = "budget_id"

    fund_id: uuid.UUID
    budget_id: uuid.UUID
    round: str
    period_start: date
    period_end: date
    allocated: Decimal
    fund_partner_id: uuid.UUID | None = Field(
        None, description="The partner whose own money the fund is; None: the state budget"
    )
    round_id: uuid.UUID | None = Field(
        None, description="The intake programme round the budget is linked to, if any"
    )


class DeliveredItem(Part):
    asset_type: str
    quantity: int
    unit_price: Money
    serials: list[str] = Field(description="Serial or ear-tag numbers; empty for bulk items")
    order_item_id: uuid.UUID | None = None
    unit_ids: list[uuid.UUID] = Field(
        default_factory=list, description="The delivered units, in the order of `serials`"
    )


class DeliveryCompleted(Event):
    """A handover of an order's items, unit by unit: intake marks the person as benefited,
    monitoring opens the case and schedules the visits."""

    type = "assets.delivery.completed"
    source_service = "assets"
    consumers = ("intake", "monitoring")
    subject_field = "participant_id"

    delivery_id: uuid.UUID
    order_id: uuid.UUID
    plan_id: uuid.UUID
    participant_id: uuid.UUID
    region: str
    direction: str
    partner_id: uuid.UUID | None = None
    items: list[DeliveredItem]
    total: Money
    delivered_on: date
    order_delivered: bool = Field(
        True,
        description="Whether this delivery completed its order; False for an earlier part of an "
        "order handed over in several deliveries",
    )


# monitoring ------------------------------------------------------------------------------------


class CaseFlagged(Event):
    """A rule raised a flag on a participant's case, with the actions it asks of others:
    plans reopens the plan on revise_plan, intake excludes the person on exclude_from_programme."""

    type = "monitoring.case.flagged"
    source_service = "monitoring"
    consumers = ("intake", "plans", "monitoring")
    subject_field = "participant_id"

    flag_id: uuid.UUID
    participant_id: uuid.UUID
    rule: str = Field(description="Coded reason, e.g. not_operating, asset_sold")
    action: str | None = Field(None, description="What is asked of others, e.g. revise_plan")
    actions: list[str] = Field(
        default_factory=list, description="Every action the rule asks for; `action` is the first"
    )
    visit_id: uuid.UUID | None = Field(None, description="The visit that raised it, if any")


class FlagResolved(Event):
    """A flag resolved by staff, with a coded resolution (a note, if any, stays in monitoring)."""

    type = "monitoring.flag.resolved"
    source_service = "monitoring"
    consumers = ("intake", "monitoring")
    subject_field = "participant_id"

    flag_id: uuid.UUID
    participant_id: uuid.UUID
    rule: str
    resolution: str = Field(
        description="Coded, e.g. asset_recovered, no_action; unfounded, false_alarm or "
        "report_corrected withdraw what the flag proposed"
    )


class ReportedItem(Part):
    unit_id: uuid.UUID | None = None
    asset_type: str
    serial: str | None = None
    status: Literal["in_use", "missing", "sold", "dead", "broken"]


class VisitReported(Event):
    """A monitor's visit report, as coded facts: never notes, photos or coordinates."""

    type = "monitoring.visit.reported"
    source_service = "monitoring"
    consumers = ("monitoring",)
    subject_field = "participant_id"

    visit_id: uuid.UUID
    participant_id: uuid.UUID
    month: int = Field(description="The scheduled month after the handover: 1, 3, 6 or 12")
    due_on: date
    visited_on: date
    operating: bool
    income: Money | None = Field(None, description="Monthly income, AZN")
    costs: Money | None = Field(None, description="Monthly costs, AZN")
    jobs: int | None = None
    items: list[ReportedItem] = Field(default_factory=list)
    revision: int = Field(1, description="1 for the first report; higher for corrections")


class CaseClosed(Event):
    """A participant's case closed: graduated or failed at the last visit, dropped_out when the
    enrolment was cancelled, or closed by a case officer."""

    type = "monitoring.case.closed"
    source_service = "monitoring"
    consumers = ("intake", "monitoring")
    subject_field = "participant_id"

    participant_id: uuid.UUID
    outcome: Literal["graduated", "failed", "dropped_out"]
    reason: str | None = Field(None, description="Coded, e.g. operating_at_12_months")
    closed_on: date


class ItemStatusReported(Event):
    """A monitor's finding about a delivered item at a visit."""

    type = "monitoring.item.status_reported"
    source_service = "monitoring"
    consumers = ("assets", "monitoring")

    visit_id: uuid.UUID
    participant_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = Field(None, description="The delivered unit, when known")
    asset_type: str | None = Field(None, description="With `serial`, when the unit id is not known")
    serial: str | None = None
    status: Literal["in_use", "missing", "sold", "dead", "broken"]
    reported_on: date
    reason: str | None = Field(None, max_length=64, description="Coded, e.g. sold_to_neighbour")

    @model_validator(mode="after")
    def _names_a_unit(self) -> ItemStatusReported:
        if self.unit_id is None and (self.asset_type is None or self.serial is None):
            raise ValueError("unit_id, or asset_type with serial, is required")
        return self

    def subject_id(self) -> str:
        return str(self.participant_id or self.visit_id)


# adverse decisions, in every service -----------------------------------------------------------

DecisionKind = Literal[
    "ineligible",
    "not_selected",
    "waitlisted",
    "excluded",
    "plan_rejected",
    "order_cancelled",
    "item_status",
]


class _DecisionRecorded(Event):
    """Base of each service's `<service>.decision.recorded`: a decision that hurts a person, with
    who made it, when, why (coded; the note stays in the owning service) and until when it may be
    appealed (`POST /v1/grievances` in monitoring, naming `decision_id`)."""

    consumers = ("monitoring",)
    subject_field = "application_id"

    decision_id: uuid.UUID
    application_id: uuid.UUID = Field(
        description="The application the decision is about (a participant's id is its "
        "enrolled application's)"
    )
    kind: DecisionKind
    reason: str = Field(description="Coded reason, e.g. failed rule codes, asset_lost")
    decided_by: str = Field(description='"staff:<sub>", or "rules" for an automatic assessment')
    decided_at: datetime
    appeal_until: date
    ref_id: uuid.UUID | None = Field(
        None, description="What was decided on: the round, flag, plan, order or unit"
    )
    partner_id: uuid.UUID | None = Field(None, description="The referring partner, if any")


class _DecisionReversed(Event):
    """Base of each service's `<service>.decision.reversed`: an upheld appeal undid a decision,
    with the effect in the owning service."""

    consumers = ("monitoring",)
    subject_field = "application_id"

    decision_id: uuid.UUID
    application_id: uuid.UUID
    grievance_id: uuid.UUID = Field(description="The upheld appeal")
    effect: str = Field(
        description="Coded: reassessed, waitlisted, exclusion_lifted, plan_reopened, "
        "order_restored, item_status_corrected"
    )
    reversed_at: datetime


class IntakeDecisionRecorded(_DecisionRecorded):
    """An adverse decision in intake: ineligible, not selected or waitlisted, excluded."""

    type = "intake.decision.recorded"
    source_service = "intake"


class IntakeDecisionReversed(_DecisionReversed):
    """An upheld appeal undid an intake decision: re-assessed, back on the waitlist, or the
    exclusion lifted."""

    type = "intake.decision.reversed"
    source_service = "intake"


class PlansDecisionRecorded(_DecisionRecorded):
    """An adverse decision in plans: a business plan rejected."""

    type = "plans.decision.recorded"
    source_service = "plans"


class PlansDecisionReversed(_DecisionReversed):
    """An upheld appeal undid a plan's rejection: the plan is reopened."""

    type = "plans.decision.reversed"
    source_service = "plans"


class AssetsDecisionRecorded(_DecisionRecorded):
    """An adverse decision in assets: an order cancelled."""

    type = "assets.decision.recorded"
    source_service = "assets"


class AssetsDecisionReversed(_DecisionReversed):
    """An upheld appeal undid an order's cancellation: the order is restored."""

    type = "assets.decision.reversed"
    source_service = "assets"


class MonitoringDecisionRecorded(_DecisionRecorded):
    """An adverse decision in monitoring: an item's status (missing, sold, dead, broken) recorded
    against the person at a visit."""

    type = "monitoring.decision.recorded"
    source_service = "monitoring"


class MonitoringDecisionReversed(_DecisionReversed):
    """An upheld appeal undid an item status finding: the item is recorded in use again."""

    type = "monitoring.decision.reversed"
    source_service = "monitoring"


# grievances and appeals (monitoring) -----------------------------------------------------------

GrievanceType = Literal["grievance", "appeal"]


class GrievanceLodged(Event):
    """A grievance (a complaint about service, a suspected fraud, a data error) or an appeal
    against a named decision, lodged through a case officer or the referring partner. Its text
    stays in monitoring."""

    type = "monitoring.grievance.lodged"
    source_service = "monitoring"
    consumers = ("monitoring",)
    subject_field = "application_id"

    grievance_id: uuid.UUID
    application_id: uuid.UUID
    grievance_type: GrievanceType
    category: str = Field(description="Coded, e.g. service_complaint, suspected_fraud, appeal")
    channel: Literal["office", "phone", "partner", "online"]
    decision_id: uuid.UUID | None = Field(None, description="For an appeal: the decision")
    decision_service: str | None = Field(None, description="For an appeal: who owns it")
    partner_id: uuid.UUID | None = None
    lodged_at: datetime
    acknowledge_by: date
    resolve_by: date


class GrievanceAcknowledged(Event):
    """A grievance acknowledged by its owner."""

    type = "monitoring.grievance.acknowledged"
    source_service = "monitoring"
    consumers = ("monitoring",)
    subject_field = "application_id"

    grievance_id: uuid.UUID
    application_id: uuid.UUID
    acknowledged_at: datetime


class GrievanceEscalated(Event):
    """A grievance's deadline passed without the step it asks for: escalated one level up."""

    type = "monitoring.grievance.escalated"
    source_service = "monitoring"
    consumers = ("monitoring",)
    subject_field = "application_id"

    grievance_id: uuid.UUID
    application_id: uuid.UUID
    deadline: Literal["acknowledge", "resolve"]
    level: int = Field(description="1 for the first escalation")
    escalated_at: datetime


class GrievanceResolved(Event):
    """A grievance or appeal decided. An upheld appeal asks the decision's owning service to
    reverse it (re-assessment, back on the waitlist, exclusion lifted, plan reopened, order
    restored); that service answers with its `<service>.decision.reversed`."""

    type = "monitoring.grievance.resolved"
    source_service = "monitoring"
    consumers = ("intake", "plans", "assets", "monitoring")
    subject_field = "application_id"

    grievance_id: uuid.UUID
    application_id: uuid.UUID
    grievance_type: GrievanceType
    category: str
    outcome: Literal["upheld", "dismissed", "resolved", "withdrawn"]
    decision_id: uuid.UUID | None = None
    decision_service: str | None = None
    resolved_at: datetime


EVENT_TYPES: dict[str, type[Event]] = {
    model.type: model
    for model in (
        ApplicationSubmitted,
        ApplicationAssessed,
        ApplicationSelected,
        ParticipantEnrolled,
        EnrollmentCancelled,
        PartnerKeyIssued,
        PartnerKeyRevoked,
        PartnerKeysSnapshot,
        ApplicantMerged,
        MemorandumRecorded,
        ExclusionProposed,
        ExclusionProposalWithdrawn,
        ConsentChanged,
        ApplicantErased,
        IntakeDecisionRecorded,
        IntakeDecisionReversed,
        DirectionChosen,
        PlanOpened,
        PlanSubmitted,
        PlanApproved,
        PlanStateChanged,
        TrainingCompleted,
        PlansDecisionRecorded,
        PlansDecisionReversed,
        OrderOpened,
        OrderAwaitingBudget,
        OrderReserved,
        OrderPlaced,
        OrderCancelled,
        BudgetChanged,
        DeliveryCompleted,
        AssetsDecisionRecorded,
        AssetsDecisionReversed,
        CaseFlagged,
        FlagResolved,
        ItemStatusReported,
        VisitReported,
        CaseClosed,
        MonitoringDecisionRecorded,
        MonitoringDecisionReversed,
        GrievanceLodged,
        GrievanceAcknowledged,
        GrievanceEscalated,
        GrievanceResolved,
    )
}


def event_model(envelope: Envelope) -> Event:
    """The typed payload of an envelope; KeyError for a type this code does not know."""
    return EVENT_TYPES[envelope.type].model_validate(envelope.data)
