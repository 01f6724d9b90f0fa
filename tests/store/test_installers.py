"""The installers' edges without installing: pnpm's bootstrap check, failures translated
into messages naming the package, the package's own hash narrowed for uv."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mcpstate.errors import InstallError, IntegrityError
from mcpstate.store import pnpm, uv
from mcpstate.home import DataDir
from mcpstate.store.tools import PNPM_INTEGRITY, verify_bootstrap


def failed(stdout: str = "", stderr: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["/x/pnpm", "install"], 1, stdout, stderr)


def test_the_data_dir_follows_mcpstate_home() -> None:
    dirs = DataDir.from_environ({"MCPSTATE_HOME": "/data/m", "HOME": "/home/u"})
    assert (dirs.tools, dirs.pnpm_store, dirs.uv_cache) == (
        Path("/data/m/tools"), Path("/data/m/cache/pnpm"), Path("/data/m/cache/uv"))
    assert DataDir.from_environ({"HOME": "/home/u"}).root == Path("/home/u/.local/share/mcpstate")


@pytest.mark.parametrize("integrity, ok", [(PNPM_INTEGRITY, True), ("sha512-AAAA", False), (None, False)])
def test_the_pnpm_bootstrap_is_refused_unless_npm_locked_the_pinned_integrity(
        tmp_path: Path, integrity: str | None, ok: bool) -> None:
    entry = {"version": "12.4.2", **({"integrity": integrity} if integrity else {})}
    lock = tmp_path / "package-lock.json"
    lock.write_text(json.dumps({"packages": {"node_modules/pnpm": entry}}))
    if ok:
        verify_bootstrap(lock)
    else:
        with pytest.raises(IntegrityError, match="pnpm 12.4.2: integrity mismatch"):
            verify_bootstrap(lock)


WRAPPED = """Error: ERR_PNPM_TARBALL_INTEGRITY

  × installing dependencies
  ╰─▶ Failed to verify the integrity of http://127.0.0.1:44333/@mcpstate-
      fixture/lib/-/lib-1.0.0.tgz: Integrity check failed.
"""


def test_pnpm_integrity_failure_names_the_package_even_when_wrapped() -> None:
    error = pnpm.translate(failed(stderr=WRAPPED), "pnpm install")
    assert isinstance(error, IntegrityError)
    assert str(error).startswith("@mcpstate-fixture/lib 1.0.0: integrity mismatch")


def test_pnpm_missing_package_says_so_instead_of_pnpm_text() -> None:
    error = pnpm.translate(failed(stderr="Error: ERR_PNPM_FETCH_404\n  × GET http://r/@x%2Fnope: Not Found - 404"),
                           "pnpm lock @x/nope@1.0.0")
    assert not isinstance(error, IntegrityError)
    assert "pnpm lock @x/nope@1.0.0: no such package or version on the registry" in str(error)


def test_uv_failures_are_translated() -> None:
    mismatch = uv.translate(failed(stderr="error: Failed to download `lib==1.0.0`\n  Caused by: Hash mismatch "
                                          "for `lib==1.0.0`\n\nExpected:\n  sha256:aa"), "uv pip sync")
    assert isinstance(mismatch, IntegrityError) and str(mismatch).startswith("lib 1.0.0: integrity mismatch")
    missing = uv.translate(failed(stderr="  cause: Because nope was not found in the package registry and you "
                                         "require nope==1.0.0, we can conclude"), "uv pip compile nope==1.0.0")
    assert str(missing) == "uv pip compile nope==1.0.0: no such package or version on the registry (nope)"
    other = uv.translate(failed(stderr="error: disk full"), "uv venv")
    assert type(other) is InstallError and "disk full" in str(other)


REQUIREMENTS = ("lib==1.0.0 \\\n    --hash=sha256:" + "1" * 64 + "\n    # via srv\n"
                "srv==2.0.0 \\\n    --hash=sha256:" + "a" * 64 + " \\\n    --hash=sha256:" + "b" * 64 + "\n")


def test_uv_installs_only_the_file_the_lockfile_integrity_names() -> None:
    narrowed = uv.only_hash(REQUIREMENTS, "SRV", "sha256:" + "b" * 64)
    assert "a" * 64 not in narrowed and "b" * 64 in narrowed and "1" * 64 in narrowed
    assert uv.locked_packages(narrowed.encode())[1] == ("srv", "2.0.0", ("sha256:" + "b" * 64,))
    with pytest.raises(IntegrityError, match="srv 2.0.0: integrity mismatch"):
        uv.only_hash(REQUIREMENTS, "srv", "sha256:" + "c" * 64)


REAL_EVERYTHING = Path(__file__).resolve().parents[2] / "examples/real-servers/mcpstate.lock.d/everything"


def test_a_real_closure_lock_is_read_whole() -> None:
    """server-everything's committed pnpm-lock.yaml (108 packages): every package with
    its sha512, the server's own among them."""
    found = pnpm.locked_packages((REAL_EVERYTHING / "pnpm-lock.yaml").read_bytes())
    assert len(found) == 108 and all(p.integrity.startswith("sha512-") for p in found)
    assert ("@modelcontextprotocol/server-everything", "2026.8.31") in {(p.name, p.version) for p in found}


def test_a_locked_install_parses_its_closure_lock_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing a real pnpm-lock.yaml costs as much as pnpm's warm install: once per staging."""
    from mcpstate.lockfile.closure import digest
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.store.locked import install_locked

    spec = load_lockfile(REAL_EVERYTHING.parents[1] / "mcpstate.lock.yaml").servers["everything"]
    assert spec.closure == digest(spec.lock_files)
    parsed = []
    real = pnpm.locked_packages
    monkeypatch.setattr(pnpm, "locked_packages", lambda lock: parsed.append(1) or real(lock))
    monkeypatch.setattr(pnpm, "install", lambda *args: None)  # the installer itself is not the point
    assert install_locked(tmp_path, spec, None, tmp_path) == spec.integrity
    assert len(parsed) == 1
