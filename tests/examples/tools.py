"""The outside tools the example tests run for real, found or installed once, and small
readers of their inputs (PromQL metric names)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# The MCP Inspector's last 0.x release: its CLI mode lists a config file's server's tools.
# (1.x and 2.x need Node.js 22; 0.22.0 declares it too, but its CLI runs on Node.js 20.)
INSPECTOR_VERSION = "0.22.0"
INSPECTOR_PACKAGE = "@modelcontextprotocol/inspector"


def venv_tool(name: str) -> str | None:
    """A console script of this test environment (pip installed it next to Python), else PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def require(name: str, how: str) -> str:
    """The tool's path, or skip the test saying how it gets installed."""
    path = venv_tool(name)
    if path is None:
        pytest.skip(f"{name} is not installed ({how})")
    return path


def inspector(cache: Path | None = None) -> Path:
    """The Inspector's launcher, installed once per machine into the repository's
    git-ignored .cache/ (what `npx @modelcontextprotocol/inspector` would fetch and run)."""
    cache = cache or REPO / ".cache"
    home = cache / f"inspector-{INSPECTOR_VERSION}"
    launcher = home / "node_modules" / ".bin" / "mcp-inspector"
    if launcher.exists():
        return launcher
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so the MCP Inspector cannot be")
    staging = cache / f".inspector-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_config_")}
    env.update(npm_config_cache=str(staging / ".npm"), npm_config_userconfig=os.devnull,
               npm_config_registry="https://registry.npmjs.org/")
    proc = subprocess.run([npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund",
                           "--loglevel=error", "--save-exact", f"{INSPECTOR_PACKAGE}@{INSPECTOR_VERSION}"],
                          check=False, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=600)
    if proc.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"the MCP Inspector could not be installed from the npm registry: {last}")
    shutil.rmtree(staging / ".npm", ignore_errors=True)
    try:
        staging.rename(home)  # one rename: a half install is never taken for a whole one
    except OSError:  # another session finished first
        shutil.rmtree(staging, ignore_errors=True)
    return launcher


# PromQL words that are not metric names: operators, modifiers, aggregation keywords.
_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
             "bool", "offset", "atmodifier", "inf", "nan"}


def promql_metrics(expr: str) -> set[str]:
    """The metric names an expression selects (Grafana's `$variables` and its
    `label_values(metric, label)` allowed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", " ", text)           # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)          # range and subquery durations
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\blabel_values\s*\(([^,()]*),\s*\w+\s*\)", r" \1 ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)         # Grafana variables
    names = re.findall(r"(?<![\w.:])([A-Za-z_:][\w:]*)(?![\w:]|\s*\()", text)
    return {n for n in names if n.lower() not in _KEYWORDS and not re.fullmatch(r"\d+\w*", n)}
