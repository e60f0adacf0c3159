"""The attack suite: differencing attacks played through the real API against the demo sector
(the embedded default, at a small scale), as the audit played them.

The attacker is a sector analyst who may build peer groups, and who knows the published
method: the rule set and perturbation table come from the API (Kerckhoffs: the method is
public; only the record keys are secret). Each attack turns what it sees into a set of true
counts consistent with it; a count is *recovered* when that set is a single value and the
value is true. The suite passes only if no true count below the percentage threshold (22.5)
is recovered for any provider. Against the code before cell key perturbation, these attacks
recovered every target (the published maximum change was 0, so the sets were singletons)."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from techforce.accounts import service
from techforce.db import Database
from techforce.disclosure import RULE_SETS
from techforce.settings import Settings
from techforce.web.app import create_app
from techforce.workforce import definitions, indicators, peer_groups, store, synth
from techforce.workforce import synth_output as output
from techforce.workforce.ingest import ingest
from tests.web.conftest import PASSWORD, sign_in

THRESHOLD = 22.5
DEMO = synth.SynthConfig().scaled(0.12)  # the demo's sector: 223 providers, 120 returning non-academic staff
TARGETS = 10  # providers attacked with many overlapping groups
PAIRS = 16  # random groups G, each published with and without the target


@dataclass
class Sector:
    client: TestClient
    csrf: str
    truth: indicators.Computation
    year: int
    returners: list[str]
    providers: list[str]
    method: dict[str, Any]
    seen: list[str] = field(default_factory=list)  # every JSON body the attacker received

    def get(self, path: str, **params: object) -> Any:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, response.text[:300]
        self.seen.append(response.text)
        return response.json()

    def group(self, name: str, members: list[str]) -> int:
        response = self.client.post(
            "/api/workforce/peer-groups",
            headers={"X-CSRF-Token": self.csrf},
            json={"name": name, "ukprns": members},
        )
        self.seen.append(response.text)
        return response.status_code

    def explore(self, indicator: str, scope: str) -> dict[str, str]:
        """The published display of each category of an indicator for a population."""
        rows = self.get("/api/workforce/explore", indicator=indicator, scope=scope, year=self.year)["rows"]
        return {r["category"]: r["shown"] for r in rows}


@pytest.fixture(scope="module")
def sector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sector]:
    root = tmp_path_factory.mktemp("attack")
    demo = synth.generate(DEMO)
    year = min(demo.years)
    output.write_csv(demo, root / "sector", year)
    providers_csv, groups_csv = output.write_metadata(demo, root / "sector")
    settings = Settings(data_dir=root / "data", user="test")
    db = Database(settings)
    db.migrate()
    ingest(settings, db, [root / "sector" / str(year) / "csv"])
    with db.session() as session:
        peer_groups.import_providers(session, providers_csv, actor="test")
        peer_groups.import_csv(session, groups_csv, actor="test")
        service.create_user(session, "analyst", "sector-analyst", actor="test", password=PASSWORD)
        files, returned = store.catalogue_inputs(session, settings)
    truth = indicators.compute(files, returned, definitions.get(None), RULE_SETS["unrounded"])
    returners = sorted(u for (u, _y), r in returned.items() if r)
    with TestClient(create_app(settings, db)) as client:
        csrf = sign_in(client, "analyst")
        method = client.get("/api/workforce/definitions").json().get("disclosure") or {}
        yield Sector(client, csrf, truth, year, returners, sorted(u for u, _y in returned), method)
    db.dispose()


# --- what the attacker knows of the method ----------------------------------------------
def _round_to(s: Sector) -> int:
    return int(s.method.get("round_to") or 5)


def _max_change(s: Sector) -> int:
    ptable = s.method.get("perturbation") or {}
    return int(ptable.get("max_change") or 0)


def _count(shown: str) -> int:
    """A published count as a number: "0–5" (a published zero) is 0."""
    return 0 if shown.startswith("0–") else int(shown.replace(",", ""))


def _interval(shown: str, s: Sector) -> tuple[float, float]:
    """The published count shown as ``shown`` came from a value in [low, high)."""
    r = _count(shown)
    half = _round_to(s) / 2
    return (0.0, half) if r == 0 else (r - half, r + half)


def _true_counts(published: set[int], s: Sector) -> set[int]:
    """True counts that the published method can turn into one of these published counts:
    within the maximum change, never negative, and zero only from a published zero."""
    m = _max_change(s)
    return {v for p in published for v in range(max(0, p - m), p + m + 1) if v > 0 or p == 0}


def _between(low: float, high: float) -> set[int]:
    """Whole counts strictly inside (low, high)."""
    return {v for v in range(max(0, int(low) - 1), int(high) + 2) if low < v < high}


def _true(s: Sector, indicator: str, ukprn: str, category: str = "all") -> float:
    rows = [
        r for r in s.truth.rows[indicator] if r.ukprn == ukprn and r.year == s.year and r.category == category
    ]
    return rows[0].num if rows else 0.0


@dataclass
class Findings:
    targets: int = 0
    recovered: list[str] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)
    pinned_published: int = 0
    pinned_true: int = 0

    def judge(self, what: str, feasible: set[int], true: float, *, below: float = THRESHOLD) -> None:
        if true >= below or true != int(true):
            return
        self.targets += 1
        if int(true) not in feasible:
            self.inconsistent.append(f"{what}: true {true:g} not in {sorted(feasible)}")
        elif len(feasible) == 1:
            self.recovered.append(f"{what} = {true:g}")

    def assert_safe(self) -> None:
        assert self.targets >= 20, f"the attack found only {self.targets} small cells to attack"
        assert not self.recovered, (
            f"{len(self.recovered)} of {self.targets} true counts recovered: {self.recovered[:5]}"
        )
        assert not self.inconsistent, (
            f"published figures do not follow the published method: {self.inconsistent[:5]}"
        )


def _targets(s: Sector) -> list[str]:
    """Returning providers with a strategic technical leader and few technicians: the cells
    the audit went after ("exactly one leader, and she is a woman")."""
    small = [
        u for u in s.returners if _true(s, "leadership.leaders", u) > 0 and _true(s, "tech.headcount", u) < 60
    ]
    return random.Random(5).sample(small, min(TARGETS, len(small)))


def test_groups_of_one_or_two_providers_are_refused(sector: Sector) -> None:
    one, two = sector.returners[:1], sector.returners[1:3]
    assert sector.group("just one", one) == 400 and sector.group("a pair", two) == 400
    assert "at least 5" in sector.seen[-1]
    assert sector.group("four", sector.returners[3:7]) == 400


def test_group_versus_group_less_one_recovers_no_small_count(sector: Sector) -> None:
    """For each target p: the sector against the sector less p, and random groups G (5-40
    providers) against G plus p. Each pair bounds p's count; the attacker intersects them
    all, for the leaders count and every age band of p."""
    rng = random.Random(11)
    plan: dict[str, list[tuple[str, str]]] = {}
    for i, p in enumerate(_targets(sector)):
        others = [u for u in sector.providers if u != p]
        assert sector.group(f"all but {i}", others) == 201
        pairs = [("sector", f"group:all but {i}")]
        for j in range(PAIRS):
            g = rng.sample([u for u in sector.returners if u != p], rng.randint(5, 40))
            assert sector.group(f"g{i}.{j}", g) == 201 and sector.group(f"g{i}.{j}+p", [*g, p]) == 201
            pairs.append((f"group:g{i}.{j}+p", f"group:g{i}.{j}"))
        plan[p] = pairs
    findings = Findings()
    for p, pairs in plan.items():
        for indicator in ("leadership.leaders", "tech.by_age"):
            bounds: dict[str, tuple[float, float]] = {}
            for with_p, without_p in pairs:
                a, b = sector.explore(indicator, with_p), sector.explore(indicator, without_p)
                for category in set(a) | set(b):
                    if ".." in (a.get(category), b.get(category)):  # a breakdown of a small population
                        continue
                    (a_low, a_high), (b_low, b_high) = (
                        _interval(a.get(category, "0"), sector),
                        _interval(b.get(category, "0"), sector),
                    )
                    low, high = bounds.get(category, (float("-inf"), float("inf")))
                    bounds[category] = (max(low, a_low - b_high), min(high, a_high - b_low))
            for category, (low, high) in bounds.items():
                raw = "all" if category == "all" else _category_key(sector, indicator, p, category)
                true = _true(sector, indicator, p, raw)
                pinned = _between(low, high)
                findings.judge(f"{p} {indicator} {category}", _true_counts(pinned, sector), true)
                if len(pinned) == 1 and true < THRESHOLD:
                    findings.pinned_published += 1
                    findings.pinned_true += pinned == {true}
    # The audit's sharper attack: a group's percentage and rounded headcount pin the group's
    # (aged 55+, headcount) pair; two groups differing by p then pin p's counts.
    for p, pairs in plan.items():
        olds: set[int] | None = None
        heads: set[int] | None = None
        for with_p, without_p in pairs:
            a, b = _pinned_pairs(sector, with_p), _pinned_pairs(sector, without_p)
            if a and b:
                d_old, d_head = _difference(a, b)
                olds = d_old if olds is None else olds & d_old
                heads = d_head if heads is None else heads & d_head
        if olds is not None and heads is not None:
            findings.judge(
                f"{p} aged 55+ (differenced percentages)",
                _true_counts(olds, sector),
                _true(sector, "tech.aged_55_plus", p),
                below=float("inf"),
            )
            findings.judge(
                f"{p} headcount (differenced percentages)",
                _true_counts(heads, sector),
                _true(sector, "tech.headcount", p),
                below=float("inf"),
            )
    findings.assert_safe()
    # Averaging many overlapping groups gives the provider's perturbed value, not its true
    # one: a naive attacker who ignores the perturbation is right only by chance.
    if findings.pinned_published >= 10:
        assert findings.pinned_true / findings.pinned_published < 0.75


def _category_key(s: Sector, indicator: str, ukprn: str, label: str) -> str:
    """The stored category ("2 25-34") behind a published label ("25-34")."""
    for r in s.truth.rows[indicator]:
        if r.ukprn == ukprn and r.year == s.year and indicators._label(r.category) == label:
            return r.category
    return label


def _pinned_pairs(s: Sector, scope: str) -> set[tuple[int, int]] | None:
    """(people aged 55+, technical headcount) pairs consistent with a population's published
    percentage (one decimal place) and rounded headcount; None when the percentage is hidden."""
    share = s.explore("tech.aged_55_plus", scope).get("all", "..")
    count = s.explore("tech.headcount", scope).get("all", "..")
    if share == ".." or count == "..":
        return None
    percent = float(share.rstrip("%"))
    low, high = _interval(count, s)
    return {
        (a, h)
        for h in range(max(1, int(low)), int(high) + 1)
        if low <= h < high
        for a in range(0, h + 1)
        if round(100 * a / h, 1) == percent
    }


def _difference(with_p: set[tuple[int, int]], without_p: set[tuple[int, int]]) -> tuple[set[int], set[int]]:
    return (
        {a1 - a2 for a1, _ in with_p for a2, _ in without_p},
        {h1 - h2 for _, h1 in with_p for _, h2 in without_p},
    )


def test_repeating_a_query_gives_the_same_answer(sector: Sector) -> None:
    p = sector.returners[0]
    first = sector.client.get(
        "/api/workforce/explore", params={"indicator": "tech.by_age", "scope": f"provider:{p}"}
    )
    again = [
        sector.client.get(
            "/api/workforce/explore", params={"indicator": "tech.by_age", "scope": f"provider:{p}"}
        ).json()
        for _ in range(5)
    ]
    assert all(a == first.json() for a in again)


def test_rounded_count_and_percentages_recover_no_small_count(sector: Sector) -> None:
    """A percentage to one decimal place and the rounded count of its population together
    pin the pair (numerator, denominator) they were computed from. They come from perturbed
    counts, so the pair pins only perturbed counts. Judged on every count, not only small ones."""
    findings = Findings()
    for p in sector.returners:
        pairs = _pinned_pairs(sector, f"provider:{p}")
        if pairs:  # the audit pinned headcounts this way too: judge every count, however large
            findings.judge(
                f"{p} aged 55+",
                _true_counts({a for a, _h in pairs}, sector),
                _true(sector, "tech.aged_55_plus", p),
                below=float("inf"),
            )
            findings.judge(
                f"{p} technical headcount",
                _true_counts({h for _a, h in pairs}, sector),
                _true(sector, "tech.headcount", p),
                below=float("inf"),
            )
    assert findings.targets >= 20, findings.targets
    assert not findings.recovered, findings.recovered[:5]
    assert not findings.inconsistent, findings.inconsistent[:5]


def test_ranks_teach_nothing_beyond_the_published_values(sector: Sector) -> None:
    """Rank probing: a provider's rank in a group follows from the published figures of the
    group's members (ties share a rank), so ranking reveals no unrounded value."""
    published = {
        row["ukprn"]: row["Technical staff (headcount)"]
        for row in sector.get("/api/workforce/overview")["providers"]
    }
    members = random.Random(3).sample(sector.returners, 12)
    assert sector.group("rank probe", members) == 201
    for p in members[:6]:
        profile = sector.get(f"/api/workforce/providers/{p}", group="rank probe", year=sector.year)
        row = next(i for i in profile["indicators"] if i["indicator"] == "tech.headcount")
        own = _count(published[p])
        expected = 1 + sum(_count(published[u]) > own for u in members)
        tied = "=" if sum(_count(published[u]) == own for u in members) > 1 else ""
        assert row["rank"] == f"{tied}{expected} of {len(members)}", (p, row)


