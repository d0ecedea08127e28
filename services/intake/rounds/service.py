"""Rounds: their configuration and their states. Functions flush, never commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from intake.rounds.models import Round, RoundStatus
from intake.rounds.rules import RULES_ADAPTER
from intake.rounds.schemas import RoundIn, RoundUpdate
from intake.rounds.scoring import Weights
from shared.auth import Principal
from shared.db import utcnow
from shared.problems import FieldError, InvalidState, ValidationProblem

# The period is fixed once applications can arrive (ages are counted at its start, waiting up to
# its end). Eligibility and priority may change while the round is open: the caller then
# re-assesses the round's applications (intake.applications.reassessment).
_DRAFT_ONLY = frozenset({"period_start", "period_end"})
ASSESSMENT_FIELDS = frozenset({"rules", "weights", "priority_categories"})
_ASSESSMENT_STATES = frozenset({RoundStatus.draft, RoundStatus.open})
_TRANSITIONS = {
    "open": (RoundStatus.draft, RoundStatus.open),
    "close": (RoundStatus.open, RoundStatus.closed),
}


def _stored(field: str, value: object) -> object:
    if field == "rules":
        return RULES_ADAPTER.dump_python(value, mode="json")  # type: ignore[arg-type]
    if field == "weights":
        assert isinstance(value, Weights)
        return value.model_dump(mode="json", exclude_none=True)
    if field == "priority_categories":
        return [str(c) for c in value]  # type: ignore[attr-defined]
    return value


async def create_round(session: AsyncSession, data: RoundIn) -> Round:
    round_ = Round(
        status=RoundStatus.draft,
        **{field: _stored(field, getattr(data, field)) for field in RoundIn.model_fields},
    )
    session.add(round_)
    await session.flush()
    return round_


async def update_round(
    session: AsyncSession, round_: Round, changes: RoundUpdate, principal: Principal
) -> Round:
    """Quotas and the reserved share change until the selection is committed; rules, weights and
    priority categories in draft or open (recording who changed them); the period in draft."""
    fields = changes.model_fields_set
    if (
        round_.status == RoundStatus.selected
        or (round_.status != RoundStatus.draft and fields & _DRAFT_ONLY)
        or (round_.status not in _ASSESSMENT_STATES and fields & ASSESSMENT_FIELDS)
    ):
        raise InvalidState(round_.status)
    for field in fields:
        value = getattr(changes, field)
        if value is None:
            raise ValidationProblem(
                [FieldError(field=f"body.{field}", code="missing", message="field.not-null")]
            )
        setattr(round_, field, _stored(field, value))
    if round_.period_end < round_.period_start:
        raise ValidationProblem(
            [FieldError(field="body.period_end", code="value_error", message="field.period-order")]
        )
    if fields & ASSESSMENT_FIELDS:
        round_.rules_changed_at = utcnow()
        round_.rules_changed_by = principal.id
    await session.flush()
    return round_


async def transition(session: AsyncSession, round_: Round, action: str) -> Round:
    """open: draft -> open; close: open -> closed. (closed -> selected is a committed selection.)"""
    source, target = _TRANSITIONS[action]
    if round_.status != source:
        raise InvalidState(round_.status)
    round_.status = target
    await session.flush()
    return round_
