"""The vocabularies of the strategy capability, shared by its pure modules and its store.

A provider signs the Technician Commitment, then submits, per stage, a self-assessment
(per pillar: a narrative, a maturity rating, the status of each recommendation, linked
evidence) and an action plan. It may also pledge to act on sector recommendations."""

from __future__ import annotations

from techforce.library.records import PILLAR_LABELS, PILLARS

__all__ = [
    "ACTION_STATUSES",
    "ADDRESSEES",
    "EVIDENCE_KINDS",
    "MATURITY",
    "PILLARS",
    "PILLAR_LABELS",
    "PLEDGE_STATUSES",
    "REC_STATUSES",
    "STAGES",
    "STAGE_LABELS",
]

# the submissions of a signatory, in order (strategy/schedule.py computes when each is due)
STAGES = ("first-submission", "stage-2", "stage-3")
STAGE_LABELS = {
    "first-submission": "First self-assessment and action plan",
    "stage-2": "Stage 2",
    "stage-3": "Stage 3 (36-month plan)",
}

# a structured maturity rating per pillar (0: not yet rated)
MATURITY = {
    0: "Not yet rated",
    1: "Starting: little in place",
    2: "Developing: some practice, not yet consistent",
    3: "Established: consistent practice across the institution",
    4: "Leading: embedded, evaluated and shared with the sector",
}

ADDRESSEES = (
    "employers",
    "senior-leaders",
    "funders",
    "government",
    "professional-bodies",
    "learned-societies",
    "sector-bodies",
    "technicians",
)

# a recommendation's status in a self-assessment, and a provider's pledge against it
REC_STATUSES = ("not-started", "pledged", "in-progress", "done")
PLEDGE_STATUSES = ("pledged", "in-progress", "done", "withdrawn")

ACTION_STATUSES = ("not-started", "in-progress", "done", "blocked", "dropped")

# evidence is linked, not pasted: a live workforce indicator, a programme's impact figure,
# a library resource, or a file uploaded to the store
EVIDENCE_KINDS = ("indicator", "programme", "resource", "file")
