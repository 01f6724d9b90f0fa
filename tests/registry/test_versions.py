"""versions.py: WANTED and LATEST over npm and PEP 440 releases, as tables."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mcpstate.registry.versions import Catalog, Release, is_newer, latest, sort_key, wanted

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=timezone.utc)


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def npm(*releases: Release, tags: dict[str, str] | None = None) -> Catalog:
    return Catalog("npm", "@scope/pkg", releases, tags or {})


def pypi(*releases: Release) -> Catalog:
    return Catalog("pypi", "pkg", releases)


CALENDAR = npm(Release("2026.7.4", days_ago(108)), Release("2026.8.31", days_ago(50)),
               Release("2026.10.19", days_ago(1)), tags={"latest": "2026.10.19"})


def test_calendar_versions_compare_as_numbers_not_strings() -> None:
    # As strings "2026.8.31" > "2026.10.19"; as versions it is the older one.
    assert is_newer("npm", "2026.10.19", "2026.8.31")
    assert is_newer("pypi", "2026.10.19", "2026.8.31")
    assert wanted("^2026.0.0", CALENDAR, now=NOW) == "2026.10.19"
    assert latest(CALENDAR, now=NOW) == "2026.10.19"


@pytest.mark.parametrize("constraint, age, expected", [
    ("^2026.0.0", 3, "2026.8.31"),      # 2026.10.19 is one day old
    ("^2026.0.0", 0.5, "2026.10.19"),
    ("^2026.0.0", 200, None),            # nothing old enough
    ("~2026.7.0", 0, "2026.7.4"),
    (">=2026.8.0 <2026.9.0", 0, "2026.8.31"),
    ("2026.7.x", 0, "2026.7.4"),
    ("latest", 3, None),                 # the tag's version is too young: no move
    (None, 3, "2026.8.31"),              # no constraint: WANTED is LATEST
    ("*", 0, "2026.10.19"),
    ("^2027", 0, None),
])
def test_npm_wanted(constraint: str | None, age: float, expected: str | None) -> None:
    assert wanted(constraint, CALENDAR, now=NOW, min_release_age_days=age) == expected


def test_min_release_age_applies_to_latest_too() -> None:
    assert latest(CALENDAR, now=NOW, min_release_age_days=3) == "2026.8.31"


SERVER = npm(Release("1.0.0", days_ago(400)), Release("1.10.0", days_ago(90)),
             Release("2.2.0", days_ago(10)), Release("2.3.0-beta.1", days_ago(2)),
             Release("3.0.0", days_ago(1)),
             tags={"latest": "2.2.0", "beta": "2.3.0-beta.1"})


@pytest.mark.parametrize("constraint, expected", [
    ("^1.0.0", "1.10.0"),                # 1.10 > 1.9 > 1.2: numeric
    ("^2.0.0", "2.2.0"),                 # the beta is not taken unasked
    (">=2.3.0-beta.0 <3", "2.3.0-beta.1"),  # asked by naming a prerelease of 2.3.0
    ("beta", "2.3.0-beta.1"),            # asked by dist-tag
    ("latest", "2.2.0"),
])
def test_npm_prereleases_only_when_asked(constraint: str, expected: str) -> None:
    assert wanted(constraint, SERVER, now=NOW) == expected


def test_npm_latest_is_the_latest_tag_not_the_highest_version() -> None:
    # 3.0.0 is published but not tagged latest (a publisher's choice, as for betas).
    assert latest(SERVER, now=NOW) == "2.2.0"


def test_npm_latest_falls_back_below_a_too_young_tag() -> None:
    catalog = npm(Release("1.0.0", days_ago(30)), Release("1.1.0", days_ago(1)),
                  tags={"latest": "1.1.0"})
    assert latest(catalog, now=NOW, min_release_age_days=7) == "1.0.0"


def test_npm_invalid_range_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="neither an npm range nor a dist-tag"):
        wanted(">>1", SERVER, now=NOW)


PY = pypi(Release("1.0.0", days_ago(400)), Release("1.5.0", days_ago(300), yanked=True),
          Release("1.10.0", days_ago(90)), Release("2.2.0", days_ago(10)),
          Release("2.3.0b1", days_ago(2)), Release("not-a-version", days_ago(2)))


@pytest.mark.parametrize("constraint, expected", [
    ("<2", "1.10.0"),
    (">=1.2,<1.6", None),                # only the yanked 1.5.0 would match
    ("==1.5.0", None),                   # yanked: never a move target
    (">=2.3.0b1", "2.3.0b1"),            # asked by naming a prerelease
    ("~=2.2", "2.2.0"),
    (None, "2.2.0"),
])
def test_pep440_wanted_skips_yanked_and_unasked_prereleases(constraint: str | None,
                                                             expected: str | None) -> None:
    assert wanted(constraint, PY, now=NOW) == expected


def test_pep440_prerelease_only_project_is_taken_as_pip_does() -> None:
    assert latest(pypi(Release("0.1.0a1", days_ago(30))), now=NOW) == "0.1.0a1"


def test_unknown_release_time_fails_an_age_policy_closed() -> None:
    catalog = pypi(Release("1.0.0", None), Release("0.9.0", days_ago(30)))
    assert latest(catalog, now=NOW) == "1.0.0"
    assert latest(catalog, now=NOW, min_release_age_days=1) == "0.9.0"


def test_pep440_invalid_specifier_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a PEP 440 specifier"):
        wanted("^1.0", PY, now=NOW)


def test_catalog_release_matches_pep440_spellings() -> None:
    assert PY.release("1.10").version == "1.10.0"  # PEP 440: the same version
    assert PY.release("1.1") is None
    assert sort_key("npm", "1.0") is None        # npm versions are full semver
