"""Tests of the plans service: participants, trainings, memoranda and business plans."""
