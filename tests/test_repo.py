"""Repository contracts: README's quickstart is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_quickstart_is_two_commands_install_and_run_then_test():
    main, test = quickstart_commands()
    assert "pip install -e ." in main and "dlproof serve" in main
    assert 'pip install -e ".[test]"' in test and "pytest" in test


def test_ci_runs_the_readme_test_command():
    _, test = quickstart_commands()
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert test in ci.splitlines()
    assert "export CI=true" in ci and "chromium" in ci and "fonts-wqy-microhei" in ci


def test_torch_is_pinned_exactly_in_the_test_extra():
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert '"torch==2.13.0"' in pyproject
    runtime = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert "torch" not in runtime
