"""Tests of the monitoring service: visits, cases and flags, read models and reports."""
