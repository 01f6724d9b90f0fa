"""Lockfile injection, tried as a hostile contributor would (issue 20, DESIGN §4): each
case edits one server's lock folder and retakes the lockfile's `closure:` (and `tools:`)
digest with the project's own digest functions, so the digests match. `validate`, `plan`
and `apply --auto-approve` must each exit 1 naming the file, the line and the rule; the
project stays byte for byte as it was, the store gains nothing, and the injected code,
which would write a marker file (a `.pth` in a wheel, a postinstall and a `main` in an
npm folder), never runs.

One locked and applied project (an npm and a PyPI server, each with a dependency)
serves every case; the commands run in-process; the pristine files are put back."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mcpstate.lockfile.closure import CLOSURE_FILES, digest
from testing.catalogue import (
    LIB_VERSION,
    NPM_LIB,
    NPM_WITH_LIB,
    PYPI_LIB,
    PYPI_WITH_LIB,
    WITH_LIB_VERSION,
)
from testing.tools import isolated_env, seed_tools
from tests.stress.stresshelp import LOG, cli, command, diff_snapshots, tree_snapshot

LOCKFILE = "mcpstate.lock.yaml"
APPLY = ("apply", "--auto-approve")
SOURCES = {"app": "npm", "py": "pypi"}
LOCK = (f"version: 1\ntargets:\n  - {{client: claude-code, path: .mcp.json}}\nservers:\n"
        f"  app:\n    source: npm\n    package: \"{NPM_WITH_LIB}\"\n    version: {WITH_LIB_VERSION}\n"
        f"  py:\n    source: pypi\n    package: {PYPI_WITH_LIB}\n    version: {WITH_LIB_VERSION}\n")


@dataclass(frozen=True)
class Evil:
    """What an attacker points the lock folder at; each would write `marker` if it ran."""

    marker: Path
    npm_dir: Path  # a folder package named as the npm dependency, with a postinstall and a main
    wheel: Path  # a wheel with a .pth file: it runs at every start of the venv's Python
    wheel_sha256: str
    other_host: str  # a host that is not the server's registry (the PyPI index's)
    registry: str  # the server's npm registry


Edit = Callable[[str, Evil], str]


@dataclass(frozen=True)
class Case:
    id: str
    server: str
    file: str  # the file the message must name
    rule: str
    edit: Edit | None = None  # a text edit of `file`
    setup: Callable[[Path, Evil], None] | None = None  # or anything done to the folder
    line_of: str | None = None  # the message's line is the first line holding this text


def sub(pattern: str, repl: Callable[[Evil], str] | str, count: int = 1) -> Edit:
    def edit(text: str, evil: Evil) -> str:
        new, n = re.subn(pattern, repl(evil) if callable(repl) else repl, text, count=count, flags=re.MULTILINE)
        assert n, f"the pattern {pattern!r} is not in the file"
        return new
    return edit


def append(line: Callable[[Evil], str] | str) -> Edit:
    return lambda text, evil: text + (line(evil) if callable(line) else line)


def prepend(line: Callable[[Evil], str] | str) -> Edit:
    return lambda text, evil: (line(evil) if callable(line) else line) + text


LIB_RESOLUTION = rf"(?<='{re.escape(NPM_LIB)}@{LIB_VERSION}':\n    resolution: )\{{[^}}]*\}}"
LIB_INTEGRITY = re.compile(r"integrity: (sha512-[A-Za-z0-9+/=]+)")
SNAPSHOT_DEP = rf"(?<=dependencies:\n      '{re.escape(NPM_LIB)}': ){re.escape(LIB_VERSION)}$"
IMPORTER_DEPS = "    dependencies:\n"
HEX = "0" * 64


def lib_integrity(text: str) -> str:
    return LIB_INTEGRITY.findall(text)[0]


def resolution(value: Callable[[str, Evil], str]) -> Edit:
    """The dependency's `resolution:` replaced (the dependency, not the server's package,
    whose own integrity the lockfile's `integrity:` pins)."""
    def edit(text: str, evil: Evil) -> str:
        return re.sub(LIB_RESOLUTION, lambda _: value(text, evil), text, count=1)
    return edit


