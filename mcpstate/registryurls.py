"""Which registry each source uses: the environment wins over the lockfile's
`registries:`, which wins over the public defaults. Light: no HTTP imported."""

from __future__ import annotations

from collections.abc import Mapping

DEFAULTS = {"npm": "https://registry.npmjs.org/", "pypi": "https://pypi.org/simple/"}
ENV_OVERRIDES = {"npm": "MCPSTATE_NPM_REGISTRY", "pypi": "MCPSTATE_PYPI_INDEX"}


def registry_urls(configured: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    return {source: environ.get(ENV_OVERRIDES[source]) or configured.get(source) or default
            for source, default in DEFAULTS.items()}
