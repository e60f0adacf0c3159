"""The impact dashboard's charts (Vega-Lite specs through techforce.present.charts), each with
its text alternative and the table it is drawn from. They plot published cells only: a
suppressed value is drawn as its marker."""

from __future__ import annotations

from techforce.present import charts as specs
from techforce.programmes.impact_models import HeadlineRow, OutcomeRow, ProfileRow
from techforce.workforce.page_models import Cell, Chart
from techforce.workforce.pages import chart_with_table

OUTCOMES = {
    "promoted": "Promoted",
    "role_changed": "Role changed",
    "grade_changed": "Grade changed",
    "registration": "New professional registration",
    "leadership_role": "Leadership role",
    "committee_seat": "Committee seat",
}


def _point(cell: Cell) -> float | int | None:
    return cell.value if isinstance(cell.value, int | float) else None


def per_year(by_year: list[HeadlineRow]) -> Chart:
    title = "Participants and completers per academic year"
    rows = [
        {"year": r.year or r.label, "series": series, "people": _point(cell), "shown": cell.display}
        for r in by_year
        for series, cell in (("Participants", r.participants), ("Completers", r.completers))
    ]
    order = [r.year or r.label for r in by_year]
    spec = specs.bar(
        rows,
        x="year",
        y="people",
        title=title,
        unit="people",
        order=order,
        series="series",
        series_order=["Participants", "Completers"],
    )
    return chart_with_table(title, rows, spec, x="year", y="people")


def profile(rows_in: list[ProfileRow]) -> Chart:
    title = "Participants' profile against the technical workforce"
    rows = [
        {
            "category": f"{r.dimension}: {r.category}",
            "series": series,
            "percent": _point(cell),
            "shown": cell.display,
        }
        for r in rows_in
        for series, cell in (("Participants", r.participants), ("Technical workforce", r.workforce))
    ]
    order = list(dict.fromkeys(f"{r.dimension}: {r.category}" for r in rows_in))
    spec = specs.bar(
        rows,
        x="category",
        y="percent",
        title=title,
        unit="%",
        order=order,
        series="series",
        series_order=["Participants", "Technical workforce"],
        horizontal=True,
    )
    return chart_with_table(title, rows, spec, x="category", y="percent")


def outcomes(rows_in: list[OutcomeRow]) -> Chart:
    title = "Outcomes reported 6 and 12 months after"
    rows = [
        {
            "outcome": label,
            "series": f"{r.months} months",
            "percent": _point(getattr(r, field)),
            "shown": getattr(r, field).display,
        }
        for r in rows_in
        for field, label in OUTCOMES.items()
    ]
    spec = specs.bar(
        rows,
        x="outcome",
        y="percent",
        title=title,
        unit="% of those who reported",
        order=list(OUTCOMES.values()),
        series="series",
        series_order=[f"{r.months} months" for r in rows_in],
    )
    return chart_with_table(title, rows, spec, x="outcome", y="percent")


def charts(
    by_year: list[HeadlineRow], profile_rows: list[ProfileRow], outcome_rows: list[OutcomeRow]
) -> list[Chart]:
    return [per_year(by_year), profile(profile_rows), outcomes(outcome_rows)]