def snapshot_dep(value: Callable[[Evil], str]) -> Edit:
    return sub(SNAPSHOT_DEP, value)


def symlink_to_copy(name: str) -> Callable[[Path, Evil], None]:
    def setup(folder: Path, evil: Evil) -> None:
        copy = evil.marker.parent / f"copy-of-{folder.name}-{name}"
        shutil.copyfile(folder / name, copy)
        (folder / name).unlink()
        (folder / name).symlink_to(copy)
    return setup


def extra_file(name: str, text: str) -> Callable[[Path, Evil], None]:
    def setup(folder: Path, evil: Evil) -> None:
        (folder / name).write_text(text.format(host=evil.other_host))
    return setup


def subfolder(name: str) -> Callable[[Path, Evil], None]:
    def setup(folder: Path, evil: Evil) -> None:
        (folder / name).mkdir()
        (folder / name / "x.js").write_text(f"require('fs').writeFileSync({str(evil.marker)!r}, 'x')\n")
    return setup


def linked_folder(folder: Path, evil: Evil) -> None:
    copy = evil.marker.parent / f"linked-{folder.name}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy)
    shutil.rmtree(folder)
    folder.symlink_to(copy, target_is_directory=True)


def grow(name: str) -> Callable[[Path, Evil], None]:
    def setup(folder: Path, evil: Evil) -> None:
        with open(folder / name, "a") as f:
            f.write(("# " + "x" * 1022 + "\n") * 4096)  # 4 MiB of comment
    return setup


PNPM, PKG, REQ, TOOLS = "pnpm-lock.yaml", "package.json", "requirements.txt", "tools.json"

