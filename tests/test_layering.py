"""Each module imports alone (no cycles); the dependency direction of STYLE.md holds;
`--version` and `plan` stay off the heavy libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "mcpstate"
MODULES = sorted(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
                 for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")
HEAVY = ("rich", "httpx", "deepdiff", "jsonschema", "psutil", "semantic_version", "packaging",
         "dataclasses", "inspect")  # the last two cost plan ~15 ms: its path uses named tuples


# What the pure planner must never reach for: files, processes, sockets, the clock.
IO_AND_CLOCK = frozenset({"os", "io", "pathlib", "time", "datetime", "subprocess", "shutil", "socket",
                          "tempfile"})


def module_path(module: str) -> Path:
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    return path if path.exists() else PACKAGE.parent / module.replace(".", "/") / "__init__.py"


def imports_in(source: str, package: str) -> list[tuple[int, str]]:
    """(line, module) for every import statement at any depth (functions and classes
    too); relative imports resolved against `package`, `from a import b` also as `a.b`
    (b may be a module)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names if alias.name != "*"]
    return found


def imported_names(module: str) -> set[str]:
    path = module_path(module)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    return {name for _, name in imports_in(path.read_text(), package)}


def purity_breaches(source: str, package: str = "mcpstate.plan") -> list[str]:
    """What makes a module impure: importing any of ours but the model, an I/O or clock
    module of the standard library, or calling open(), anywhere in it."""
    breaches = []
    for line, name in imports_in(source, package):
        top, model = name.split(".")[0], name == "mcpstate.model" or name.startswith("mcpstate.model.")
        if (top == "mcpstate" and not model) or top in IO_AND_CLOCK:
            breaches.append((line, f"imports {name}"))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and "open" in (getattr(node.func, "id", None), getattr(node.func, "attr", None)):
            breaches.append((node.lineno, "calls open()"))
    return [f"line {line}: {what}" for line, what in sorted(breaches)]


def test_each_module_imports_alone() -> None:
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    for module in MODULES:
        proc = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True)
        assert proc.returncode == 0, f"{module}: {proc.stderr[-500:]}"


@pytest.mark.parametrize("module", ["mcpstate.errors", "mcpstate.model"])
def test_base_modules_import_nothing_of_ours(module: str) -> None:
    assert not [n for n in imported_names(module) if n.startswith("mcpstate")]


def test_planner_imports_only_the_model_and_does_no_io() -> None:
    assert "mcpstate.model" in imported_names("mcpstate.plan.planner")
    assert purity_breaches(module_path("mcpstate.plan.planner").read_text()) == []


def test_purity_check_sees_what_is_nested_or_relative() -> None:
    # The check itself: an import inside a method inside a function counts, `from
    # .. import x` is ours, and open() is seen as a name or an attribute.
    source = ("from __future__ import annotations\nfrom mcpstate.model import Plan\n"
              "def f():\n    class C:\n        def g(self):\n            import os.path\n"
              "            from ..state import journal\n            return open('x'), io.open('y')\n"
              "    from datetime import date\n    return C\n")
    assert purity_breaches(source) == [
        "line 6: imports os.path", "line 7: imports mcpstate.state", "line 7: imports mcpstate.state.journal",
        "line 8: calls open()", "line 8: calls open()", "line 9: imports datetime", "line 9: imports datetime.date"]


def test_only_cli_imports_commands() -> None:
    for module in MODULES:
        if module.startswith("mcpstate.commands") or module == "mcpstate.cli":
            continue
        assert not [n for n in imported_names(module) if n.startswith("mcpstate.commands")
                    or n == "mcpstate.cli"], module


def test_commands_do_not_import_each_other() -> None:
    """What two commands share lives below commands/ (init adopts through importer/)."""
    for module in MODULES:
        if module.startswith("mcpstate.commands."):
            assert not [n for n in imported_names(module) if n.startswith("mcpstate.commands")], module


def loaded_after(args: list[str], cwd: Path) -> set[str]:
    code = ("import sys\nfrom mcpstate.cli import main\ncode = main(sys.argv[1:])\n"
            "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))\n")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd)
    return set(proc.stdout.split("\n")[-2].split())


def test_version_and_plan_stay_light(tmp_path: Path) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(
        "version: 1\nservers:\n  a:\n    source: npm\n    package: p\n    version: 1.0.0\n")
    for args in (["plan"], ["plan", "--format", "json"], ["validate"]):
        heavy = loaded_after(["-C", str(tmp_path), *args], tmp_path) & set(HEAVY)
        assert heavy == set() or (args == ["validate"] and heavy <= {"semantic_version", "packaging"}), (args, heavy)


CORE_EXEMPT = ("mcpstate.cli", "mcpstate.commands", "mcpstate.render", "mcpstate.context",
               "mcpstate.errhandler", "mcpstate.__init__")


@pytest.mark.parametrize("module", [m for m in MODULES if not m.startswith(CORE_EXEMPT)])
def test_the_core_never_imports_render_or_the_context(module: str) -> None:
    """Only commands print, through render/; the core is given callables instead."""
    bad = [n for n in imported_names(module) if n.startswith(("mcpstate.render", "mcpstate.context"))]
    assert not bad, f"{module} imports {bad}"


def test_the_state_dir_layout_is_spelled_out_once() -> None:
    """Paths into the state dir are joined only in state/layout.py, and into the data dir
    (the shared store) only in home.py (STYLE: one place each)."""
    import re

    joined = re.compile(r'/ "(state\.json[^"]*|journal\.jsonl|lock(\.json)?|txn|reports|backups|staging|store'
                        r'|roots|cache|store\.lock)"')
    for path in PACKAGE.rglob("*.py"):
        if (path.name == "layout.py" and path.parent.name == "state") or path == PACKAGE / "home.py":
            continue
        assert not joined.findall(path.read_text()), path
