"""Authorization rows for the programmes capability's routes, merged into the matrix in
test_authorization.py: (method, path template) -> kind (see KINDS there)."""

from __future__ import annotations

PARTICIPANT: dict[tuple[str, str], str] = {}  # web/programmes.py
MANAGE: dict[tuple[str, str], str] = {}  # web/programmes_manage.py
PUBLIC_ROUTES: set[str] = set()  # routes open without signing in (deps.public)
