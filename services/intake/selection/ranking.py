"""The selection itself, as a pure function of its inputs: the same candidates, quotas and share
always give the same placements, whatever order the candidates come in.

Per region: rank by score (highest first), ties broken by submission time and then application
id; fill the reserved places (the share of the quota, rounded up) with priority-category
candidates in rank order; fill the remaining places with everyone else in rank order (reserved
places left unused go to them too); everyone else is waitlisted in rank order.

The job computes the same in PostgreSQL (`service.RANKED_INTO_RESULTS`), where the rows are;
this function is the rule's statement, and the tests hold the two equal."""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple


class Candidate(NamedTuple):
    application_id: uuid.UUID
    region: str
    score: Decimal
    submitted_at: datetime
    priority: bool  # in one of the round's priority categories


# Named tuples rather than dataclasses: as immutable, and much cheaper to build 100,000 of.
class Placement(NamedTuple):
    application_id: uuid.UUID
    region: str
    rank: int  # within the region, 1 = best
    selected: bool
    reserved: bool  # holds a reserved place
    score: Decimal
    waitlist_position: int | None


def reserved_places(places: int, share: Decimal) -> int:
    """The share of the places, rounded up: the programme's share is a floor."""
    return min(places, math.ceil(Decimal(places) * share))


def rank_key(candidate: Candidate) -> tuple[Decimal, datetime, uuid.UUID]:
    return (-candidate.score, candidate.submitted_at, candidate.application_id)


def select(
    candidates: Iterable[Candidate], quotas: Mapping[str, int], reserved_share: Decimal
) -> list[Placement]:
    """Placements ordered by region, then rank. A region without a quota has no places."""
    by_region: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_region[candidate.region].append(candidate)
    placements: list[Placement] = []
    for region in sorted(by_region):
        ranked = sorted(by_region[region], key=rank_key)
        places = quotas.get(region, 0)
        # The first priority candidates in rank order take the reserved places.
        reserved_left = reserved_places(places, reserved_share)
        general_places = places - min(reserved_left, sum(1 for c in ranked if c.priority))
        waitlist = 0
        for rank, candidate in enumerate(ranked, start=1):
            reserved = candidate.priority and reserved_left > 0
            position = None
            if reserved:
                reserved_left -= 1
                selected = True
            elif general_places > 0:
                general_places -= 1
                selected = True
            else:
                selected = False
                waitlist += 1
                position = waitlist
            placements.append(
                Placement(
                    candidate.application_id,
                    region,
                    rank,
                    selected,
                    reserved,
                    candidate.score,
                    position,
                )
            )
    return placements
