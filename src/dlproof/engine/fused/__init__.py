"""Fused Functions: composite layers with hand-derived backward passes (one graph node each).

Each is tested against the same computation composed from primitives (tests/engine).
"""
