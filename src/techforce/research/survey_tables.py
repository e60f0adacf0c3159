"""Survey item distributions by a respondent attribute, through the disclosure gate.

A survey of a few dozen technicians split by institution or sex quickly has groups of one or
two people, whose answers anyone who knows them can read off a table. For viewers without
full access to the study, every figure here goes through :mod:`techforce.disclosure`, as the
workforce's and the programmes' figures do (domain.md §3):

- each respondent gets a **record key**: a keyed HMAC of their respondent id (the key is the
  caller's secret, so nobody can recompute the keys and undo the noise);
- a cell's key is the sum of its respondents' keys modulo ``2**32``; its count is perturbed
  with the same perturbation table (``ckm-3``) and then rounded by the same rule set as the
  workforce (nearest 5, below 2.5 shown as the range a published zero stands for); a true zero
  stays zero; the same respondents always give the same answer;
- percentages come from the counts **as shown**: each is a count shown in the row over the sum
  of the row's shown counts, to whole percent; a count shown as the zero range (``0–5``) or
  suppressed has no percentage (``..``). So the percentages add nothing to the counts: no
  perturbed group size or count can be solved from them, and no percentage above 0 sits
  beside a ``0–5`` to prove that someone gave that answer;
- a group whose perturbed number of answers is below the rule set's percentage threshold
  (22.5 under ``hesa-standard``) is not shown by name: the small groups are combined into one
  row, which is itself suppressed (``..``) when still too small;
- **secondary suppression**: a suppressed combined row could be worked out as "All
  respondents" less the groups shown, answer by answer (only the noise and the rounding would
  stand in the way), so when it is suppressed the smallest group shown is suppressed too; what
  the total less the shown groups then gives is the sum of two hidden rows, never one;
- **across tables** (differencing between attributes): every protected table of an item by
  an attribute reveals a partition of the item's respondents: each row shown, and the hidden
  rows together (All less the rows shown). Two tables by different attributes can be
  subtracted (``y = Y1`` less ``x = A``) and leave a few people who are a visible group in
  neither. So a protected viewer may group an item only by the attributes of
  :func:`groupable`: taking the attribute columns in the survey's order, an attribute is
  admitted when it splits no cell of the cross-classification of those already admitted
  into a piece below the threshold (after perturbation). Any figure got by adding and
  subtracting rows of admitted tables is a sum over those cells, so no arithmetic on the
  tables isolates fewer people than the threshold. A refused attribute raises
  :class:`~techforce.errors.Refused` naming it; the owners (full access) may use any. The
  rule depends only on the data, never on the order of the questions asked.
- the rule set's stamp is on the table and on every row.

The study's owner (full access) can ask for true counts: ``full_access=True`` uses the
``unrounded`` rule set, stamped as such. Blank answers are not counted."""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from techforce.disclosure import KEY_MODULUS, RULE_SETS, Cell, DisclosureError, RuleSet, protect
from techforce.errors import Invalid, Refused
from techforce.research.records import Value
from techforce.research.surveys import Respondent, Survey

ALL = "All respondents"
NOT_RECORDED = "(not recorded)"


def record_key(key: bytes, respondent_id: str, *, scope: str = "") -> int:
    """A respondent's record key, uniform on ``[0, 2**32)``: HMAC-SHA256 of ``scope`` (e.g.
    the survey's id) and the respondent id under the caller's secret ``key``."""
    if not key:
        raise Invalid("A record key needs a secret key; pass the study's disclosure key.")
    digest = hmac.new(key, f"respondent/{scope}/{respondent_id}".encode(), hashlib.sha256).hexdigest()
    return int(digest[:8], 16) % KEY_MODULUS


@dataclass(frozen=True)
class SurveyTable:
    """A Likert item's distribution per group: ``rows`` hold what may be shown (numbers, or
    text such as ``..`` and ``0–5``), ``cells`` the same figures with the reason each was
    rounded or suppressed; ``rules`` is the stamp of the rule set used."""

    title: str
    item: str
    by: str | None
    protected: bool
    rules: str
    method: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    cells: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "item": self.item,
            "by": self.by,
            "protected": self.protected,
            "rules": self.rules,
            "method": self.method,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "cells": [
                [{"value": c.value, "display": c.display, "reason": c.reason} for c in r] for r in self.cells
            ],
            "notes": list(self.notes),
        }


@dataclass
class _Gate:
    rules: RuleSet
    keys: dict[str, int]

    def perturbed(self, people: Sequence[Respondent]) -> float:
        cell_key = sum(self.keys[r.id] for r in people) % KEY_MODULUS
        return self.rules.perturb(float(len(people)), cell_key) or 0.0


def _plain(cell: Cell) -> Value:
    """The number itself when the display is just that number, else the display text."""
    if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
        try:
            if float(cell.display.replace(",", "").removesuffix("%")) == float(cell.value):
                whole = not cell.display.endswith("%") and float(cell.value).is_integer()
                return int(cell.value) if whole else cell.value
        except ValueError:
            pass
    return cell.display