NPM_CASES = [
    Case("npm-resolution-directory", "app", PNPM, "resolution",
         resolution(lambda t, e: f"{{directory: {e.npm_dir}, type: directory}}"), line_of="directory:"),
    Case("npm-resolution-git", "app", PNPM, "resolution",
         resolution(lambda t, e: f"{{type: git, repo: '{e.other_host}evil.git', commit: {'a' * 40}}}"),
         line_of="type: git"),
    Case("npm-tarball-other-host", "app", PNPM, "tarball-host",
         resolution(lambda t, e: f"{{integrity: {lib_integrity(t)}, tarball: '{e.other_host}lib-1.0.0.tgz'}}"),
         line_of="tarball:"),
    Case("npm-tarball-other-package", "app", PNPM, "tarball-host",
         resolution(lambda t, e: f"{{integrity: {lib_integrity(t)}, tarball: "
                                 f"'{e.registry}evil/-/evil-{LIB_VERSION}.tgz'}}"), line_of="tarball:"),
    Case("npm-tarball-other-version", "app", PNPM, "tarball-host",
         resolution(lambda t, e: f"{{integrity: {lib_integrity(t)}, tarball: "
                                 f"'{e.registry}{NPM_LIB}/-/lib-9.9.9.tgz'}}"), line_of="tarball:"),
    Case("npm-tarball-file-url", "app", PNPM, "tarball-host",
         resolution(lambda t, e: f"{{integrity: {lib_integrity(t)}, tarball: 'file:{e.npm_dir}.tgz'}}"),
         line_of="tarball:"),
    Case("npm-no-integrity", "app", PNPM, "integrity",
         resolution(lambda t, e: f"{{tarball: '{e.registry}{NPM_LIB}/-/lib-{LIB_VERSION}.tgz'}}"),
         line_of="tarball:"),
    Case("npm-sha1-integrity", "app", PNPM, "integrity",
         resolution(lambda t, e: "{integrity: sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=}"), line_of="sha1-"),
    Case("npm-snapshot-file", "app", PNPM, "version-source", snapshot_dep(lambda e: f"file:{e.npm_dir}"),
         line_of=": file:"),
    Case("npm-snapshot-link", "app", PNPM, "version-source", snapshot_dep(lambda e: "link:../evil"),
         line_of="link:"),
    Case("npm-snapshot-github", "app", PNPM, "version-source", snapshot_dep(lambda e: "github:evil/evil"),
         line_of="github:"),
    Case("npm-snapshot-git-https", "app", PNPM, "version-source",
         snapshot_dep(lambda e: f"git+{e.other_host}evil.git"), line_of="git+"),
    Case("npm-snapshot-workspace", "app", PNPM, "version-source", snapshot_dep(lambda e: "'workspace:*'"),
         line_of="workspace:"),
    Case("npm-snapshot-tarball-url", "app", PNPM, "version-source",
         snapshot_dep(lambda e: f"'{e.other_host}lib.tgz'"), line_of="lib.tgz"),
    Case("npm-package-key-file", "app", PNPM, "registry-package",
         sub(r"^packages:\n", lambda e: f"packages:\n\n  evil@file:{e.npm_dir}:\n"
                                        f"    resolution: {{directory: {e.npm_dir}, type: directory}}\n"),
         line_of="evil@file:"),
    Case("npm-importer-second-dependency", "app", PNPM, "importer",
         sub(r"^    dependencies:\n", lambda e: f"    dependencies:\n      evil:\n        specifier: file:{e.npm_dir}\n"
                                             f"        version: file:{e.npm_dir}\n"), line_of="    dependencies:"),
    Case("npm-importer-dev-dependency", "app", PNPM, "importer",
         sub(r"^    dependencies:\n", lambda e: "    devDependencies:\n      evil:\n        specifier: 1.0.0\n"
                                             "        version: 1.0.0\n    dependencies:\n"), line_of="devDependencies:"),
    Case("npm-importer-second-importer", "app", PNPM, "importer",
         sub(r"^importers:\n", "importers:\n\n  packages/evil:\n    dependencies: {}\n"), line_of="importers:"),
    Case("npm-importer-version-moved", "app", PNPM, "importer",
         sub(rf"(?<=        specifier: {re.escape(WITH_LIB_VERSION)}\n        version: ){re.escape(WITH_LIB_VERSION)}",
             "1.0.1"), line_of="version: 1.0.1"),
    Case("npm-own-integrity-other", "app", PNPM, "own-package",
         sub(rf"(?<='{re.escape(NPM_WITH_LIB)}@{WITH_LIB_VERSION}':\n    resolution: )\{{integrity: [^}}]+\}}",
             "{integrity: sha512-" + "A" * 86 + "==}"), line_of="sha512-AAAA"),
    Case("npm-top-level-overrides", "app", PNPM, "pnpm-lock",
         append(lambda e: f"\noverrides:\n  '{NPM_LIB}': 1.0.0\n"), line_of="overrides:"),
    Case("npm-top-level-patched-dependencies", "app", PNPM, "pnpm-lock",
         append(lambda e: f"\npatchedDependencies:\n  '{NPM_LIB}':\n    path: ../../evil.patch\n    hash: '{HEX}'\n"),
         line_of="patchedDependencies:"),
    Case("npm-duplicate-key", "app", PNPM, "pnpm-lock",
         sub(r"^snapshots:\n", lambda e: f"snapshots:\n\n  '{NPM_LIB}@{LIB_VERSION}': {{}}\n"),
         line_of=f"  '{NPM_LIB}@{LIB_VERSION}': {{}}\n\n  '{NPM_WITH_LIB}"),
    Case("npm-yaml-broken", "app", PNPM, "pnpm-lock", append("\n  - [unclosed\n"), line_of="[unclosed"),
    Case("npm-lockfile-version", "app", PNPM, "pnpm-lock", sub(r"^lockfileVersion: '9.0'", "lockfileVersion: '6.0'"),
         line_of="lockfileVersion"),
    Case("npm-package-json-scripts", "app", PKG, "package-json",
         sub(r'^  "private": true,', lambda e: f'  "private": true,\n  "scripts": {{"preinstall": '
                                              f'"node {e.npm_dir}/evil.js"}},'), line_of='"scripts"'),
    Case("npm-package-json-overrides", "app", PKG, "package-json",
         sub(r'^  "private": true,', lambda e: f'  "private": true,\n  "pnpm": {{"overrides": '
                                              f'{{"{NPM_LIB}": "file:{e.npm_dir}"}}}},'), line_of='"pnpm"'),
    Case("npm-package-json-patched", "app", PKG, "package-json",
         sub(r'^  "private": true,', '  "private": true,\n  "pnpm": {"patchedDependencies": {"x": "../x.patch"}},'),
         line_of='"pnpm"'),
    Case("npm-package-json-package-manager", "app", PKG, "package-json",
         sub(r'^  "private": true,', '  "private": true,\n  "packageManager": "pnpm@1.0.0",'),
         line_of='"packageManager"'),
    Case("npm-package-json-second-dependency", "app", PKG, "package-json",
         sub(r'^    "(?=@)', lambda e: f'    "evil": "file:{e.npm_dir}",\n    "'), line_of='"dependencies"'),
    Case("npm-folder-npmrc", "app", ".npmrc", "unknown-file",
         setup=extra_file(".npmrc", "registry={host}\n")),
    Case("npm-folder-workspace-yaml", "app", "pnpm-workspace.yaml", "unknown-file",
         setup=extra_file("pnpm-workspace.yaml", "dangerouslyAllowAllBuilds: true\n")),
    Case("npm-folder-requirements", "app", REQ, "unknown-file",
         setup=extra_file(REQ, "evil==1.0 --hash=sha256:" + HEX + "\n")),
    Case("npm-folder-symlinked-file", "app", PKG, "regular-file", setup=symlink_to_copy(PKG)),
    Case("npm-folder-subfolder", "app", "node_modules", "regular-file", setup=subfolder("node_modules")),
    Case("npm-folder-symlinked", "app", "", "regular-file", setup=linked_folder),
    Case("npm-folder-too-big", "app", PNPM, "size", setup=grow(PNPM)),
    Case("npm-tools-not-a-surface", "app", TOOLS, "tools", setup=extra_file(TOOLS, '{{"evil": true}}')),
    Case("npm-tools-not-json", "app", TOOLS, "tools", setup=extra_file(TOOLS, "[{{")),
]

