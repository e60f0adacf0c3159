"""Authorization rows for the programmes capability's routes, merged into the matrix in
test_authorization.py: (method, path template) -> kind (see KINDS there).

Kinds for programme routes: "programmes" (VIEW_PROGRAMMES: everyone signed in), "book" (BOOK:
the user named by {username} — the matrix tries the role's own username and another's —
and admins), "create" (CREATE_PROGRAMME: admin, programme-manager), "manage"
(MANAGE_PROGRAMME: admins, and the programme-manager on a programme they run — the matrix
tries {programme} = RUNS, which the programme-manager runs, and OTHER, which they do not),
"impact" (VIEW_IMPACT: admin, sector-analyst, programme-manager, provider-lead). Path
parameters are filled by fill() below: {programme}, {username}, {cohort}, {session},
{booking}, {token}."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from techforce.db import Database
from techforce.programmes import service

P = "/programmes/people/{username}"
B = P + "/bookings/{booking}"
PARTICIPANT: dict[tuple[str, str], str] = {  # web/programmes.py, programmes_people.py
    ("GET", "/api/programmes"): "programmes",
    ("GET", "/programmes"): "programmes",
    ("GET", "/api/programmes/{programme}"): "programmes",
    ("GET", "/programmes/{programme}"): "programmes",
    ("GET", "/programmes/{programme}/calendar.ics"): "programmes",
    ("GET", "/programmes/{programme}/cohorts/{cohort}/calendar.ics"): "programmes",
    ("GET", "/api/programmes/me"): "book_any",
    ("GET", "/programmes/me"): "book_any",
    ("GET", "/api" + P + "/bookings"): "book",
    ("GET", P + "/bookings"): "book",
    ("POST", "/api" + P + "/bookings"): "book",
    ("POST", P + "/bookings"): "book",
    ("POST", "/api" + B + "/cancel"): "book",
    ("POST", B + "/cancel"): "book",
    ("POST", "/api" + P + "/details"): "book",
    ("POST", P + "/details"): "book",
    ("GET", "/api" + B + "/feedback"): "book",
    ("GET", B + "/feedback"): "book",
    ("POST", "/api" + B + "/feedback"): "book",
    ("POST", B + "/feedback"): "book",
    ("GET", "/api" + B + "/outcomes"): "book",
    ("GET", B + "/outcomes"): "book",
    ("POST", "/api" + B + "/outcomes"): "book",
    ("POST", B + "/outcomes"): "book",
    ("GET", B + "/credential.jwt"): "book",
    ("GET", B + "/credential.json"): "book",
    ("GET", B + "/certificate.pdf"): "book",
    ("POST", "/api" + P + "/feed"): "book",
    ("POST", P + "/feed"): "book",
    ("POST", "/api" + P + "/consent"): "book",
    ("POST", P + "/consent"): "book",
    ("POST", "/api" + P + "/consent/withdraw"): "book",
    ("POST", P + "/consent/withdraw"): "book",
}
# Manager routes (web/programmes_manage.py, programmes_runs.py). Bodies: a page's POST is a form
# (+ csrf_token), its /api twin JSON (+ X-CSRF-Token); "no body" where none is needed. A refused
# request is 403 before the body is read, so an empty body is enough to test refusals; a valid
# body is given per row for allowed calls. {credential}: a credential id (urn:uuid:...); any
# string does for the matrix (an unknown one is a 404 for those allowed).
M = "/programmes/{programme}"
MC = M + "/cohorts/{cohort}"
MS = MC + "/sessions/{session}"
MANAGE: dict[tuple[str, str], str] = {
    ("GET", "/programmes/new"): "create",
    ("GET", "/api/programmes/new"): "create",
    # form: slug, title, kind, capacity; JSON: ProgrammeIn {"slug", "title", "kind", "capacity"}
    ("POST", "/programmes/new"): "create",
    ("POST", "/api/programmes/new"): "create",
    ("GET", M + "/manage"): "manage",
    ("GET", "/api" + M + "/manage"): "manage",
    # form: title, kind, capacity; JSON: ProgrammeIn with "slug" = {programme}
    ("POST", M + "/manage"): "manage",
    ("POST", "/api" + M + "/manage"): "manage",
    # form and JSON: name, starts_on, ends_on (ISO dates), capacity (optional)
    ("POST", M + "/cohorts"): "manage",
    ("POST", "/api" + M + "/cohorts"): "manage",
    ("POST", MC): "manage",
    ("POST", "/api" + MC): "manage",
    # form: title, starts, ends (UK time, 2026-06-02T09:30); JSON: SessionIn {"title",
    # "starts_at", "ends_at"} with UTC offsets
    ("POST", MC + "/sessions"): "manage",
    ("POST", "/api" + MC + "/sessions"): "manage",
    ("POST", MS): "manage",
    ("POST", "/api" + MS): "manage",
    # form: decision=approve|decline, reason; JSON: {"approve": true, "reason": "..."}
    ("POST", M + "/bookings/{booking}/decide"): "manage",
    ("POST", "/api" + M + "/bookings/{booking}/decide"): "manage",
    ("POST", M + "/bookings/{booking}/cancel"): "manage",  # no body
    ("POST", "/api" + M + "/bookings/{booking}/cancel"): "manage",  # no body
    ("GET", MS + "/register"): "manage",
    ("GET", "/api" + MS + "/register"): "manage",
    # form: mark-<booking id>=present; JSON: {"marks": {"<booking id>": "present"}}
    ("POST", MS + "/register"): "manage",
    ("POST", "/api" + MS + "/register"): "manage",
    ("GET", MC + "/completion"): "manage",
    ("GET", "/api" + MC + "/completion"): "manage",
    # form: listed=<booking id>, done=<booking id>; JSON: {"done": {"<booking id>": true}}
    ("POST", MC + "/completion/projects"): "manage",
    ("POST", "/api" + MC + "/completion/projects"): "manage",
    ("POST", MC + "/completion/confirm"): "manage",  # no body
    ("POST", "/api" + MC + "/completion/confirm"): "manage",  # no body
    ("POST", MC + "/credentials"): "manage",  # no body
    ("POST", "/api" + MC + "/credentials"): "manage",  # no body
    # form: reason; JSON: {"reason": "..."}
    ("POST", MC + "/credentials/{credential}/revoke"): "manage",
    ("POST", "/api" + MC + "/credentials/{credential}/revoke"): "manage",
    # The CSV exchange (web/programmes_exchange.py): an import may change only {programme}.
    ("GET", M + "/exchange"): "manage",
    ("GET", "/api" + M + "/exchange"): "manage",
    ("GET", M + "/export.zip"): "manage",
    ("GET", "/api" + M + "/export"): "manage",
    # multipart: files=<one or more CSV files> (+ op=check|import on the page, dry_run on the
    # API); the API answers 422 without files, the page shows the refusal
    ("POST", M + "/import/upload"): "manage",
    ("POST", "/api" + M + "/import/upload"): "manage",
    # multipart: file=<a booking tool's CSV>, cohort=<a cohort's name>, preset=eventbrite
    ("POST", M + "/import-bookings/upload"): "manage",
    ("POST", "/api" + M + "/import-bookings/upload"): "manage",
    # The impact dashboard (web/programmes_impact.py); ?programme=<slug>&year=<2026> filter it.
    ("GET", "/programmes/impact"): "impact",
    ("GET", "/api/programmes/impact"): "impact",
    ("GET", "/programmes/impact.csv"): "impact",
}
PUBLIC_ROUTES: set[str] = {  # routes open without signing in (deps.public), web/programmes_public.py
    "/programmes/verify",
    "/api/programmes/verify",
    "/programmes/credentials/verify",
    "/programmes/credentials/status",
    "/programmes/credentials/key",
    "/programmes/feeds/{token}.ics",
}
# Route kinds: who may (a set of roles), or a rule on the target (see allowed()).
ALL = {"admin", "sector-analyst", "provider-lead", "programme-manager", "researcher", "technician"}
KINDS: dict[str, set[str] | str] = {
    "programmes": ALL,
    "book_any": ALL,  # BOOK with no {username}: anyone may have bookings of their own
    "book": "self",
    "create": {"admin", "programme-manager"},
    "manage": "runs",
    "impact": {"admin", "sector-analyst", "programme-manager", "provider-lead"},
}
RUNS = "matrix-runs"  # a programme the programme-manager runs
OTHER = "matrix-other"  # one they do not
SELF_RULES = {"book", "manage"}  # kinds tried for the role's own target and another's


@dataclass(frozen=True)
class Seeded:
    """Per programme slug: a cohort, a session and a booking (held by a participant who is
    none of the matrix's users)."""

    cohorts: dict[str, int]
    sessions: dict[str, int]
    bookings: dict[str, int]
    own: dict[str, int]  # username -> their own booking (on OTHER's cohort), for {booking} under /people/


def seed(db: Database) -> Seeded:
    """Two programmes with a cohort, a session and a booking each: RUNS, run by the
    programme-manager, and OTHER, run by someone else; and a booking of every matrix user's own
    on OTHER."""
    start = date.today() + timedelta(days=20)
    cohorts, sessions, bookings = {}, {}, {}
    with db.session() as s:
        who = service.save_participant(
            s, service.ParticipantIn(email="matrix@example.ac.uk", name="Matrix Person"), actor="test"
        )
        for slug, manager in ((RUNS, "programme-manager"), (OTHER, "someone-else")):
            service.save_programme(
                s,
                service.ProgrammeIn(slug=slug, title=f"Programme {slug}", kind="workshop", capacity=20),
                actor="test",
                managers=[manager],
            )
            cohort = service.save_cohort(
                s, slug, service.CohortIn(name="One", starts_on=start, ends_on=start), actor="test"
            )
            at = datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=10)
            row = service.save_session(
                s,
                cohort,
                service.SessionIn(title="Day", starts_at=at, ends_at=at + timedelta(hours=2)),
                actor="test",
            )
            cohorts[slug], sessions[slug] = cohort.id, row.id
            bookings[slug] = service.book(s, cohort.id, who, actor="test").id
        own = {}
        for username in sorted(ALL):
            mine = service.save_participant(
                s,
                service.ParticipantIn(
                    email=f"{username}@matrix.example.ac.uk", name=username, username=username
                ),
                actor="test",
            )
            own[username] = service.book(s, cohorts[OTHER], mine, actor="test").id
    return Seeded(cohorts, sessions, bookings, own)


