"""The lock folder's digest, the closure rule of validate, and closure: line edits (no installs)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mcpstate.errors import LockfileError
from mcpstate.lockfile.closure import closure_problems, digest, pinned_version, write_files
from mcpstate.lockfile.edit import Edit, rewrite
from mcpstate.lockfile.load import load_lockfile
from mcpstate.lockfile.relock import stale_reason
from mcpstate.model import ServerSpec

PACKAGE_JSON = json.dumps({"dependencies": {"@x/srv": "1.0.0"}}).encode()
SHA512 = "sha512-" + "A" * 86 + "=="
PNPM_LOCK = (b"lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      '@x/srv':\n"
             b"        specifier: 1.0.0\n        version: 1.0.0\npackages:\n  '@x/srv@1.0.0':\n"
             b"    resolution: {integrity: " + SHA512.encode() + b"}\n")
NPM_FILES = {"package.json": PACKAGE_JSON, "pnpm-lock.yaml": PNPM_LOCK}
REQUIREMENTS = b"x-srv==1.0.0 \\\n    --hash=sha256:" + b"a" * 64 + b"\n"


def test_digest_is_sha256_over_names_lengths_and_bytes_in_name_order() -> None:
    h = hashlib.sha256()
    for name in ("package.json", "pnpm-lock.yaml"):
        data = NPM_FILES[name]
        h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    assert digest(NPM_FILES) == "sha256-" + h.hexdigest()
    assert digest(dict(reversed(list(NPM_FILES.items())))) == digest(NPM_FILES)
    moved = {"package.json": PACKAGE_JSON + PNPM_LOCK[:5], "pnpm-lock.yaml": PNPM_LOCK[5:]}
    assert digest(moved) != digest(NPM_FILES)  # bytes moved between files change it


def test_pinned_version_reads_each_installers_format() -> None:
    assert pinned_version("npm", "@x/srv", NPM_FILES) == "1.0.0"
    assert pinned_version("pypi", "X_Srv", {"requirements.txt": REQUIREMENTS}) == "1.0.0"
    assert pinned_version("npm", "@x/other", NPM_FILES) is None
    assert pinned_version("npm", "@x/srv", {"package.json": b"{", "pnpm-lock.yaml": b""}) is None


def write_project(tmp_path: Path, closure: str | None, version: str = "1.0.0") -> Path:
    lockfile = tmp_path / "mcpstate.lock.yaml"
    text = (f"version: 1\nservers:\n  srv:\n    source: npm\n    package: \"@x/srv\"\n"
            f"    version: {version}\n")
    lockfile.write_text(text + (f"    closure: {closure}\n" if closure else ""))
    return lockfile


def test_validate_accepts_a_matching_folder_and_a_server_without_closure(tmp_path: Path) -> None:
    lockfile = write_project(tmp_path, None)
    assert load_lockfile(lockfile).servers["srv"].closure is None  # written by hand: valid
    write_files(lockfile, "srv", NPM_FILES)
    lockfile = write_project(tmp_path, digest(NPM_FILES))
    spec = load_lockfile(lockfile).servers["srv"]
    assert spec.closure == digest(NPM_FILES) and dict(spec.lock_files) == NPM_FILES


@pytest.mark.parametrize("damage, words", [
    ("missing", "lacks package.json or pnpm-lock.yaml"),
    ("edited", "changed by hand"),
    ("moved", "a pin moved without `mcpstate lock`"),
])
def test_validate_refuses_a_folder_that_does_not_match(tmp_path: Path, damage: str, words: str) -> None:
    lockfile = write_project(tmp_path, digest(NPM_FILES), "1.0.1" if damage == "moved" else "1.0.0")
    if damage != "missing":
        write_files(lockfile, "srv", NPM_FILES)
    if damage == "edited":
        (tmp_path / "mcpstate.lock.d" / "srv" / "pnpm-lock.yaml").write_bytes(PNPM_LOCK + b"# x\n")
    with pytest.raises(LockfileError) as caught:
        load_lockfile(lockfile)
    assert words in str(caught.value) and "run `mcpstate lock`" in str(caught.value)
    assert "mcpstate.lock.yaml:7:5: servers.srv.closure: " in str(caught.value)  # file, line, key
    assert load_lockfile(lockfile, closures=False).servers["srv"].version  # what lock reads


def test_the_rule_skips_names_that_are_not_server_names() -> None:
    data = {"servers": {"../x": {"source": "npm", "closure": "sha256-" + "0" * 64}}}
    assert closure_problems(data, "/nonexistent/mcpstate.lock.yaml") == []


def test_stale_reason_says_why_lock_must_write() -> None:
    spec = ServerSpec("srv", "npm", package="@x/srv", version="1.0.0", closure=digest(NPM_FILES))
    assert stale_reason(spec, NPM_FILES) is None
    assert stale_reason(spec, None) == "new"
    assert stale_reason(spec._replace(closure=None), NPM_FILES) == "new"
    assert stale_reason(spec, {**NPM_FILES, "pnpm-lock.yaml": b"x"}) == "folder edited"
    assert stale_reason(spec._replace(version="1.0.1"), NPM_FILES) == "pin moved"


LOCKFILE = """\
version: 1
servers:
  a:   # first
    source: npm
    package: "@x/a"
    version: 1.0.0   # pinned
  b:
    source: npm
    package: "@x/b"
    version: 2.0.0
    integrity: sha512-AA==
    closure: sha256-0000000000000000000000000000000000000000000000000000000000000000  # old
    args: []
"""


def test_rewrite_inserts_closure_after_integrity_and_replaces_it_in_place() -> None:
    new = "sha256-" + "1" * 64
    out = rewrite(LOCKFILE, [Edit("a", integrity="sha512-BB==", closure=new), Edit("b", closure=new)])
    assert out.splitlines()[5:8] == ["    version: 1.0.0   # pinned", "    integrity: sha512-BB==",
                                     f"    closure: {new}"]
    assert f"    closure: {new}  # old" in out.splitlines()
    changed = [line for line in out.splitlines() if line not in LOCKFILE.splitlines()]
    assert len(changed) == 3  # only the integrity: and closure: lines


def test_rewrite_puts_a_closure_after_an_existing_integrity() -> None:
    text = LOCKFILE.replace("    version: 1.0.0   # pinned\n", "    version: 1.0.0\n    integrity: sha512-CC==\n")
    out = rewrite(text, [Edit("a", closure="sha256-" + "2" * 64)])
    lines = out.splitlines()
    assert lines[lines.index("    integrity: sha512-CC==") + 1] == "    closure: sha256-" + "2" * 64
