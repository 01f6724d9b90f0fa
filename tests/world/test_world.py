"""The hermetic world end to end: real `npm install` and `pip install` from the local
registries, an MCP handshake by hand with what they installed, integrity refusals,
remote servers over HTTP, startup time, the demo entry point, and a run with the
network cut."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from testing import catalogue as cat
from testing.servers.fixture_server import MODERN
from testing.stdio import StdioPeer
from testing.tools import expected_integrity, isolated_env, npm_bin, npm_install, pip_install, venv_bin
from testing.world import World

REPO = Path(__file__).resolve().parents[2]
META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "test_world", "version": "0"}}
INIT = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test_world", "version": "0"}}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def rpc(rid: Any, method: str, params: dict[str, Any] | None = None, modern: bool = False) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "method": method,
            "params": {**(params or {}), **({"_meta": META} if modern else {})}}


def legacy_handshake(peer: StdioPeer) -> dict[str, Any]:
    result = peer.request(rpc(1, "initialize", INIT))["result"]
    peer.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    return result  # type: ignore[no-any-return]


def tool_names(response: dict[str, Any]) -> list[str]:
    return [t["name"] for t in response["result"]["tools"]]


@pytest.fixture(scope="module")
def npm_project(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One npm install shared by the module: the main package, two aliased versions of it,
    the unscoped and the calendar-versioned packages."""
    root = tmp_path_factory.mktemp("npm")
    npm_install([f"{cat.NPM_SERVER}@1.0.0", f"legacy@npm:{cat.NPM_SERVER}@{cat.NPM_VERSIONS['legacy_only']}",
                 f"modern@npm:{cat.NPM_SERVER}@{cat.NPM_VERSIONS['modern_only']}", f"{cat.NPM_TINY}@1.1.0",
                 f"{cat.NPM_CALENDAR}@2026.8.31"], root / "proj", world.npm_url, env=isolated_env(root))
    return root / "proj"