WHEEL_LINE = (lambda e: f"evil @ file://{e.wheel} \\\n    --hash=sha256:{e.wheel_sha256}\n")
PYPI_CASES = [
    Case("pypi-direct-reference-file", "py", REQ, "requirement-form", prepend(WHEEL_LINE), line_of="evil @"),
    Case("pypi-direct-reference-url", "py", REQ, "requirement-form",
         prepend(lambda e: f"evil @ {e.other_host}evil-1.0-py3-none-any.whl --hash=sha256:{e.wheel_sha256}\n"),
         line_of="evil @"),
    Case("pypi-bare-url", "py", REQ, "requirement-form",
         prepend(lambda e: f"{e.other_host}evil-1.0-py3-none-any.whl --hash=sha256:{e.wheel_sha256}\n"),
         line_of="evil-1.0"),
    Case("pypi-path", "py", REQ, "requirement-form",
         prepend(lambda e: f"{e.wheel} --hash=sha256:{e.wheel_sha256}\n"), line_of="evil-1.0"),
    Case("pypi-relative-path", "py", REQ, "requirement-form", prepend("./evil\n"), line_of="./evil"),
    Case("pypi-extra-index-url", "py", REQ, "option-line",
         prepend(lambda e: f"--extra-index-url {e.other_host}simple/\n"), line_of="--extra-index-url"),
    Case("pypi-index-url", "py", REQ, "option-line",
         prepend(lambda e: f"--index-url {e.other_host}simple/\n"), line_of="--index-url"),
    Case("pypi-find-links", "py", REQ, "option-line",
         prepend(lambda e: f"--find-links {e.wheel.parent}\n"), line_of="--find-links"),
    Case("pypi-trusted-host", "py", REQ, "option-line", prepend("--trusted-host evil.example\n"),
         line_of="--trusted-host"),
    Case("pypi-no-binary", "py", REQ, "option-line", prepend(":all:\n".join(["--no-binary ", ""])),
         line_of="--no-binary"),
    Case("pypi-editable", "py", REQ, "option-line", prepend(lambda e: f"-e {e.wheel.parent}\n"), line_of="-e "),
    Case("pypi-requirements-include", "py", REQ, "option-line", prepend("-r ../../evil.txt\n"), line_of="-r "),
    Case("pypi-constraints-include", "py", REQ, "option-line", prepend("-c ../../evil.txt\n"), line_of="-c "),
    Case("pypi-option-in-continuation", "py", REQ, "requirement-form",
         sub(rf"^{PYPI_LIB}=={LIB_VERSION} \\\n", lambda e: f"{PYPI_LIB}=={LIB_VERSION} \\\n"
                                                           f"    --extra-index-url {e.other_host}simple/ \\\n"),
         line_of=f"{PYPI_LIB}=="),
    Case("pypi-unhashed", "py", REQ, "hash", prepend("evil==1.0\n"), line_of="evil==1.0"),
    Case("pypi-md5-hash", "py", REQ, "hash", prepend("evil==1.0 --hash=md5:" + "0" * 32 + "\n"),
         line_of="evil==1.0"),
    Case("pypi-range", "py", REQ, "requirement-form", prepend("evil>=1.0 --hash=sha256:" + HEX + "\n"),
         line_of="evil>="),
    Case("pypi-extras", "py", REQ, "requirement-form", prepend("evil[x]==1.0 --hash=sha256:" + HEX + "\n"),
         line_of="evil["),
    Case("pypi-not-normalised", "py", REQ, "name", prepend("Evil_Pkg==1.0 --hash=sha256:" + HEX + "\n"),
         line_of="Evil_Pkg"),
    Case("pypi-duplicate", "py", REQ, "duplicate",
         append(f"{PYPI_LIB}==9.9.9 \\\n    --hash=sha256:{HEX}\n"), line_of=f"{PYPI_LIB}==9.9.9"),
    Case("pypi-marker-smuggles-option", "py", REQ, "requirement-form",
         prepend(lambda e: f"evil==1.0 ; python_version >= '3' --index-url {e.other_host} --hash=sha256:{HEX}\n"),
         line_of="evil==1.0"),
    Case("pypi-comment-continues", "py", REQ, "continuation", prepend("# harmless \\\n"), line_of="# harmless"),
    Case("pypi-own-package-other-hash", "py", REQ, "own-package",
         sub(rf"(?<=^{PYPI_WITH_LIB}=={WITH_LIB_VERSION} \\\n    --hash=sha256:)[0-9a-f]{{64}}", HEX)),
    Case("pypi-folder-pip-conf", "py", "pip.conf", "unknown-file",
         setup=extra_file("pip.conf", "[global]\nindex-url = {host}simple/\n")),
    Case("pypi-folder-uv-toml", "py", "uv.toml", "unknown-file",
         setup=extra_file("uv.toml", 'index-url = "{host}simple/"\n')),
    Case("pypi-folder-pnpm-lock", "py", PNPM, "unknown-file", setup=extra_file(PNPM, "lockfileVersion: '9.0'\n")),
    Case("pypi-folder-symlinked-file", "py", REQ, "regular-file", setup=symlink_to_copy(REQ)),
    Case("pypi-folder-subfolder", "py", "evil", "regular-file", setup=subfolder("evil")),
    Case("pypi-folder-symlinked", "py", "", "regular-file", setup=linked_folder),
    Case("pypi-folder-too-big", "py", REQ, "size", setup=grow(REQ)),
    Case("pypi-tools-not-a-surface", "py", TOOLS, "tools", setup=extra_file(TOOLS, '[{{"description": "x"}}]')),
]
CASES = NPM_CASES + PYPI_CASES


