"""Development programmes on the web: the catalogue, a person's bookings, managers' pages
(cohorts, sessions, applications, registers, credentials), the impact dashboard, calendar
feeds and the public credential verification page. Each page has its JSON twin under /api."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
