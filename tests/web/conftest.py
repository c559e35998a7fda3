"""Fixtures for the web tests: a tiny question bank with math, a registered test experiment."""

from __future__ import annotations

import pytest
from weblib import ANSWERED, EXP_ID, _web_test_exp, write_bank

from dlproof.experiments import registry
from dlproof.handbook.loader import load_questions


@pytest.fixture(scope="session")
def bank(tmp_path_factory):
    """Two questions: one answered (math, claims, an experiment), one unanswered."""
    directory = write_bank(tmp_path_factory.mktemp("bank") / "questions")
    return load_questions(directory, check_seed=False)


@pytest.fixture(scope="session")
def test_experiment():
    """Register ``web-test-exp`` for the session, and remove it afterwards."""
    registry._REGISTRY[EXP_ID] = registry.Experiment(
        EXP_ID, (ANSWERED,), "A test experiment", "测试实验", _web_test_exp, _web_test_exp.__module__)
    yield registry._REGISTRY[EXP_ID]
    registry._REGISTRY.pop(EXP_ID, None)
