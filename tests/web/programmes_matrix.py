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

PARTICIPANT: dict[tuple[str, str], str] = {}  # web/programmes.py
MANAGE: dict[tuple[str, str], str] = {}  # web/programmes_manage.py
PUBLIC_ROUTES: set[str] = set()  # routes open without signing in (deps.public)