def make_evil(root: Path, world: Any) -> Evil:
    marker = root / "INJECTED-CODE-RAN"
    npm_dir = root / "evil-npm"
    npm_dir.mkdir()
    js = f"require('fs').writeFileSync({json.dumps(str(marker))}, 'npm');\nmodule.exports = {{}};\n"
    (npm_dir / "evil.js").write_text(js)
    (npm_dir / "package.json").write_text(json.dumps({
        "name": NPM_LIB, "version": LIB_VERSION, "main": "evil.js", "scripts": {"postinstall": "node evil.js"}}))
    wheel = root / "evil-1.0-py3-none-any.whl"
    files = {"evil.pth": f"import pathlib; pathlib.Path({str(marker)!r}).write_text('pypi')\n",
             "evil-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
             "evil-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: evil\nRoot-Is-Purelib: true\n"
                                         "Tag: py3-none-any\n"}
    record = "".join(f"{name},sha256={_b64(text.encode())},{len(text.encode())}\n" for name, text in files.items())
    files["evil-1.0.dist-info/RECORD"] = record + "evil-1.0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    other = world.pypi_url.split("/simple")[0] + "/"
    return Evil(marker, npm_dir, wheel, hashlib.sha256(wheel.read_bytes()).hexdigest(), other, world.npm_url)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@dataclass
