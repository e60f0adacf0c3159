"""Peer position: median, quartiles and rank from published values; groups' size and owners."""

from __future__ import annotations

import pytest

from techforce.db import Database
from techforce.disclosure import RULE_SETS
from techforce.workforce import definitions, peer_groups
from techforce.workforce.indicators import Computation, Row
from techforce.workforce.models import Provider
from techforce.workforce.peer_groups import GroupForbidden, PeerGroupError, position

GROUP = ["A", "B", "C", "D", "E"]


def _comp(rules: str = "hesa-standard") -> Computation:
    # tech.aged_55_plus: (numerator, denominator) people per provider
    shares = {"A": (30, 100), "B": (20, 100), "C": (10, 50), "D": (5, 10), "E": (40, 200)}
    rows = {
        "tech.aged_55_plus": [
            Row(u, 2022, "all", num, den, None, 7 * i, 11 * i)
            for i, (u, (num, den)) in enumerate(shares.items())
        ],
        "tech.headcount": [
            Row(u, 2022, "all", den, None, den, 13 * i) for i, (u, (_n, den)) in enumerate(shares.items())
        ],
        "tech.by_age": [],
    }
    returned = {(u, 2022): True for u in shares}
    return Computation(definitions.get(None), RULE_SETS[rules], rows, returned)


def test_rank_median_and_quartile_come_from_published_values() -> None:
    comp = _comp()
    published = {u: c.value for u, c in comp.provider_cells("tech.headcount", 2022).items()}
    assert all(isinstance(v, int) and v % 5 == 0 for v in published.values())
    pos = position(comp, "tech.headcount", 2022, "A", "group", GROUP)
    assert pos.value.value == published["A"]
    assert pos.rank == 1 + sum(v > published["A"] for v in published.values())  # ties share a rank
    low = position(comp, "tech.headcount", 2022, "D", "group", GROUP)
    assert (low.rank, low.quartile, low.value.value) == (5, "bottom quartile", published["D"])
    assert "published values" in low.median.reason


def test_equal_published_values_share_a_rank() -> None:
    rows = {"tech.headcount": [Row(u, 2022, "all", 100.0, None, 100.0, 0) for u in GROUP]}
    comp = Computation(
        definitions.get(None), RULE_SETS["hesa-standard"], rows, {(u, 2022): True for u in GROUP}
    )
    assert {position(comp, "tech.headcount", 2022, u, "g", GROUP).rank for u in GROUP} == {1}


def test_small_population_percentage_is_suppressed_and_left_out_of_group_statistics() -> None:
    comp = _comp()
    small = position(comp, "tech.aged_55_plus", 2022, "D", "group", GROUP)
    assert small.value.display == ".." and "suppressed" in small.value.reason  # 5 of 10 people
    assert small.rank is None and small.of == 4 and small.quartile == "no data"
    shown = position(comp, "tech.aged_55_plus", 2022, "E", "group", GROUP)
    assert shown.value.display.endswith("%") and shown.of == 4
    assert "population" not in shown.value.reason or "100" not in shown.value.reason  # no true population


def test_unrounded_rules_keep_every_provider() -> None:
    pos = position(_comp("unrounded"), "tech.aged_55_plus", 2022, "D", "group", GROUP)
    assert pos.value.value == pytest.approx(50.0) and pos.rank == 1 and pos.of == 5


def test_breakdowns_have_no_single_position() -> None:
    with pytest.raises(PeerGroupError):
        position(_comp(), "tech.by_age", 2022, "A", "group", ["A"])


def _providers(db: Database, n: int) -> list[str]:
    ukprns = [f"1000{i:04d}" for i in range(n)]
    with db.session() as session:
        session.add_all(Provider(ukprn=u) for u in ukprns)
    return ukprns


def test_a_group_needs_five_known_providers(sqlite_db: Database) -> None:
    ukprns = _providers(sqlite_db, 6)
    with sqlite_db.session() as session, pytest.raises(PeerGroupError, match="at least 5 providers"):
        peer_groups.save(session, "Pair", ukprns[:2], actor="t")
    with sqlite_db.session() as session, pytest.raises(PeerGroupError, match="99999999 are not providers"):
        peer_groups.save(session, "Odd", [*ukprns[:5], "99999999"], actor="t")
    with sqlite_db.session() as session:
        peer_groups.save(session, "Five", ukprns[:5], actor="t")
    with sqlite_db.session() as session:
        assert peer_groups.members(session, "Five") == ukprns[:5]


@pytest.mark.parametrize("name", ["bad/name", "two\nlines", "cr\rname", "", "   "])
def test_group_names_are_one_line_of_text(sqlite_db: Database, name: str) -> None:
    ukprns = _providers(sqlite_db, 5)
    with sqlite_db.session() as session, pytest.raises(PeerGroupError):
        peer_groups.save(session, name, ukprns, actor="t")


@pytest.mark.parametrize("name", [".", "..", "...."])
def test_a_group_name_of_only_dots_is_refused(sqlite_db: Database, name: str) -> None:
    """'.' and '..' in a web address are folder steps: the group's remove link would lead elsewhere."""
    ukprns = _providers(sqlite_db, 5)
    with (
        sqlite_db.session() as session,
        pytest.raises(PeerGroupError, match=r"only dots.*add a letter or digit"),
    ):
        peer_groups.save(session, name, ukprns, actor="t")
    with sqlite_db.session() as session:
        peer_groups.save(session, "v1.0", ukprns, actor="t")  # dots with other characters are fine
        assert [g.name for g in peer_groups.all_groups(session)] == ["v1.0"]


def test_only_the_owner_or_an_administrator_changes_a_group(sqlite_db: Database) -> None:
    ukprns = _providers(sqlite_db, 6)
    with sqlite_db.session() as session:
        peer_groups.save(session, "Mine", ukprns[:5], actor="ann", owner="ann", replace_any=False)
    with sqlite_db.session() as session, pytest.raises(GroupForbidden, match="belongs to ann"):
        peer_groups.save(session, "Mine", ukprns[1:], actor="bob", owner="bob", replace_any=False)
    with sqlite_db.session() as session, pytest.raises(GroupForbidden):
        peer_groups.remove(session, "Mine", actor="bob", owner="bob", remove_any=False)
    with sqlite_db.session() as session:
        peer_groups.save(session, "Mine", ukprns[1:], actor="ann", owner="ann", replace_any=False)
        peer_groups.remove(session, "Mine", actor="admin", owner="admin", remove_any=True)
    with sqlite_db.session() as session:
        assert "Mine" not in {g.name for g in peer_groups.all_groups(session)}


@pytest.mark.parametrize("look_alike", ["england", "England ", "England\u200b", "Ｅｎｇｌａｎｄ", "ENGLAND"])
def test_a_look_alike_of_an_existing_group_is_refused(sqlite_db: Database, look_alike: str) -> None:
    ukprns = _providers(sqlite_db, 5)
    with sqlite_db.session() as session:
        peer_groups.save(session, "England", ukprns, actor="t")
    with sqlite_db.session() as session, pytest.raises(PeerGroupError):
        peer_groups.save(session, look_alike, ukprns, actor="t", owner="mallory", replace_any=False)