def _groups(survey: Survey, item: str, by: str | None) -> list[tuple[str, list[Respondent]]]:
    answered = [r for r in survey.respondents if r.likert.get(item) is not None]
    groups: list[tuple[str, list[Respondent]]] = [(ALL, answered)]
    if by is not None:
        members: dict[str, list[Respondent]] = {}
        for r in answered:
            members.setdefault(r.attributes.get(by, "") or NOT_RECORDED, []).append(r)
        groups += sorted(members.items())
    return groups


def _row(gate: _Gate, scale: list[str], item: str, people: list[Respondent]) -> tuple[Cell, ...]:
    """A row as the owners see it (full access): counts and percentages to 1 dp."""
    size = gate.perturbed(people)
    cells = [protect(size, "people", gate.rules)]
    for point in range(1, len(scale) + 1):
        part = gate.perturbed([r for r in people if r.likert.get(item) == point])
        share = min(100.0, 100.0 * part / size) if size else None
        cells += [
            protect(part, "people", gate.rules),
            protect(share, "percent", gate.rules, population=size if size else None),
        ]
    return tuple(cells)


def _share(count: Cell, total: float, size: float, rules: RuleSet) -> Cell:
    """A protected percentage, from the counts as shown only: ``count`` over ``total`` (the sum
    of the row's shown counts), to whole percent. None for a count shown as the zero range or
    hidden: a share there would tell what the range hides."""
    if size < rules.percent_min_population:
        return Cell(None, rules.marker, f"suppressed: population below {rules.percent_min_population:g}")
    value = count.value
    if not isinstance(value, int | float) or isinstance(value, bool) or not value or not total:
        return Cell(None, rules.marker, "no percentage: the count is shown as a range or hidden")
    whole = min(100, math.floor(100.0 * float(value) / total + 0.5))
    return Cell(whole, f"{whole}%", "whole percent of the counts shown in the row")


def _shown_row(gate: _Gate, scale: list[str], item: str, people: list[Respondent]) -> tuple[Cell, ...]:
    """A row as a protected viewer sees it: perturbed, rounded counts, and percentages worked
    out from those shown counts alone (so they reveal nothing the counts do not)."""
    size = gate.perturbed(people)
    counts = [
        protect(gate.perturbed([r for r in people if r.likert.get(item) == point]), "people", gate.rules)
        for point in range(1, len(scale) + 1)
    ]
    total = sum(float(c.value) for c in counts if isinstance(c.value, int | float))
    cells = [protect(size, "people", gate.rules)]
    for count in counts:
        cells += [count, _share(count, total, size, gate.rules)]
    return tuple(cells)


def _suppressed(gate: _Gate, scale: list[str], reason: str) -> tuple[Cell, ...]:
    return tuple(Cell(None, gate.rules.marker, reason) for _ in range(1 + 2 * len(scale)))


@dataclass(frozen=True)
class _Layout:
    """Which rows a protected table shows: ``shown`` (the total first, then the groups big
    enough to name), ``small`` (the smaller groups' people, combined into one row), whether
    that combined row is shown, and the index in ``shown`` of the group hidden by secondary
    suppression (None when there is none)."""

    shown: list[tuple[str, list[Respondent]]]
    small: list[Respondent]
    small_shown: bool
    hidden: int | None


def _layout(gate: _Gate, groups: list[tuple[str, list[Respondent]]], threshold: float) -> _Layout:
    shown: list[tuple[str, list[Respondent]]] = []
    small: list[Respondent] = []
    for index, (label, people) in enumerate(groups):
        if index and gate.perturbed(people) < threshold:
            small += people
        else:
            shown.append((label, people))
    small_shown = bool(small) and gate.perturbed(small) >= threshold
    hidden = None
    named = range(1, len(shown))  # with no group named, the combined row is everyone: the total itself
    if small and not small_shown and named:
        hidden = min(named, key=lambda i: (gate.perturbed(shown[i][1]), shown[i][0]))
    return _Layout(shown, small, small_shown, hidden)


def _protected_rows(
    gate: _Gate, scale: list[str], item: str, groups: list[tuple[str, list[Respondent]]], threshold: float
) -> tuple[list[str], list[tuple[Cell, ...]]]:
    """The rows a protected viewer sees: the total, the groups big enough to name, and the
    smaller groups combined (suppressed when still too few). A suppressed combined row would
    be the total less the groups shown, so the smallest group shown is then suppressed too
    (secondary suppression): the difference is the sum of two hidden rows."""
    layout = _layout(gate, groups, threshold)
    labels = [label for label, _ in layout.shown]
    cells = [_shown_row(gate, scale, item, people) for _, people in layout.shown]
    if not layout.small:
        return labels, cells
    labels.append(f"Smaller groups combined (each below {threshold:g})")
    if layout.small_shown:
        cells.append(_shown_row(gate, scale, item, layout.small))
        return labels, cells
    cells.append(
        _suppressed(gate, scale, f"suppressed: fewer than {threshold:g} answers (after perturbation)")
    )
    if layout.hidden is not None:
        reason = (
            "suppressed: so that the smaller groups cannot be worked out from the total less the groups shown"
        )
        cells[layout.hidden] = _suppressed(gate, scale, reason)
    return labels, cells


