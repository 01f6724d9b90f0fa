"""The tool surface's bytes: RFC 8785 canonical JSON, one byte string per surface."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcpstate.probe.canonical import canonical
from mcpstate.probe.surface import (
    SurfaceError,
    parse_surface,
    surface_bytes,
    surface_digest,
    surface_of,
)


@pytest.mark.parametrize("number, text", [
    (1.0, "1"), (0.5, "0.5"), (-0.0, "0"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
    (1e-7, "1e-7"), (1e-6, "0.000001"), (4.5e-10, "4.5e-10"), (1.5e300, "1.5e+300"),
    (333333333.33333329, "333333333.3333333"), (2 ** 60, "1152921504606847000"), (-42, "-42"),
])
def test_numbers_print_as_ecmascript_prints_them(number: float, text: str) -> None:
    assert canonical(number) == text.encode()


def test_members_sort_by_utf16_code_units_and_strings_keep_their_characters() -> None:
    value = {"\uffff": 2, "\U0001F600": 1, "b": [True, None], "a": "é\n\u0001\""}
    assert canonical(value) == '{"a":"é\\n\\u0001\\"","b":[true,null],"\U0001F600":1,"\uffff":2}'.encode()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {1: "x"}, {"a": object()}])
def test_what_json_cannot_hold_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        canonical(bad)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 53, 2 ** 53) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)


@given(json_values)
def test_canonical_bytes_are_json_of_the_same_value_and_a_fixed_point(value: object) -> None:
    data = canonical(value)
    assert _as_doubles(json.loads(data)) == _as_doubles(value)  # JSON numbers are doubles
    assert canonical(json.loads(data)) == data


def _as_doubles(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [_as_doubles(item) for item in value]
    assert isinstance(value, dict)
    return {key: _as_doubles(item) for key, item in value.items()}


def test_a_surface_keeps_the_reviewed_fields_sorted_by_name() -> None:
    surface = surface_of([
        {"name": "b", "description": "B", "inputSchema": {"type": "object"}, "_meta": {"x": 1}, "title": None},
        {"name": "a", "title": "A", "inputSchema": {}, "outputSchema": {"type": "object"}, "annotations": {"readOnlyHint": True}},
    ])
    assert [tool["name"] for tool in surface] == ["a", "b"]
    assert surface[1] == {"name": "b", "description": "B", "inputSchema": {"type": "object"}}
    data = surface_bytes(surface)
    assert parse_surface(data) == surface
    assert surface_digest(data).startswith("sha256-") and len(surface_digest(data)) == 71


@pytest.mark.parametrize("listing", [[{"description": "no name"}], [{"name": "a"}, {"name": "a"}], ["a"]])
def test_a_listing_that_is_no_surface_is_refused(listing: list[object]) -> None:
    with pytest.raises(SurfaceError):
        surface_of(listing)  # type: ignore[arg-type]


def test_tools_json_in_any_other_form_is_refused() -> None:
    data = surface_bytes(surface_of([{"name": "a", "description": "x"}]))
    with pytest.raises(SurfaceError, match="canonical"):
        parse_surface(json.dumps(json.loads(data), indent=2).encode())
