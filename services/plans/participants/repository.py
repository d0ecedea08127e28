"""Reads of participants, narrowed to what the caller may see (a partner: those it referred)."""

from plans.participants.models import Participant
from shared.repository import Repository


class ParticipantRepository(Repository[Participant]):
    model = Participant
    resource = "participant"