def _revealed(gate: _Gate, groups: list[tuple[str, list[Respondent]]], threshold: float) -> list[set[str]]:
    """The partition of the item's respondents (by id) that a protected table by an attribute
    reveals: each group row shown, and all the hidden rows together (the total less those)."""
    layout = _layout(gate, groups, threshold)
    blocks = [
        {r.id for r in people} for i, (_, people) in enumerate(layout.shown) if i and i != layout.hidden
    ]
    if layout.small_shown:
        blocks.append({r.id for r in layout.small})
    seen = set().union(*blocks) if blocks else set()
    rest = {r.id for r in groups[0][1]} - seen
    return [*blocks, rest] if rest else blocks


def _admitted(gate: _Gate, survey: Survey, item: str, threshold: float) -> list[str]:
    """The attributes a protected viewer may group ``item`` by (see the module's docstring):
    in column order, each admitted unless it splits a cell of the cross-classification by
    the attributes admitted before it into a piece below ``threshold`` (after perturbation)."""
    cells: list[list[Respondent]] = [_groups(survey, item, None)[0][1]]
    admitted: list[str] = []
    for column in (i.column for i in survey.items if i.kind == "attribute"):
        blocks = _revealed(gate, _groups(survey, item, column), threshold)
        pieces: list[list[Respondent]] = []
        for cell in cells:
            split = [part for block in blocks if (part := [r for r in cell if r.id in block])]
            if len(split) > 1 and any(gate.perturbed(part) < threshold for part in split):
                break
            pieces += split
        else:
            cells = pieces
            admitted.append(column)
    return admitted


def groupable(survey: Survey, item: str, *, key: bytes, rules: RuleSet, scope: str = "") -> list[str]:
    """The attribute columns a viewer without full access may group Likert ``item`` by: those
    whose tables, together, single out no group below the rule set's threshold."""
    gate = _Gate(rules, {r.id: record_key(key, r.id, scope=scope) for r in survey.respondents})
    return _admitted(gate, survey, item, rules.percent_min_population)


def item_table(
    survey: Survey,
    item: str,
    by: str | None = None,
    *,
    key: bytes,
    rules: RuleSet,
    full_access: bool = False,
    scope: str = "",
) -> SurveyTable:
    """The distribution of Likert ``item`` overall and per value of attribute ``by``: answers,
    then a count and a percentage per scale point. Protected (``rules``) unless
    ``full_access``; an unrounded rule set is refused for a protected table."""
    it = survey.item(item)
    if it.kind != "likert" or it.scale is None:
        raise Invalid(f"Column {item!r} is not a Likert item; pick one of the Likert columns.")
    if by is not None and survey.item(by).kind != "attribute":
        raise Invalid(f"Column {by!r} is not an attribute; group by an attribute column.")
    if not full_access and not (rules.rounding and rules.cell_key):
        raise DisclosureError(
            f"Rule set {rules.name!r} does not protect small groups; only the study's owner "
            "(full access) may see true counts."
        )
    used = RULE_SETS["unrounded"] if full_access else rules
    gate = _Gate(used, {r.id: record_key(key, r.id, scope=scope) for r in survey.respondents})
    threshold = used.percent_min_population
    groups = _groups(survey, item, by)
    if full_access:
        labels = [label for label, _ in groups]
        cells = [_row(gate, it.scale, item, people) for _, people in groups]
    else:
        if by is not None and by not in (admitted := _admitted(gate, survey, item, threshold)):
            raise Refused(
                f"Grouping {item!r} by {by!r} is refused: together with a table by another attribute "
                f"it would show a group of fewer than {threshold:g} respondents, so small groups would "
                f"be disclosed. Group by one of: {', '.join(admitted) or '(no attribute)'}; the study's "
                "owners may use any attribute."
            )
        labels, cells = _protected_rows(gate, it.scale, item, groups, threshold)
    heads = ["group", "answered"]
    for label in it.scale:
        heads += [label, f"{label} %"]
    rows = tuple(
        (label, *(_plain(c) for c in row), used.stamp) for label, row in zip(labels, cells, strict=True)
    )
    notes = [f"Rule set: {used.stamp}. {used.description}"]
    if not full_access:
        notes.append(
            f"A count shown as {used.zero_range} stands for that many people or none; groups with "
            f"fewer than {threshold:g} answers are combined, and suppressed ({used.marker}) if still too few; "
            "the smallest group shown is then suppressed too, so the total less the groups shown reveals "
            "no suppressed row."
        )
        notes.append(
            "Percentages are of the counts shown in the row, to whole percent; a count shown as a range "
            f"or hidden has no percentage ({used.marker}). Only attributes whose tables together single out "
            "no small group may be used for grouping."
        )
    title = f"{it.label or item}" + (f" by {by}" if by else "")
    return SurveyTable(
        title,
        item,
        by,
        not full_access,
        used.stamp,
        used.description,
        (*heads, "rules"),
        rows,
        tuple(cells),
        tuple(notes),
    )