@pytest.fixture(scope="module")
def pypi_venv(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pypi")
    pip_install([f"{cat.PYPI_SERVER}==1.1.0", f"{cat.PYPI_CALENDAR}==2026.10.19"], root / "venv",
                world.pypi_url, env=isolated_env(root))
    return root / "venv"


def test_npm_bin_completes_a_legacy_handshake(npm_project: Path) -> None:
    with StdioPeer([str(npm_bin(npm_project, cat.NPM_SERVER_BIN))]) as peer:
        init = legacy_handshake(peer)
        echo = peer.request(rpc(2, "tools/call", {"name": "echo", "arguments": {"text": "npm"}}))
    assert init["serverInfo"] == {"name": "mcpstate-fixture", "version": "1.0.0"}  # baked behaviour.json
    assert echo["result"]["content"][0]["text"] == "echo: npm"


def test_npm_lock_records_the_expected_integrity(npm_project: Path, world: World) -> None:
    lock = json.loads((npm_project / "package-lock.json").read_text())["packages"]
    assert lock["node_modules/@mcpstate-fixture/server"]["integrity"] == \
        expected_integrity(cat.NPM, cat.NPM_SERVER, "1.0.0") == world.integrity(cat.NPM, cat.NPM_SERVER, "1.0.0")
    assert lock["node_modules/legacy"]["version"] == cat.NPM_VERSIONS["legacy_only"]


def test_env_behaviour_wins_over_the_baked_one(npm_project: Path) -> None:
    env = {**os.environ, "MCP_FIXTURE_BEHAVIOUR": "add_tool"}
    with StdioPeer([str(npm_bin(npm_project, cat.NPM_SERVER_BIN))], env=env) as peer:
        listed = peer.request(rpc(1, "tools/list", modern=True))
        info = peer.request(rpc(2, "server/discover", modern=True))["result"]["serverInfo"]
    assert tool_names(listed) == ["echo", "add", "reverse"] and info["version"] == "1.0.0"


def test_installed_legacy_only_version(npm_project: Path) -> None:
    with StdioPeer(["node", str(npm_project / "node_modules/legacy/fixture_server.js")]) as peer:
        discover = peer.request(rpc(0, "server/discover", modern=True))
        init = legacy_handshake(peer)
        listed = peer.request(rpc(2, "tools/list"))
    assert discover["error"]["code"] == -32601
    assert init["protocolVersion"] == "2025-11-25" and init["serverInfo"]["version"] == "2.1.0"
    assert tool_names(listed) == ["echo", "add"]


def test_installed_modern_only_version(npm_project: Path) -> None:
    with StdioPeer(["node", str(npm_project / "node_modules/modern/fixture_server.js")]) as peer:
        discover = peer.request(rpc(1, "server/discover", modern=True))["result"]
        init = peer.request(rpc(2, "initialize", INIT))
        bare = peer.request(rpc(3, "tools/list"))
        call = peer.request(rpc(4, "tools/call", {"name": "add", "arguments": {"a": 20, "b": 22}}, modern=True))
    assert discover["supportedVersions"] == [MODERN] and discover["serverInfo"]["version"] == "2.0.0"
    assert init["error"]["code"] == -32022 and bare["error"]["code"] == -32602
    assert call["result"]["content"][0]["text"] == "42"


@pytest.mark.parametrize("bin_name, version, tools", [
    (cat.NPM_TINY_BIN, "1.1.0", ["echo", "add", "reverse"]),
    (cat.NPM_CALENDAR_BIN, "2026.8.31", ["echo", "add", "reverse"]),
])
def test_unscoped_and_calendar_packages(npm_project: Path, bin_name: str, version: str, tools: list[str]) -> None:
    with StdioPeer([str(npm_bin(npm_project, bin_name))]) as peer:
        discover = peer.request(rpc(1, "server/discover", modern=True))["result"]
        listed = peer.request(rpc(2, "tools/list", modern=True))
    assert discover["serverInfo"]["version"] == version and tool_names(listed) == tools


def test_pypi_console_script_completes_a_modern_handshake(pypi_venv: Path) -> None:
    with StdioPeer([str(venv_bin(pypi_venv, cat.PYPI_SERVER_SCRIPT))]) as peer:
        discover = peer.request(rpc(1, "server/discover", modern=True))["result"]
        listed = peer.request(rpc(2, "tools/list", modern=True))
        call = peer.request(rpc(3, "tools/call", {"name": "reverse", "arguments": {"text": "pypi"}}, modern=True))
    assert discover["serverInfo"] == {"name": "mcpstate-fixture", "version": "1.1.0"}
    assert tool_names(listed) == ["echo", "add", "reverse"]
    assert call["result"]["content"][0]["text"] == "ipyp"


def test_pypi_calendar_script_speaks_legacy(pypi_venv: Path) -> None:
    with StdioPeer([str(venv_bin(pypi_venv, cat.PYPI_CALENDAR_SCRIPT))]) as peer:
        assert legacy_handshake(peer)["serverInfo"]["version"] == "2026.10.19"


def test_pip_skips_the_yanked_version(world: World, tmp_path: Path) -> None:
    out = pip_install(["--dry-run", "--quiet", "--report", "-", f"{cat.PYPI_SERVER}>=1.4,<1.6"],
                      tmp_path / "venv", world.pypi_url)
    assert [i["metadata"]["version"] for i in json.loads(out.stdout)["install"]] == ["1.4.0"]
    assert cat.PYPI_YANKED == "1.5.0"


def test_pip_checks_require_hashes(world: World, tmp_path: Path) -> None:
    good = expected_integrity(cat.PYPI, cat.PYPI_SERVER, "1.0.0").removeprefix("sha256:")
    reqs = tmp_path / "reqs.txt"
    reqs.write_text(f"{cat.PYPI_SERVER}==1.0.0 --hash=sha256:{'0' * 64}\n")
    wrong = pip_install(["--require-hashes", "-r", str(reqs)], tmp_path / "venv", world.pypi_url, check=False)
    assert wrong.returncode != 0 and "DO NOT MATCH THE HASHES" in wrong.stderr
    assert not venv_bin(tmp_path / "venv", cat.PYPI_SERVER_SCRIPT).exists()
    reqs.write_text(f"{cat.PYPI_SERVER}==1.0.0 --hash=sha256:{good}\n")
    pip_install(["--require-hashes", "-r", str(reqs)], tmp_path / "venv", world.pypi_url)
    assert venv_bin(tmp_path / "venv", cat.PYPI_SERVER_SCRIPT).exists()


def test_pip_refuses_a_tampered_index_hash(world: World, tmp_path: Path) -> None:
    out = pip_install(f"{cat.PYPI_TAMPERED}==1.0.0", tmp_path / "venv", world.pypi_url, check=False)
    assert out.returncode != 0 and "DO NOT MATCH THE HASHES" in out.stderr


def test_npm_refuses_a_wrong_packument_integrity(world: World, tmp_path: Path) -> None:
    out = npm_install(f"{cat.NPM_TAMPERED}@1.0.0", tmp_path / "proj", world.npm_url, check=False)
    assert out.returncode != 0 and "EINTEGRITY" in out.stderr
    assert not npm_bin(tmp_path / "proj", cat.NPM_TAMPERED_BIN).exists()


@pytest.mark.parametrize("sse", [False, True])
def test_remote_server_handshakes_over_http(world: World, sse: bool) -> None:
    url = world.remote("healthy", sse=sse).url
    with httpx.Client(headers=ACCEPT, timeout=5) as http:
        init = http.post(url, json=rpc(1, "initialize", INIT))
        sid = init.headers["Mcp-Session-Id"]
        http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                  headers={"Mcp-Session-Id": sid})
        listed = http.post(url, json=rpc(2, "tools/list"), headers={"Mcp-Session-Id": sid})
        modern = http.post(url, json=rpc(3, "server/discover", modern=True))
    for response in (init, listed, modern):
        kind = "text/event-stream" if sse else "application/json"
        assert response.headers["content-type"].startswith(kind)
    last = [json.loads(line[5:]) for line in listed.text.splitlines() if line.startswith("data:")] \
        if sse else [listed.json()]
    assert tool_names(last[-1]) == ["echo", "add"]


