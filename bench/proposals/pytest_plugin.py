"""Run any test suite with proposals installed, to show a fix breaks nothing.

    BENCH_PATCHES=<proposal>[,<proposal>...] \
        python -m pytest -p bench.proposals.pytest_plugin tests/engine tests/nn

(from the repository root, so that ``bench`` is importable). Each named module's ``install()``
patches are applied for the whole session, before any test runs.
"""

from __future__ import annotations

import importlib
import os
import sys


def pytest_configure(config):
    for name in filter(None, os.environ.get("BENCH_PATCHES", "").split(",")):
        patches = importlib.import_module(f"bench.proposals.{name.strip()}").install()
        if isinstance(patches, tuple):
            patches = [patches]
        for target, attrs in patches:
            for key, value in attrs.items():
                setattr(target, key, value)
        print(f"bench.proposals: installed {name}", file=sys.stderr)
