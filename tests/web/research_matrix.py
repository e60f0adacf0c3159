"""Authorization rows for the research capability's routes, merged into the matrix in
test_authorization.py: (method, path template) -> kind.

Kinds: "study_any" (VIEW_STUDY without a study: everyone signed in; the list shows only their
own studies), "study_create" (CREATE_STUDY: admin, researcher), and per study, with the
user's right in the study in the URL: "study_view" (VIEW_STUDY: tried on a study the user
VIEWS, allowed, and one they are OUTSIDE of, 404), "study_code" (CODE_STUDY: CODED allowed,
VIEWED 403, OUTSIDE 404), "study_own" (OWN_STUDY: OWNED allowed, CODED 403, OUTSIDE 404).
Every role's user has one study of each (seed()); a non-member's 404 never names the study.
The analysis routes' rows come from research_analysis_matrix.py when it exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from techforce.db import Database
from techforce.research import coding, service
from techforce.research.coding import CodeIn, MemoIn
from techforce.research.service import CaseIn, StudyIn

S = "/research/{study}"
A = "/api" + S
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/research"): "study_any",
    ("GET", "/api/research"): "study_any",
    ("POST", "/research"): "study_create",
    ("POST", "/api/research"): "study_create",
    ("POST", "/research/import"): "study_create",
    ("POST", "/api/research/import"): "study_create",
    ("GET", S): "study_view",
    ("GET", A): "study_view",
    ("POST", S + "/edit"): "study_own",
    ("POST", A): "study_own",
    ("POST", S + "/members"): "study_own",
    ("POST", A + "/members"): "study_own",
    ("DELETE", A + "/members/{username}"): "study_own",
    ("POST", S + "/participants"): "study_own",
    ("POST", A + "/participants"): "study_own",
    ("POST", S + "/participants/{case}"): "study_own",
    ("POST", A + "/participants/{case}"): "study_own",
    ("POST", S + "/participants/{case}/consent"): "study_own",
    ("POST", A + "/participants/{case}/consent"): "study_own",
    ("POST", S + "/sources/upload"): "study_own",
    ("POST", A + "/sources/upload"): "study_own",
    ("POST", S + "/surveys/upload"): "study_own",
    ("POST", A + "/surveys/upload"): "study_own",
    ("POST", S + "/sources/{source}/remove"): "study_own",
    ("DELETE", A + "/sources/{source}"): "study_own",
    ("GET", S + "/sources/{source}"): "study_view",
    ("GET", A + "/sources/{source}"): "study_view",
    ("POST", S + "/sources/{source}/codings"): "study_code",
    ("POST", A + "/sources/{source}/codings"): "study_code",
    ("POST", S + "/codings/{coding_id}/remove"): "study_code",
    ("DELETE", A + "/codings/{coding_id}"): "study_code",
    ("POST", S + "/sources/{source}/memos"): "study_code",
    ("POST", A + "/memos"): "study_code",
    ("POST", S + "/sources/{source}/memos/{memo}/remove"): "study_code",
    ("DELETE", A + "/memos/{memo}"): "study_code",
    ("GET", S + "/codebook"): "study_view",
    ("GET", S + "/codebook.qdc"): "study_own",
    ("GET", S + "/codebook.csv"): "study_own",
    ("GET", S + "/project.qdpx"): "study_own",
    ("GET", A + "/codebook"): "study_view",
    ("POST", S + "/codebook/codes"): "study_own",
    ("POST", A + "/codebook/codes"): "study_own",
    ("POST", S + "/codebook/codes/{code}"): "study_own",
    ("POST", A + "/codebook/codes/{code}"): "study_own",
    ("POST", S + "/codebook/merge"): "study_own",
    ("POST", A + "/codebook/merge"): "study_own",
    ("POST", S + "/codebook/split"): "study_own",
    ("POST", A + "/codebook/split"): "study_own",
    ("POST", S + "/codebook/versions"): "study_own",
    ("POST", A + "/codebook/versions"): "study_own",
    ("POST", S + "/codebook/import"): "study_own",
    ("POST", A + "/codebook/import"): "study_own",
    ("GET", S + "/review"): "study_view",  # coders are refused in the handler (blind coding)
    ("GET", A + "/review"): "study_view",
    ("POST", S + "/review/resolve"): "study_own",
    ("POST", A + "/review/resolve"): "study_own",
    ("GET", S + "/assist"): "study_view",
    ("GET", A + "/assist"): "study_view",
    ("POST", S + "/assist/index"): "study_code",
    ("POST", A + "/assist/index"): "study_code",
    ("POST", S + "/assist/codes/{code}/suggest"): "study_code",
    ("POST", A + "/assist/codes/{code}/suggest"): "study_code",
    ("POST", S + "/suggestions/{suggestion}"): "study_code",
    ("POST", A + "/suggestions/{suggestion}"): "study_code",
}
try:  # the analysis pages' rows (web/research_analysis.py), same kinds
    from tests.web.research_analysis_matrix import ROUTES as ANALYSIS
except ImportError:  # pragma: no cover - written by another change
    ANALYSIS = {}
ROUTES.update(ANALYSIS)

ALL = {"admin", "sector-analyst", "provider-lead", "programme-manager", "researcher", "technician"}
KINDS: dict[str, set[str] | str] = {
    "study_any": ALL,
    "study_create": {"admin", "researcher"},
    "study_view": "viewed",
    "study_code": "coded",
    "study_own": "owned",
}
OWNED, CODED, VIEWED, OUTSIDE = "owned", "coded", "viewed", "outside"
TARGETS = {
    "study_view": (VIEWED, OUTSIDE),
    "study_code": (CODED, VIEWED, OUTSIDE),
    "study_own": (OWNED, CODED, OUTSIDE),
}
STRANGER = "matrix-owner"  # owns the studies a role's user is not the owner of (no account needed)


@dataclass(frozen=True)
class Target:
    guid: str
    name: str
    case: int
    source: int
    code: int
    coding: int
    memo: int
    other_code: int  # a second code, to merge


@dataclass(frozen=True)
class Seeded:
    studies: dict[str, dict[str, Target]]  # role -> whose -> the study


def _study(db: Database, role: str, whose: str) -> Target:
    name = f"Matrix {whose} study of {role}"
    owner = role if whose == OWNED else STRANGER
    coder = role if whose in (OWNED, CODED) else STRANGER
    with db.session() as s:
        st = service.create_study(s, StudyIn(name=name, kind="interview"), actor=owner)
        if whose in (CODED, VIEWED):
            service.set_member(s, st.guid, role, "coder" if whose == CODED else "viewer", actor=owner)
        if whose == OWNED:
            other = "technician" if role != "technician" else "researcher"
            service.set_member(s, st.guid, other, "viewer", actor=owner)
        case = service.save_case(s, st.guid, CaseIn(pseudonym="M01"), actor=owner)
        text = "Interviewer: Hello 🧪.\nM01: My role was created after the review.\n"
        src = service.import_transcript(s, st.guid, text.encode(), "m01.txt", actor=owner, case_id=case.id)
        code = coding.save_code(s, st.guid, CodeIn(name="Roles", shortcut="r"), actor=owner)
        other_code = coding.save_code(s, st.guid, CodeIn(name="Careers"), actor=owner)
        row = coding.add_coding(s, st.guid, src.id, code.id, 0, 5, actor=coder)
        memo = coding.save_memo(s, st.guid, MemoIn(text="a memo", source_id=src.id), actor=coder)
        return Target(st.guid, name, case.id, src.id, code.id, row.id, memo.id, other_code.id)


def seed(db: Database) -> Seeded:
    """For each role's user: a study they own, one they code, one they view and one they are
    not a member of, each with a participant, a transcript, a code, a coding and a memo (the
    user's own where they code)."""
    return Seeded(
        {
            role: {whose: _study(db, role, whose) for whose in (OWNED, CODED, VIEWED, OUTSIDE)}
            for role in sorted(ALL)
        }
    )


def targets(kind: str) -> tuple[str, ...]:
    return TARGETS.get(kind, (OWNED,))


def fill(template: str, role: str, whose: str, seeded: Seeded | None) -> str:
    """A path for ``template`` on the role's ``whose`` study (placeholders without a seed)."""
    t = (
        seeded.studies[role][whose]
        if seeded
        else Target("00000000-0000-4000-8000-000000000000", "", 1, 1, 1, 1, 1, 1)
    )
    other = "technician" if role != "technician" else "researcher"
    values = {
        "{study}": t.guid,
        "{case}": str(t.case),
        "{source}": str(t.source),
        "{code}": str(t.code),
        "{coding_id}": str(t.coding),
        "{memo}": str(t.memo),
        "{username}": other,
        "{suggestion}": "1",
    }
    for name, value in values.items():
        template = template.replace(name, value)
    return template


def expected(kind: str, role: str, whose: str) -> int | None:
    """None where ``role`` may use the route on ``whose`` study, else the status refusing it."""
    who = KINDS[kind]
    if isinstance(who, set):
        return None if role in who else 403
    if whose == OUTSIDE:
        return 404
    return None if whose == who else 403


def check(
    client: TestClient, csrf: str, role: str, method: str, template: str, kind: str, seeded: Seeded
) -> None:
    """Try one research route as ``role`` on each of its targets and assert the outcome. No
    body is sent: a refusal comes before the body is read, and an allowed call without one is
    answered by its handler (422, or the page with the reason). An allowed removal may find
    its row removed already by its twin route (404 for the row, never for the study)."""
    for whose in targets(kind):
        path = fill(template, role, whose, seeded)
        headers = {"X-CSRF-Token": csrf}
        sent = payload(method, template, role, seeded.studies[role][whose])
        response = client.request(method, path, headers=headers, follow_redirects=False, **sent)
        refused = expected(kind, role, whose)
        where = (role, method, path, whose, response.status_code, response.text[:300])
        if refused is None:
            assert response.status_code not in (401, 403) and response.status_code < 500, where
            assert response.status_code != 404 or "there is no study" not in response.text, where
        else:
            assert response.status_code == refused, where
        if whose == OUTSIDE:
            assert seeded.studies[role][whose].name not in response.text, where


def payload(method: str, template: str, role: str, t: Target) -> dict[str, Any]:
    """A valid body for a research /api call (JSON, or a file for an upload), so that an
    allowed call goes through its handler's success path, not only its validation."""
    if method != "POST" or not template.startswith("/api/"):
        return {}
    route = template.removeprefix("/api")
    if route.endswith("/sources/upload"):
        return {"files": {"file": ("m02.txt", "M02: Hello 👋 there.\n".encode(), "text/plain")}}
    if route.endswith("/surveys/upload"):
        return {"files": {"file": ("survey.csv", b"respondent_id,comment\nR1,More training\n", "text/csv")}}
    other = "technician" if role != "technician" else "researcher"
    bodies: dict[str, Any] = {
        "/research": {"name": f"New study of {role}", "kind": "interview"},
        S: {"name": t.name, "kind": "interview", "protocol": [{"topic": "Roles", "questions": ["How?"]}]},
        S + "/members": {"username": other, "right": "coder"},
        S + "/participants": {"pseudonym": "M02", "attributes": {"sex": "F"}},
        S + "/participants/{case}": {"pseudonym": "M01", "participant_type": "technician"},
        S + "/participants/{case}/consent": {"may_quote": True, "may_archive": True},
        S + "/sources/{source}/codings": {"code": t.code, "start": 0, "end": 5},
        S + "/memos": {"text": "matrix memo", "source_id": t.source},
        S + "/codebook/codes": {"name": "Matrix code", "colour": "#123456"},
        S + "/codebook/codes/{code}": {"name": "Roles", "shortcut": "r", "definition": "matrix"},
        S + "/codebook/merge": {"merged": [t.other_code], "into": t.code},
        S + "/codebook/split": {"code": t.code, "new": [{"name": "Split"}], "assign": {str(t.coding): 0}},
        S + "/codebook/versions": {"note": "matrix"},
        S + "/suggestions/{suggestion}": {"accept": False},
        S + "/review/resolve": {"code": t.code, "source": t.source, "start": 0, "end": 5, "apply": True},
    }
    found = bodies.get(route)
    return {"json": found} if found is not None else {}