def targets(kind: str) -> tuple[str, ...]:
    """Whose target a route of ``kind`` is tried on: the role's own and another's, or just one."""
    return ("own", "other") if kind in SELF_RULES else ("own",)


def fill(template: str, role: str, whose: str, seeded: Seeded | None = None) -> str:
    """A path for ``template``: {username} the role's own name (``whose`` own) or another
    user's; {programme} RUNS (own) or OTHER; {cohort}, {session}, {booking} of that programme
    (under /people/{username}: that user's own booking)."""
    slug = RUNS if whose == "own" else OTHER
    other_user = "technician" if role != "technician" else "researcher"
    username = role if whose == "own" else other_user
    if seeded and "/people/{username}" in template:
        template = template.replace("{booking}", str(seeded.own[username]))
    values = {
        "{username}": username,
        "{programme}": slug,
        "{cohort}": str(seeded.cohorts[slug]) if seeded else "1",
        "{session}": str(seeded.sessions[slug]) if seeded else "1",
        "{booking}": str(seeded.bookings[slug]) if seeded else "1",
        "{token}": "x" * 43,
        "{credential}": "urn:uuid:00000000-0000-4000-8000-000000000000",
    }
    for name, value in values.items():
        template = template.replace(name, value)
    return template


def allowed(kind: str, role: str, whose: str) -> bool | None:
    """Whether ``role`` may use a route of a programme ``kind`` on ``whose`` target (None: not a
    programme kind)."""
    who = KINDS.get(kind)
    if who is None:
        return None
    if who == "self":
        return role == "admin" or whose == "own"
    if who == "runs":
        return role == "admin" or (role == "programme-manager" and whose == "own")
    assert isinstance(who, set)
    return role in who


