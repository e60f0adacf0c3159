"""Authorization rows for the research analysis routes (web/research_analysis.py), merged into
the research matrix (tests/web/research_matrix.py): (method, path template) -> kind.

Members read every analysis page and its JSON twin ("study_view"); owners decide quotes,
create and edit case studies and download tables ("study_own"). No POST here needs a body
for the matrix: without one the handler answers with the reason (422 or the page again)."""

from __future__ import annotations

S = "/research/{study}"
A = "/api" + S
TABLES = ("matrix", "frequencies", "cooccurrence", "survey", "quotes")

ROUTES: dict[tuple[str, str], str] = {}
for _table in TABLES:
    ROUTES[("GET", f"{S}/analysis/{_table}")] = "study_view"
    ROUTES[("GET", f"{A}/analysis/{_table}")] = "study_view"
    ROUTES[("GET", f"{S}/analysis/{_table}.csv")] = "study_own"
    ROUTES[("GET", f"{S}/analysis/{_table}.xlsx")] = "study_own"
ROUTES.update(
    {
        ("POST", S + "/analysis/quotes/{coding_id}/decision"): "study_own",
        ("POST", A + "/analysis/quotes/{coding_id}/decision"): "study_own",
        ("GET", S + "/case-studies"): "study_view",
        ("GET", A + "/case-studies"): "study_view",
        ("POST", S + "/case-studies"): "study_own",
        ("POST", A + "/case-studies"): "study_own",
        ("GET", S + "/case-studies/{case_study}"): "study_view",
        ("GET", A + "/case-studies/{case_study}"): "study_view",
        ("POST", S + "/case-studies/{case_study}"): "study_own",
        ("POST", A + "/case-studies/{case_study}"): "study_own",
    }
)