class Corpus:
    path: Path
    pristine: Path
    env: dict[str, str]
    evil: Evil

    @property
    def store(self) -> Path:
        return Path(self.env["MCPSTATE_HOME"]) / "store"

    def restore(self) -> None:
        shutil.rmtree(self.path)
        shutil.copytree(self.pristine, self.path, symlinks=True)


@pytest.fixture(scope="module")
def corpus(world: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    root = tmp_path_factory.mktemp("lockcheck-corpus")
    env = {**isolated_env(root / "isolated"), **world.env}
    seed_tools(Path(env["MCPSTATE_HOME"]))
    path = root / "project"
    path.mkdir()
    (path / LOCKFILE).write_text(LOCK)
    for args in (("lock",), APPLY):
        done = subprocess.run(command(path, *args), env=env, cwd=path, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    shutil.copytree(path, root / "pristine", symlinks=True)
    yield Corpus(path, root / "pristine", env, make_evil(root, world))


def retake_digests(project: Path, server: str) -> None:
    """What an attacker does after editing the folder: `closure:` and `tools:` made to
    match again, with mcpstate's own digest functions."""
    from mcpstate.probe.surface import (
        SurfaceError,
        parse_surface,
        surface_bytes,
        surface_digest,
    )

    folder = project / "mcpstate.lock.d" / server
    lockfile = project / LOCKFILE
    text = lockfile.read_text()
    try:
        files = {name: (folder / name).read_bytes() for name in CLOSURE_FILES[SOURCES[server]]}
        text = _set(text, server, "closure", digest(files))
    except OSError:
        pass  # a folder that is no longer one: its digest cannot be taken
    try:
        text = _set(text, server, "tools", surface_digest(surface_bytes(parse_surface((folder / "tools.json").read_bytes()))))
    except (OSError, SurfaceError):
        pass
    lockfile.write_text(text)


def _set(text: str, server: str, key: str, value: str) -> str:
    block = re.compile(rf"(^  {server}:\n(?:    .*\n)*?    {key}: )sha256-[0-9a-f]{{64}}", re.MULTILINE)
    new, n = block.subn(lambda m: m.group(1) + value, text, count=1)
    assert n == 1, f"no {key}: line for {server}"
    return new


def expected_line(case: Case, folder: Path) -> int | None:
    if case.line_of is None:
        return None
    text = (folder / case.file).read_text()
    at = text.find(case.line_of)
    assert at >= 0, f"{case.line_of!r} is not in the edited {case.file}"
    return text.count("\n", 0, at) + 1


def break_folder(corpus: Corpus, case: Case) -> int | None:
    folder = corpus.path / "mcpstate.lock.d" / case.server
    if case.edit is not None:
        file = folder / case.file
        file.write_text(case.edit(file.read_text(), corpus.evil))
    if case.setup is not None:
        case.setup(folder, corpus.evil)
    line = expected_line(case, folder)
    retake_digests(corpus.path, case.server)
    return line


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_an_injected_lock_folder_is_refused_by_every_command(case: Case, corpus: Corpus,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HOME", "MCPSTATE_HOME"):
        monkeypatch.setenv(key, corpus.env[key])
    try:
        line = break_folder(corpus, case)
        before, store = tree_snapshot(corpus.path), tree_snapshot(corpus.store)
        file = re.escape(f"mcpstate.lock.d/{case.server}" + (f"/{case.file}" if case.file else ""))
        number = str(line) if line is not None else r"\d+"
        where = rf"{file}:{number}: rule {re.escape(case.rule)}: "
        for args in (("validate",), ("plan",), APPLY):
            ran = cli(corpus.path, *args)
            shown = f"{case.id}: mcpstate {' '.join(args)}\n{ran}"
            assert ran.code == 1 and not (corpus.path / LOG).exists(), shown
            assert re.search(where, ran.err), f"no {where!r} in the message:\n{shown}"
            assert "Traceback" not in ran.err, shown
        changed = diff_snapshots(before, tree_snapshot(corpus.path)) + diff_snapshots(store, tree_snapshot(corpus.store))
        assert not changed, f"{case.id}: changed:\n" + "\n".join(changed[:20])
        assert not corpus.evil.marker.exists(), f"{case.id}: the injected code ran"
    finally:
        corpus.restore()


def test_the_corpus_covers_each_rule_for_both_sources() -> None:
    assert len(CASES) >= 40
    rules = {(SOURCES[c.server], c.rule) for c in CASES}
    for source in ("npm", "pypi"):
        assert {(source, r) for r in ("unknown-file", "regular-file", "size", "tools")} <= rules
    assert {("npm", r) for r in ("resolution", "tarball-host", "integrity", "version-source", "importer",
                                 "own-package", "package-json", "registry-package")} <= rules
    assert {("pypi", r) for r in ("option-line", "requirement-form", "hash", "name", "duplicate",
                                  "own-package")} <= rules


def test_the_pristine_project_passes(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HOME", "MCPSTATE_HOME"):
        monkeypatch.setenv(key, corpus.env[key])
    for args in (("validate",), ("plan",)):
        ran = cli(corpus.path, *args)
        assert ran.code == 0, ran


def test_without_the_check_the_injected_wheel_runs(corpus: Corpus, world: Any, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The corpus's markers are live: with the content check turned off, the first PyPI
    case installs the wheel and its .pth runs at the health test. (In a copy, with this
    test's own store, so the corpus's store stays clean.)"""
    import mcpstate.apply.recheck
    import mcpstate.lockfile.lockcheck

    project = tmp_path / "copy"
    shutil.copytree(corpus.pristine, project, symlinks=True)
    shutil.rmtree(project / ".mcpstate")
    (tmp_path / "evil").mkdir()
    evil = make_evil(tmp_path / "evil", world)
    monkeypatch.setattr(mcpstate.lockfile.lockcheck, "lockfile_problems", lambda *a, **k: [])
    monkeypatch.setattr(mcpstate.apply.recheck, "recheck", lambda spec, *a: spec)
    requirements = project / "mcpstate.lock.d" / "py" / REQ
    edit = PYPI_CASES[0].edit
    assert edit is not None
    requirements.write_text(edit(requirements.read_text(), evil))
    retake_digests(project, "py")
    ran = cli(project, "apply", "--auto-approve", "--target", "py")
    assert ran.code == 0, ran
    assert evil.marker.read_text() == "pypi"


def fresh_copy(corpus: Corpus, tmp_path: Path) -> Path:
    """The locked project, never applied (a store and state of this test's own)."""
    project = tmp_path / "fresh"
    shutil.copytree(corpus.pristine, project, symlinks=True)
    shutil.rmtree(project / ".mcpstate")
    (project / ".mcp.json").unlink()
    return project


@pytest.mark.parametrize("change, words", [
    ("injected", r"mcpstate\.lock\.d/app/pnpm-lock\.yaml:\d+: rule tarball-host: .*; nothing was installed"),
    ("harmless", r"mcpstate\.lock\.d/app/ changed after the plan was made; nothing was installed"),
])
def test_a_folder_changed_between_plan_and_staging_is_refused(corpus: Corpus, world: Any, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch, change: str,
                                                              words: str) -> None:
    """apply checks the folder when it loads the lockfile, and again when staging starts:
    an edit in between (digests retaken) is refused, and what it stages is what it checked."""
    from mcpstate.apply import transaction

    project = fresh_copy(corpus, tmp_path)
    case = next(c for c in NPM_CASES if c.id == "npm-tarball-other-host")
    log = transaction._log

    def edit_when_staging(env: Any, job: Any, event: str, detail: object = None) -> None:
        if event == "staging":
            lock = project / "mcpstate.lock.d" / "app" / PNPM
            text = lock.read_text()
            assert case.edit is not None
            lock.write_text(case.edit(text, corpus.evil) if change == "injected" else text + "# reviewed\n")
            retake_digests(project, "app")
        log(env, job, event, detail)

    monkeypatch.setattr(transaction, "_log", edit_when_staging)
    ran = cli(project, "apply", "--auto-approve", "--target", "app")
    assert ran.code == 1 and re.search(words, ran.out + ran.err), ran
    assert not (Path(os.environ["MCPSTATE_HOME"]) / "store" / "npm").exists() or \
        not list((Path(os.environ["MCPSTATE_HOME"]) / "store" / "npm").iterdir())
    assert not (project / ".mcp.json").exists() or "app" not in json.loads((project / ".mcp.json").read_text())
    assert not corpus.evil.marker.exists()


def test_apply_of_a_saved_plan_refuses_a_lock_folder_edited_since(corpus: Corpus, world: Any, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`plan -o`, then a lock folder edit that passes every content rule with its digest
    retaken: the lockfile's bytes moved, so the saved plan is stale; nothing changes."""
    project = tmp_path / "copy"
    shutil.copytree(corpus.pristine, project, symlinks=True)
    for key in ("HOME", "MCPSTATE_HOME"):  # the store its state points into
        monkeypatch.setenv(key, corpus.env[key])
    assert cli(project, "plan", "-o", "plan.json").code == 0
    requirements = project / "mcpstate.lock.d" / "py" / REQ
    requirements.write_text(requirements.read_text() + "# reviewed\n")
    retake_digests(project, "py")
    assert cli(project, "validate").code == 0  # the edit itself is allowed
    before = tree_snapshot(project)
    ran = cli(project, "apply", str(project / "plan.json"))
    assert ran.code == 1 and "Saved plan is stale" in ran.err and "mcpstate.lock.yaml was edited" in ran.err, ran
    assert not diff_snapshots(before, tree_snapshot(project))
