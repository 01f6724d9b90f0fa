"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme): one byte string per
JSON value, so a digest of it is a digest of the value.

    canonical({"b": 1, "a": [1.0, "é"]}) == b'{"a":[1,"\xc3\xa9"],"b":1}'

Members sorted by the UTF-16 code units of their names, no whitespace, strings with
only the escapes JSON requires, numbers as ECMAScript prints them (1.0 is `1`,
1e21 is `1e+21`). Values JSON cannot hold (NaN, infinities, non-string keys) are a
ValueError: a tool listing that holds them is not JSON."""

from __future__ import annotations

import json
import math
from typing import Any

_encode_string = json.JSONEncoder(ensure_ascii=False).encode


def canonical(value: Any) -> bytes:
    return "".join(_parts(value)).encode("utf-8")


def _parts(value: Any) -> list[str]:
    out: list[str] = []
    _write(value, out)
    return out


def _write(value: Any, out: list[str]) -> None:
    if value is None or value is True or value is False:
        out.append({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, str):
        out.append(_encode_string(value))
    elif isinstance(value, int):
        out.append(_number(float(value)) if abs(value) >= 2 ** 53 else str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, dict):
        _write_object(value, out)
    else:
        raise ValueError(f"{type(value).__name__} is not a JSON value")


def _write_object(value: dict[Any, Any], out: list[str]) -> None:
    if not all(isinstance(key, str) for key in value):
        raise ValueError("an object with a name that is not a string is not JSON")
    out.append("{")
    for i, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be"))):
        if i:
            out.append(",")
        out.append(_encode_string(key))
        out.append(":")
        _write(value[key], out)
    out.append("}")


def _number(x: float) -> str:
    """ECMAScript's Number.prototype.toString for a finite double (RFC 8785 §3.2.2.3)."""
    if not math.isfinite(x):
        raise ValueError(f"{x} is not a JSON number")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    digits, exponent = _shortest(abs(x))  # x = 0.digits * 10**exponent
    k = len(digits)
    if k <= exponent <= 21:
        return sign + digits + "0" * (exponent - k)
    if 0 < exponent <= 21:
        return sign + digits[:exponent] + "." + digits[exponent:]
    if -6 < exponent <= 0:
        return sign + "0." + "0" * -exponent + digits
    e = exponent - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def _shortest(x: float) -> tuple[str, int]:
    """The shortest digits that round-trip (Python's repr finds them) and the decimal
    exponent n with x = 0.d1d2... * 10**n."""
    mantissa, _, exp = repr(x).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    leading_zeros = len(whole + fraction) - len((whole + fraction).lstrip("0"))
    exponent = len(whole) - leading_zeros + (int(exp) if exp else 0)
    return digits.rstrip("0") or "0", exponent