def test_no_output_carries_a_true_population(sector: Sector) -> None:
    """Notes, tooltips and meta of everything the attacker received: no population figure."""
    assert sector.seen, "run after the other attacks"
    for body in sector.seen:
        for note in re.findall(r'"disclosure":\s*"([^"]*)"', body):
            assert not re.search(r"population [\d,.]+ ", note), note
        assert "unrounded" not in json.dumps(body)


def test_overlapping_small_groups_cannot_be_built_from_large_ones(sector: Sector) -> None:
    """Five overlapping groups that each differ from the next by one provider: every figure
    is a sum of the same perturbed provider cells, so differences give perturbed cells only."""
    p = _targets(sector)[0]
    base = [u for u in sector.returners if u != p][:8]
    shown = []
    for k, extra in enumerate(itertools.islice((u for u in sector.returners if u not in base and u != p), 5)):
        assert sector.group(f"overlap {k}", [*base, extra, p]) == 201
        assert sector.group(f"overlap {k}-p", [*base, extra]) == 201
        a = sector.explore("leadership.leaders", f"group:overlap {k}")["all"]
        b = sector.explore("leadership.leaders", f"group:overlap {k}-p")["all"]
        shown.append((_interval(a, sector), _interval(b, sector)))
    low = max(a[0] - b[1] for a, b in shown)
    high = min(a[1] - b[0] for a, b in shown)
    feasible = _true_counts(_between(low, high), sector)
    assert _true(sector, "leadership.leaders", p) in feasible and len(feasible) > 1
