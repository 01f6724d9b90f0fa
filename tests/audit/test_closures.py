"""The lock folder's closures as audit reads them. The samples in samples/ were made by
the real tools: pnpm 9.15.9 (`pnpm install --lockfile-only` on samples/package.json,
129 packages resolved) and uv (`uv pip compile --universal --generate-hashes
requirements.in`, 49 pins, two of them of one package under different markers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpstate.audit.closures import (Closure, Package, parse_pnpm_lock, parse_requirements,
                                     server_closures)
from mcpstate.errors import LockfileError
from mcpstate.lockfile.load import load_lockfile

SAMPLES = Path(__file__).parent / "samples"


def test_pnpm_lock_v9_lists_every_package_once_scoped_and_peer_suffixed_alike() -> None:
    packages = parse_pnpm_lock((SAMPLES / "pnpm-lock.yaml").read_text())
    assert len(packages) == 129 == len(set(packages))
    assert Package("npm", "@modelcontextprotocol/server-filesystem", "2025.8.21") in packages
    assert Package("npm", "@hono/node-server", "2.1.9") in packages  # scoped, peers in snapshots
    assert Package("npm", "zod", "4.6.7") in packages
    assert all("(" not in p.version and p.name for p in packages)


def test_pnpm_lock_v6_keys_and_a_closure_without_packages() -> None:
    v6 = "lockfileVersion: '6.0'\npackages:\n  /ajv-formats@3.0.1(ajv@8.17.1):\n    dev: false\n"
    assert parse_pnpm_lock(v6) == [Package("npm", "ajv-formats", "3.0.1")]
    assert parse_pnpm_lock("lockfileVersion: '9.0'\nimporters: {}\n") == []


@pytest.mark.parametrize("text, why", [("packages: [a, b]", "must be a mapping"),
                                       ("packages:\n  nonsense: {}\n", "is not name@version"),
                                       ("packages: {a@1: [}", "not valid YAML")])
def test_a_broken_pnpm_lock_names_the_file(text: str, why: str) -> None:
    with pytest.raises(LockfileError, match=f"mcpstate.lock.d/app/pnpm-lock.yaml: .*{why}"):
        parse_pnpm_lock(text, "mcpstate.lock.d/app/pnpm-lock.yaml")


def test_uv_requirements_pins_with_hashes_markers_and_via_comments() -> None:
    packages = parse_requirements((SAMPLES / "requirements.txt").read_text())
    assert len(packages) == 49
    assert Package("pypi", "mcp-server-fetch", "2025.4.7") in packages
    assert {p.version for p in packages if p.name == "soupsieve"} == {"2.10", "4.1.3"}  # by marker
    assert Package("pypi", "pywin32", "312") in packages  # a marker-only (win32) pin counts too
    assert not [p for p in packages if p.name.startswith(("-", "#")) or "sha256" in p.version]


def test_requirements_names_are_normalized_and_an_unpinned_line_is_refused() -> None:
    text = "Foo_Bar.baz[extra]==1.0 \\\n    --hash=sha256:00\n    # via x\n--index-url https://x\n"
    assert parse_requirements(text) == [Package("pypi", "foo-bar-baz", "1.0")]
    with pytest.raises(LockfileError, match=r"requirements.txt: requirement 'requests>=2' is not pinned"):
        parse_requirements("requests>=2\n")


def test_server_closures_read_the_lock_folder_or_fall_back_to_the_pin(tmp_path: Path) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(
        "version: 1\nservers:\n"
        "  files:\n    source: npm\n    package: '@modelcontextprotocol/server-filesystem'\n    version: 2025.8.21\n"
        "  fetch:\n    source: pypi\n    package: Mcp_Server_Fetch\n    version: 2025.4.7\n"
        "  bare:\n    source: npm\n    package: left-pad\n    version: 1.3.0\n"
        "  local:\n    source: command\n    command: /bin/true\n")
    for server, name in (("files", "pnpm-lock.yaml"), ("fetch", "requirements.txt")):
        folder = tmp_path / "mcpstate.lock.d" / server
        folder.mkdir(parents=True)
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
    closures = server_closures(load_lockfile(tmp_path / "mcpstate.lock.yaml"))
    assert [(c.server, c.locked, len(c.packages), c.lock_file) for c in closures] == [
        ("files", True, 129, "mcpstate.lock.d/files/pnpm-lock.yaml"),
        ("fetch", True, 49, "mcpstate.lock.d/fetch/requirements.txt"),
        ("bare", False, 1, None)]
    assert closures[2] == Closure("bare", "npm", (Package("npm", "left-pad", "1.3.0"),), locked=False)
