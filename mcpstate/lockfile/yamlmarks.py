"""YAML loading that keeps where each key was written, and refuses duplicate keys.

The C parser does the work; only mappings are built in Python, to record marks."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import yaml

Path = tuple[Any, ...]
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class MarkedDict(dict):  # type: ignore[type-arg]
    """A mapping that knows the (line, column) of each of its keys, 1-based."""

    __slots__ = ("marks", "start")

    def __init__(self) -> None:
        super().__init__()
        self.marks: dict[Any, tuple[int, int]] = {}
        self.start: tuple[int, int] = (1, 1)


class MarkedList(list):  # type: ignore[type-arg]
    __slots__ = ("marks",)

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[int, int]] = []


class _Loader(_Base):  # type: ignore[misc,valid-type]
    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[tuple[int, int], str]] = []


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Any:
    result = MarkedDict()
    result.start = _pos(node)
    yield result
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value, not a list or mapping", key_node.start_mark)
        if key in result.marks:
            first = result.marks[key][0]
            loader.duplicates.append((_pos(key_node), f"duplicate key '{key}' (first at line {first})"))
        result.marks[key] = _pos(key_node)
        result[key] = loader.construct_object(value_node, deep=True)


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> Any:
    result = MarkedList()
    yield result
    for child in node.value:
        result.marks.append(_pos(child))
        result.append(loader.construct_object(child, deep=True))


MAX_DIGITS = 20  # beyond any count, size or port a lockfile names; Python would parse 4,300


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    if sum(c.isalnum() for c in str(node.value)) > MAX_DIGITS:
        raise _refused(node, f"a number of {len(str(node.value))} digits is out of range")
    return loader.construct_yaml_int(node)  # type: ignore[no-any-return]


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    value: float = loader.construct_yaml_float(node)
    if not math.isfinite(value) or sum(c.isdigit() for c in str(node.value)) > 2 * MAX_DIGITS:
        raise _refused(node, f"{node.value!r} is not a finite number of sane size")
    return value


def _refused(node: yaml.Node, message: str) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(None, None, message, node.start_mark)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def non_json_values(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Where the document holds what JSON cannot (a date, bytes, a set, a tuple): such a
    value is refused at validate, not when apply first writes it into a JSON target."""
    stack: list[tuple[Path, Any]] = [(path, value)]
    while stack:  # iterative and by exact type: this walk is on every command's path
        where, node = stack.pop()
        kind = type(node)
        if kind in _SCALARS:
            continue
        if isinstance(node, dict):
            for key, child in node.items():
                if type(key) is not str:
                    yield (*where, key), f"the key {key!r} is not text; quote it"
                if type(child) not in _SCALARS:
                    stack.append(((*where, key), child))
        elif isinstance(node, list):
            stack.extend(((*where, i), child) for i, child in enumerate(node) if type(child) not in _SCALARS)
        else:
            yield where, f"{_kind(node)} is not a JSON value; quote it to make it a string"


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _kind(value: object) -> str:
    import datetime

    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"a date ({value.isoformat()})"
    kinds: dict[type, str] = {bytes: "binary data", set: "a set", tuple: "a pair"}
    return kinds.get(type(value), type(value).__name__)


class YamlSyntaxError(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


MAX_VALUES = 1_000_000  # what a document may expand to, aliases counted each time used


def load_marked(text: str) -> tuple[Any, list[tuple[tuple[int, int], str]]]:
    """Parse YAML text; return the data and the duplicate-key problems found."""
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except RecursionError:
        raise YamlSyntaxError(1, 1, "nested too deeply to read") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(line, col, f"invalid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise YamlSyntaxError(1, 1, f"invalid YAML: {e}") from None
    finally:
        loader.dispose()
    if expanded_size(data, {}) > MAX_VALUES:  # a "billion laughs" alias bomb
        raise YamlSyntaxError(1, 1, f"the document expands to more than {MAX_VALUES:,} values "
                                    "through aliases; refusing it")
    return data, loader.duplicates


def expanded_size(value: Any, seen: dict[int, int]) -> int:
    """How many values `value` holds once every alias is expanded. Shared objects
    (aliases) are sized once and counted at each use, so this is linear in the
    document as written, whatever it expands to."""
    if not isinstance(value, (dict, list)):
        return 1
    key = id(value)
    if key not in seen:
        seen[key] = 0  # a recursive alias meets itself here: counted as empty
        children = value.values() if isinstance(value, dict) else value
        seen[key] = 1 + sum(expanded_size(child, seen) for child in children)
    return seen[key]


def locate(data: Any, path: Path) -> tuple[int, int]:
    """The line and column where `path` (or its nearest written ancestor) stands."""
    best = data.start if isinstance(data, MarkedDict) else (1, 1)
    node = data
    for part in path:
        if isinstance(node, MarkedDict) and part in node.marks:
            best = node.marks[part]
        elif isinstance(node, MarkedList) and isinstance(part, int) and part < len(node.marks):
            best = node.marks[part]
        else:
            break
        node = node[part]
    return best
