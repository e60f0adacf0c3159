"""Strategy pages: recommendation sets, a provider's commitments, self-assessments and
action plans with linked evidence, peer review, the sector view, and the self-assessment
pack. Every page has its JSON twin under /api; every route is behind a guard."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
