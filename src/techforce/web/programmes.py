"""Development programmes on the web: the catalogue, a person's bookings, feedback, outcomes
and consent, calendar feeds and the public credential verification page (managers' pages are
in programmes_manage.py). Each page has its JSON twin under /api."""

from __future__ import annotations

from fastapi import APIRouter

from techforce.web import programmes_manage

router = APIRouter()
router.include_router(programmes_manage.router)
