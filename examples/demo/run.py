"""`make demo`: mcpstate on the bundled example, against the local fixture registries.

Copies examples/demo/ to ./demo/, starts the hermetic npm registry and PyPI index
(no internet needed but for mcpstate's pinned pnpm, bootstrapped once from the public
npm registry into .cache/tools), and walks through lock (each server's closure into
mcpstate.lock.d/), validate, plan, apply, status, history, an upgrade that fails its
health test before anything is swapped, a good upgrade, and a rollback."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from testing.catalogue import NPM_VERSIONS  # noqa: E402
from testing.tools import isolated_env, seed_tools  # noqa: E402
from testing.world import World  # noqa: E402

DEMO = Path(os.environ.get("MCPSTATE_DEMO_DIR") or ROOT / "demo")  # the test runs it elsewhere


def main() -> int:
    if DEMO.exists():
        shutil.rmtree(DEMO)
    shutil.copytree(ROOT / "examples" / "demo", DEMO, ignore=shutil.ignore_patterns("run.py"))
    with World() as world:
        env = {**isolated_env(DEMO / ".sandbox"), **world.env}
        seed_tools(Path(env["MCPSTATE_HOME"]))
        step(env, "Lock each server's closure (mcpstate.lock.d/, closure: in the lockfile)", "lock")
        step(env, "Check the lockfile and its lock folder", "validate")
        step(env, "What would change (nothing is touched)", "plan")
        step(env, "Apply: stage, verify, health-test, swap, check, commit", "apply", "--auto-approve")
        step(env, "Probe every managed server live", "status")
        step(env, "Nothing left to do", "plan", "--detailed-exitcode")
        lock = DEMO / "mcpstate.lock.yaml"
        bad, good = NPM_VERSIONS["second_start_fails"], NPM_VERSIONS["add_tool"]
        pin(lock, "1.0.0", bad)
        step(env, "The pull request re-locks the moved pin", "lock", "notes")
        step(env, "An upgrade in review: the plan a PR comment would show", "plan", "--format", "markdown")
        step(env, f"Apply it: {bad} crashes from its second start on (lock's probe was its first): "
                  "the health test stops it before anything is swapped", "apply", "--auto-approve")
        pin(lock, bad, good)
        step(env, "Re-lock", "lock", "notes")
        step(env, f"A good upgrade to {good}", "apply", "--auto-approve")
        step(env, "History of 'notes'", "history", "notes")
        step(env, "Roll 'notes' back to revision 1", "rollback", "notes", "1")
        step(env, "History again", "history", "notes")
    home = os.path.relpath(env["HOME"])
    print(f"\nThe demo project is in {DEMO} (its .mcp.json, .mcpstate/state.json and journal); its"
          f" shared store is in the demo's own home folder, {home}: to look around, run\n"
          f"  HOME=$PWD/{home} .venv/bin/mcpstate -C demo plan")
    return 0


def pin(lock: Path, old: str, new: str) -> None:
    """Edit the notes server's pin by hand, as a pull request would: the new version, and
    its old integrity line deleted (wherever `lock` put it among the pin's lines), for
    `mcpstate lock` to fill in with the closure and the tools."""
    text = lock.read_text().replace(f"version: {old}", f"version: {new}", 1)
    pin_lines = rf"(version: {re.escape(new)}\n(?:    (?:closure|tools): \S+\n)*)    integrity: \S+\n"
    lock.write_text(re.sub(pin_lines, r"\1", text, count=1))


def step(env: dict[str, str], title: str, *args: str) -> None:
    print(f"\n=== {title}\n$ mcpstate {' '.join(args)}", flush=True)
    proc = subprocess.run([sys.executable, "-m", "mcpstate", "-C", str(DEMO), *args], env=env,
                          stdin=subprocess.DEVNULL)
    print(f"(exit {proc.returncode})", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
