"""Experiments that prove the handbook's answers: registry, reports, claims, runner."""