def body(
    method: str, template: str, role: str, whose: str, seeded: Seeded, ukprn: str
) -> tuple[str, dict[str, Any]] | None:
    """A valid body for a programme POST (("json", ...) for /api, ("data", ...) for a form), so
    an allowed call goes through its handler's success path, not only its validation. Path
    parameters in it ({programme}, {booking}) are filled as in the path."""
    if method != "POST":
        return None
    api = template.startswith("/api/")
    route = template.removeprefix("/api")
    day = date.today() + timedelta(days=40)
    starts = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
    found = _participant(route, seeded, ukprn, api) or _manager(route, seeded, day, starts, api)
    if found is None:
        return None
    return ("json" if api else "data", _filled(found, role, whose, seeded))


def _filled(value: Any, role: str, whose: str, seeded: Seeded) -> Any:
    if isinstance(value, str):
        return fill(value, role, whose, seeded)
    if isinstance(value, dict):
        return {_filled(k, role, whose, seeded): _filled(v, role, whose, seeded) for k, v in value.items()}
    return value


def _participant(route: str, seeded: Seeded, ukprn: str, api: bool) -> dict[str, Any] | None:
    details = {"name": "Matrix User", "email": "{username}@example.ac.uk"}
    if route == P + "/bookings":
        cohort = seeded.cohorts[RUNS]
        return {"cohort": cohort, "details": details} if api else {"cohort": str(cohort), **details}
    if route == P + "/details":
        return details
    if route == P + "/feed":
        return {"action": "new"}
    if route == P + "/consent":
        return {"ukprn": ukprn, "staff_id": "MATRIX-1"}
    if route == B + "/feedback":
        return (
            {"reaction": 4, "recommend": True, "before": 2, "after": 4}
            if api
            else {"reaction": "4", "recommend": "yes", "before": "2", "after": "4"}
        )
    if route == B + "/outcomes":
        return {"months": 6, "promoted": True}
    return None


