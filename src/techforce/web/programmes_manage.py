"""Programme managers' pages: programmes, cohorts and sessions, applications, registers,
completion and credentials, CSV exchange, and the impact dashboard. Included in
techforce.web.programmes' router."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
