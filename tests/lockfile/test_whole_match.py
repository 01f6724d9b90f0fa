"""Every pattern is matched whole (DESIGN §4): a trailing newline is not 'the end'."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpstate.errors import LockfileError
from mcpstate.lockfile.load import load_lockfile

CASES = [
    ('"app\\n":\n    source: command\n    command: x\n', "servers"),
    ('app:\n    source: npm\n    package: "pkg\\n"\n    version: 1.0.0\n', "package"),
    ('app:\n    source: npm\n    package: pkg\n    version: "1.0.0\\n"\n', "version"),
    ('app:\n    source: pypi\n    package: pkg\n    version: "1.0\\n"\n', "version"),
    ('app:\n    source: pypi\n    package: pkg\n    version: " 1.0"\n', "version"),
    ('app:\n    source: npm\n    package: pkg\n    version: 1.0.0\n    integrity: "sha512-AAAA\\n"\n', "integrity"),
]


@pytest.mark.parametrize("servers, key", CASES)
def test_a_trailing_newline_or_blank_does_not_slip_through(tmp_path: Path, servers: str, key: str) -> None:
    path = tmp_path / "mcpstate.lock.yaml"
    path.write_text("version: 1\nservers:\n  " + servers.replace("\n    ", "\n    ").replace("\n", "\n  ").rstrip() + "\n")
    with pytest.raises(LockfileError) as caught:
        load_lockfile(path)
    assert key in str(caught.value)