def _manager(route: str, seeded: Seeded, day: date, starts: datetime, api: bool) -> dict[str, Any] | None:
    ends = starts + timedelta(hours=2)
    if route == "/programmes/new":
        return {
            "slug": "matrix-new-api" if api else "matrix-new",
            "title": "New",
            "kind": "workshop",
            "capacity": 5,
        }
    if route == M + "/manage":
        return {"title": "Renamed", "kind": "workshop", "capacity": 6} | (
            {"slug": "{programme}"} if api else {}
        )
    if route in (M + "/cohorts", MC):
        name = "One" if route == MC else ("Api" if api else "Form")
        return {"name": name, "starts_on": day.isoformat(), "ends_on": day.isoformat()}
    if route in (MC + "/sessions", MS):
        if api:
            return {"title": "Extra", "starts_at": starts.isoformat(), "ends_at": ends.isoformat()}
        return {
            "title": "Extra",
            "starts": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends": ends.strftime("%Y-%m-%dT%H:%M"),
        }
    if route == M + "/bookings/{booking}/decide":
        return {"approve": True, "reason": "matrix"} if api else {"decision": "approve", "reason": "matrix"}
    if route == MS + "/register":
        return {"marks": {"{booking}": "present"}} if api else {"mark-{booking}": "present"}
    if route == MC + "/completion/projects":
        return {"done": {"{booking}": True}} if api else {"listed": "{booking}", "done": "{booking}"}
    if route == MC + "/credentials/{credential}/revoke":
        return {"reason": "matrix"}
    return None


def settle() -> None:
    """Wait for the background delivery of notifications (facade.Programmes.deliver_soon) that
    programme changes start, before the database goes away."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "programmes-mail":
            thread.join(timeout=30)
