"""Tables for people, built from the rows the workforce commands print as CSV or JSON: names
beside UKPRNs, titles beside indicator ids and codes, short headers, notes below. The raw
rows stay as they are (machine output); these only decide what a table shows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from techforce.cli.output import Column, number
from techforce.workforce import codes, labels
from techforce.workforce.finding import provider_label
from techforce.workforce.indicators import Indicator

Rows = list[dict[str, Any]]


class View:
    """What a table shows: its rows, columns, row groups and notes."""

    def __init__(
        self,
        rows: Rows,
        columns: Sequence[Column],
        sections: Sequence[int] = (),
        notes: Sequence[str] = (),
    ) -> None:
        self.rows, self.columns, self.sections, self.notes = rows, list(columns), list(sections), list(notes)

    def emit_args(self) -> dict[str, Any]:
        return {
            "table_rows": self.rows,
            "columns": self.columns,
            "sections": self.sections,
            "notes": self.notes,
        }


def _groups(keys: Iterable[str]) -> list[int]:
    """Indexes of the last row of each run of equal keys (but the last run)."""
    keyed = list(keys)
    return [i for i in range(len(keyed) - 1) if keyed[i] != keyed[i + 1]]


def _notes(reasons: Iterable[str]) -> dict[str, str]:
    """Each distinct disclosure note, numbered in order of first use."""
    found: dict[str, str] = {}
    for reason in reasons:
        if reason and reason not in found:
            found[reason] = str(len(found) + 1)
    return found


def indicators(rows: Rows) -> View:
    """Indicator results: the title once per indicator, categories labelled, the disclosure
    note as a number with the notes below."""
    notes = _notes(r["disclosure"] for r in rows)
    several_years = len({r["year"] for r in rows}) > 1
    shown, previous = [], None
    for r in rows:
        year = codes.parse_year(r["year"])
        shown.append(
            {
                "indicator": labels.indicator(r["indicator"]) if r["indicator"] != previous else "",
                "category": labels.category(r["indicator"], r["category"], year),
                "year": r["year"],
                "value": labels.value(r["indicator"], r["display"]),
                "note": notes.get(r["disclosure"], ""),
            }
        )
        previous = r["indicator"]
    columns = [
        Column("indicator", wrap=True),
        Column("category", wrap=True),
        *([Column("year", wrap=False)] if several_years else []),
        Column("value", number=True, wrap=True),
        Column("note", number=True),
    ]
    return View(
        shown,
        columns,
        _groups(r["indicator"] for r in rows),
        [f"note {n}: {reason}" for reason, n in notes.items()],
    )


def catalogue(listed: Sequence[Indicator]) -> View:
    """The indicator list: id, title and unit; then what it counts, its population and breakdown."""
    shown = [
        {
            "indicator": f"{i.id}\n{i.title}\nunit: {i.unit}",
            "about": f"{i.definition}\npopulation: {i.population}"
            + (f"\nbreakdown: {i.breakdown}" if i.breakdown else ""),
        }
        for i in listed
    ]
    columns = [
        Column("indicator", header="indicator, title, unit", wrap=True),
        Column("about", header="definition, population, breakdown", wrap=True),
    ]
    return View(shown, columns, list(range(len(shown) - 1)))


QUARTILE = {
    "top quartile": "top",
    "second quartile": "second",
    "third quartile": "third",
    "bottom quartile": "bottom",
}


def compare(rows: Rows) -> View:
    """A provider against a group: title, value, median, quartiles, rank "2 of 8", quartile."""
    shown = [
        {
            "indicator": labels.indicator(str(r["indicator"])),
            "value": r["value"],
            "median": r["median"],
            "lower_quartile": r["lower_quartile"],
            "upper_quartile": r["upper_quartile"],
            "rank": f"{r['rank']} of {r['of']}" if r["rank"] is not None else f"– of {r['of']}",
            "quartile": QUARTILE.get(str(r["quartile"]), r["quartile"]),
        }
        for r in rows
    ]
    columns = [
        Column("indicator", wrap=True),
        Column("value", number=True, wrap=True),
        Column("median", number=True),
        Column("lower_quartile", header="lower q.", number=True),
        Column("upper_quartile", header="upper q.", number=True),
        Column("rank", number=True),
        Column("quartile", wrap=False),
    ]
    return View(shown, columns)


def snapshots(rows: Rows, names: dict[str, str]) -> dict[str, View]:
    """The catalogue grouped by year: one table per year."""
    by_year: dict[str, Rows] = {}
    for r in rows:
        by_year.setdefault(str(r["year"]), []).append(r)
    views = {}
    for year, found in by_year.items():
        shown = [
            {
                "provider": provider_label(names, r["ukprn"]),
                "persons": r["persons"],
                "contracts": r["contracts"],
                "non_academic": ("yes" if r["non_academic"] else "no") + f" ({r['basis']})",
                "sha256": r["sha256"],
                "ingested": f"{str(r['at'])[:10]} by {r['by']}",
            }
            for r in found
        ]
        columns = [
            Column("provider", wrap=True),
            Column("persons", number=True),
            Column("contracts", number=True),
            Column("non_academic", header="non-acad. returned", wrap=True, min_width=9),
            Column("sha256", wrap=False),
            Column("ingested", wrap=True, min_width=10),
        ]
        views[year] = View(shown, columns)
    return views


def snapshot_title(year: str, rows: Rows) -> str:
    persons = sum(int(r["persons"]) for r in rows)
    return f"{year}: {len(rows)} snapshot(s), {number(persons)} persons"


def ingested(rows: Rows, names: dict[str, str]) -> View:
    shown = [
        {
            "provider": provider_label(names, r["ukprn"]),
            "year": r["year"],
            "persons": r["persons"],
            "contracts": r["contracts"],
            "activities": r["activities"],
            "non_academic": "yes" if r["non_academic_returned"] else "no",
            "action": r["action"],
        }
        for r in rows
    ]
    columns = [
        Column("provider", wrap=True),
        Column("year", wrap=False),
        Column("persons", number=True),
        Column("contracts", number=True),
        Column("activities", number=True),
        Column("non_academic", header="non-acad.", wrap=False),
        Column("action", wrap=False),
    ]
    return View(shown, columns)


def peer_groups(rows: Rows, names: dict[str, str], *, full: bool) -> View:
    """Groups with their member counts; ``full``: one row per member, by name."""
    if not full:
        shown = [{"group": r["group"], "members": r["members"]} for r in rows]
        return View(shown, [Column("group", wrap=True), Column("members", number=True)])
    listed: Rows = []
    ends = []
    for r in rows:
        members = str(r["ukprns"]).split()
        for i, ukprn in enumerate(sorted(members, key=lambda u: (str(names.get(u, u)).casefold(), u))):
            listed.append(
                {
                    "group": f"{r['group']} ({len(members)})" if i == 0 else "",
                    "provider": names.get(ukprn, ukprn),
                    "ukprn": ukprn,
                }
            )
        if not members:
            listed.append({"group": f"{r['group']} (0)", "provider": "", "ukprn": ""})
        ends.append(len(listed) - 1)
    columns = [
        Column("group", wrap=True),
        Column("provider", wrap=True),
        Column("ukprn", header="UKPRN", wrap=False),
    ]
    return View(listed, columns, ends[:-1])


def aggregates(rows: Rows) -> View:
    shown = [
        {"provider": f"{r['provider']} ({r['ukprn']})", "year": r["year"], "number": r["number"]}
        for r in rows
    ]
    columns = [
        Column("provider", wrap=True),
        Column("year", wrap=False),
        Column("number", number=True),
    ]
    return View(shown, columns)
