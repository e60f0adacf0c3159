"""Finding providers, indicators, years and groups by what a person types."""

from __future__ import annotations

import pytest

from techforce import errors
from techforce.workforce.finding import (
    check_choice,
    fold,
    nearest_providers,
    provider_label,
    resolve_provider,
    search_providers,
)

NAMES = {
    "10000001": "University of Ashford",
    "10000002": "University of Ashford Arts",
    "10000003": "Bramley Institute of Technology",
    "10000004": "École Supérieure de Cardiff",
    "10000005": "Denton College",
    "10000013": "University of Eastleigh",
    "20000001": "Ashford Metropolitan University",
}


def test_fold_ignores_case_accents_and_spacing() -> None:
    assert fold("  École   SUPÉRIEURE ") == "ecole superieure"


def test_search_ranks_exact_ukprn_then_starts_with_then_contains() -> None:
    assert search_providers(NAMES, "10000001")[0] == ("10000001", "University of Ashford")
    found = [u for u, _ in search_providers(NAMES, "ashford")]
    # name starts with, before a word starting with it, in name order
    assert found == ["20000001", "10000001", "10000002"]
    assert [u for u, _ in search_providers(NAMES, "1000000")] == [
        "10000001",
        "10000002",
        "10000003",
        "10000004",
        "10000005",
    ]
    assert search_providers(NAMES, "ecole") == [("10000004", "École Supérieure de Cardiff")]
    assert search_providers(NAMES, "SUPÉR") == [("10000004", "École Supérieure de Cardiff")]
    assert search_providers(NAMES, "ity of") and len(search_providers(NAMES, "university", limit=2)) == 2
    assert search_providers(NAMES, "   ") == []
    assert search_providers(NAMES, "zzz") == []


def test_search_is_stable() -> None:
    assert search_providers(NAMES, "u") == search_providers(dict(reversed(NAMES.items())), "u")


def test_resolve_ukprn_exact_name_and_unique_fragment() -> None:
    assert resolve_provider(NAMES, "10000003") == "10000003"
    assert resolve_provider(NAMES, " bramley ") == "10000003"
    assert resolve_provider(NAMES, "cardiff") == "10000004"
    # an exact name wins over longer names that contain it
    assert resolve_provider(NAMES, "university of ashford") == "10000001"
    assert resolve_provider(NAMES, "1000001") == "10000013"  # a unique UKPRN prefix


def test_resolve_ambiguous_fragment_lists_the_matches() -> None:
    with pytest.raises(errors.Refused) as caught:
        resolve_provider(NAMES, "Ashford")
    message = caught.value.message
    assert "'Ashford' matches 3 providers" in message
    assert (
        "University of Ashford (10000001)" in message
        and "Ashford Metropolitan University (20000001)" in message
    )
    many = {f"1{i:07d}": f"College {i}" for i in range(20)}
    with pytest.raises(errors.Refused, match="and 12 more"):
        resolve_provider(many, "college")


def test_resolve_unknown_names_the_nearest() -> None:
    with pytest.raises(errors.NotFound) as caught:
        resolve_provider(NAMES, "Univrsity of Eastleig")
    assert "no provider 'Univrsity of Eastleig'" in caught.value.message
    assert "University of Eastleigh (10000013)" in caught.value.message
    with pytest.raises(errors.NotFound) as caught:
        resolve_provider(NAMES, "99999999")
    assert "no provider '99999999'" in caught.value.message and "nearest:" in caught.value.message
    with pytest.raises(errors.NotFound) as caught:
        resolve_provider(NAMES, "1234")
    assert "10000001" in caught.value.message  # shares the prefix "1"
    with pytest.raises(errors.NotFound, match="no providers are known yet"):
        resolve_provider({}, "10000001")


def test_provider_label() -> None:
    assert provider_label(NAMES, "10000001") == "University of Ashford (10000001)"
    assert provider_label(NAMES, "30000000") == "30000000"
    assert provider_label({"30000000": "30000000"}, "30000000") == "30000000"


def test_check_choice() -> None:
    years = ["2022/23", "2023/24"]
    assert check_choice("year", "2023/24", years) == "2023/24"
    assert check_choice("peer group", "russell group", ["Russell Group", "Million+"]) == "Russell Group"
    with pytest.raises(errors.NotFound) as caught:
        check_choice("indicator", "tech.headcont", ["tech.headcount", "tech.fte", "age.band"])
    message = caught.value.message
    assert message.startswith("no indicator 'tech.headcont'; did you mean: tech.headcount")
    assert "known: tech.headcount, tech.fte, age.band" in message
    with pytest.raises(errors.NotFound, match="known: none"):
        check_choice("peer group", "x", [])
    many = [f"group {i}" for i in range(30)]
    with pytest.raises(errors.NotFound, match="and 18 more"):
        check_choice("peer group", "zzz", many)


def test_text_longer_than_any_name_is_unknown_at_once_and_named_shortened() -> None:
    """A 2 MB value was folded once per choice, then compared by difflib: ~13 s per request."""
    huge = "tech.headcount" + "x" * 2_000_000
    with pytest.raises(errors.NotFound) as caught:
        check_choice("indicator", huge, ["tech.headcount", "tech.fte"])
    assert (
        "did you mean" not in caught.value.message
        and "known: tech.headcount, tech.fte" in caught.value.message
    )
    assert "(2,000,014 characters)" in caught.value.message and len(caught.value.message) < 300
    digits = "1" * 2_000_000
    assert search_providers(NAMES, digits) == [] and nearest_providers(NAMES, digits) == []
    with pytest.raises(errors.NotFound, match="characters"):
        resolve_provider(NAMES, "ashford" * 300_000)
    # up to 200 characters, matching is as before
    assert check_choice("peer group", "RUSSELL GROUP", ["Russell Group"]) == "Russell Group"
