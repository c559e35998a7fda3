"""Implement-it-yourself exercises, graded by hidden checks against dlproof's own implementations.

``exercise.py`` defines what an exercise is and the registry; ``catalog/`` holds the exercises;
``codec.py`` moves inputs and outputs between processes without pickle; ``child.py`` runs the
user's code in a subprocess inside a temporary copy; ``grader.py`` compares, names the classic
mistakes and enforces the time limit; ``results.py`` records attempts in the store;
``commands.py`` adds ``dlproof practice`` and ``dlproof grade``.
"""