def test_world_starts_in_under_5_s_cold_and_warm(tmp_path: Path) -> None:
    timings = []
    for _ in ("cold", "warm"):
        with World(cache_dir=tmp_path / "cache") as world:
            timings.append(world.startup_s)
            assert httpx.get(world.npm.origin + "/-/ping").status_code == 200
    assert max(timings) < 5.0, timings
    assert len(list((tmp_path / "cache" / "npm").glob("*.tgz"))) == sum(
        len(p.releases) for p in cat.packages(cat.NPM))


def test_serve_entry_point_for_the_demo() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "testing.world", "serve", "--remote", "legacy_only,sse"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = dict(proc.stdout.readline().split("  #")[0].strip().split("=", 1)  # type: ignore[union-attr]
                     for _ in range(5))
        assert httpx.get(lines["MCPSTATE_NPM_REGISTRY"] + cat.NPM_TINY).json()["name"] == cat.NPM_TINY
        assert httpx.get(lines["MCPSTATE_PYPI_INDEX"] + cat.PYPI_SERVER + "/").status_code == 200
        query = {"queries": [{"package": {"name": cat.NPM_SERVER, "ecosystem": "npm"}, "version": "1.0.0"}]}
        assert httpx.post(lines["MCPSTATE_OSV_URL"] + "/v1/querybatch", json=query).json()["results"][0]["vulns"]
        assert httpx.get(lines["MCPSTATE_MCP_REGISTRY"] + "v0.1/servers").json()["servers"]
        init = httpx.post(lines["MCPSTATE_REMOTE_URL"], json=rpc(1, "initialize", INIT), headers=ACCEPT)
        assert "Mcp-Session-Id" in init.headers
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


OFFLINE_SCRIPT = textwrap.dedent("""
    import socket, subprocess, sys
    from pathlib import Path
    from testing.tools import isolated_env, npm_bin, npm_install, pip_install, venv_bin
    from testing.world import World
    try:
        socket.create_connection(("1.1.1.1", 443), timeout=2)
        sys.exit("the network is not cut")
    except OSError:
        pass
    root = Path(sys.argv[1])
    with World() as world:
        env = isolated_env(root)
        npm_install("mcpstate-fixture-tiny@1.0.0", root / "proj", world.npm_url, env=env)
        pip_install("mcpstate-fixture-server==1.0.0", root / "venv", world.pypi_url, env=env)
    for exe in (npm_bin(root / "proj", "mcpstate-fixture-tiny"), venv_bin(root / "venv", "mcpstate-fixture-server")):
        out = subprocess.run([str(exe)], input=b'{"jsonrpc":"2.0","id":1,"method":"ping"}\\n',
                             capture_output=True, timeout=10).stdout
        assert b'"result":{}' in out, out
    print("offline ok")
""")


def test_world_works_with_the_network_cut(tmp_path: Path) -> None:
    if not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs unshare and ip (util-linux, iproute2) to cut the network")
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -rn is not permitted here: {probe.stderr.decode().strip()}")
    script = tmp_path / "offline.py"
    script.write_text(OFFLINE_SCRIPT)
    # A new network namespace has only a loopback, and it starts down.
    cmd = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
           sys.executable, str(script), str(tmp_path / "offline")]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and "offline ok" in proc.stdout, proc.stderr[-3000:]
