"""Authorization rows for the library's routes (web/library.py), merged into the matrix in
test_authorization.py, and its public routes (the catalogue without signing in), merged into
the list of routes open on purpose. Kinds: "view" (every signed-in role; a private resource
outside the user's audience answers 404, tested in test_library_pages.py) and "curate"
(admins and programme managers)."""

from __future__ import annotations

PUBLIC_ROUTES: set[str] = {
    "/library/catalogue",
    "/api/library/catalogue",
    "/library/catalogue/{slug}",
    "/api/library/catalogue/{slug}",
    "/library/catalogue/{slug}/file",
    "/library/oai",
}
CURATORS = {"admin", "programme-manager"}
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/library"): "view",
    ("GET", "/api/library"): "view",
    ("GET", "/library/{slug}"): "view",
    ("GET", "/api/library/{slug}"): "view",
    ("GET", "/library/{slug}/file"): "view",
    ("GET", "/library/new"): "curate",
    ("POST", "/library"): "curate",
    ("POST", "/api/library"): "curate",
    ("GET", "/library/{slug}/edit"): "curate",
    ("POST", "/library/{slug}"): "curate",
    ("POST", "/library/{slug}/remove"): "curate",
    ("DELETE", "/api/library/{slug}"): "curate",
}
SLUG = "no-such-resource"  # {slug} in the matrix: a well-formed address with no resource (404 when allowed)
