"""Shared test fixtures.

PyTorch (parity oracle) and Chromium (browser tests) are installed by ``.ci/run``. In CI (``CI`` set
to a true value) a missing one is a *failure*; on a user's machine the tests that need it are skipped
with a reason that says what to install.
"""

from __future__ import annotations

import importlib
import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(what: str, install_hint: str):
    """Fail in CI, skip elsewhere, because ``what`` is missing."""
    message = f"{what} is missing; install it with: {install_hint}"
    if IN_CI:
        pytest.fail(f"CI must have {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def torch():
    """PyTorch as a float64 test-time oracle (never a runtime dependency of dlproof)."""
    try:
        module = importlib.import_module("torch")
    except ImportError:
        require("PyTorch", "pip install torch==2.13.0  (or: pip install -e '.[test]')")
    module.set_default_dtype(module.float64)
    return module


@pytest.fixture(scope="session")
def oracle():
    """``oracle("hmmlearn.hmm")`` imports an outside reference implementation used as a test-time
    oracle (hmmlearn, torchcrf, gensim, imblearn, sklearn, ...): fails in CI when it is missing,
    skips elsewhere with the install hint. Never imported by dlproof at run time."""

    def load(module: str):
        try:
            return importlib.import_module(module)
        except ImportError:
            require(f"the test oracle {module.split('.')[0]!r}", "pip install -e '.[test]'")

    return load


@pytest.fixture(scope="session")
def chromium_path():
    """Path of the Debian chromium binary used by the browser tests."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        require("Chromium", "apt-get install chromium fonts-wqy-microhei")
    try:
        importlib.import_module("playwright")
    except ImportError:
        require("Playwright (Python)", "pip install -e '.[test]'")
    return path


@pytest.fixture()
def rng():
    import numpy as np

    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _isolated_dlproof_home(tmp_path_factory, monkeypatch):
    """Every test gets its own data directory, so nothing touches the user's store."""
    monkeypatch.setenv("DLPROOF_HOME", str(tmp_path_factory.mktemp("dlproof_home")))
