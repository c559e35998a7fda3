"""Grad mode: whether new ops are recorded for backward, per thread (as PyTorch's grad mode).

``no_grad`` / ``enable_grad`` / ``set_grad_enabled`` are context managers and decorators;
``is_grad_enabled()`` reads the switch. ``_Mode`` also carries the static-graph tracing switch
(:mod:`dlproof.engine.graph`) and ``fast`` (recording on, tracing off), the one flag the Function
fast paths test.
"""

from __future__ import annotations

import threading

__all__ = ["is_grad_enabled", "set_grad_enabled", "no_grad", "enable_grad"]


class _ModeState(threading.local):
    """Autograd switches, per thread (as PyTorch's grad mode): ``no_grad`` in one thread (say, a
    web request evaluating a model) never disables recording in another."""

    enabled = True  # grad mode (no_grad sets it False)
    tracing = False  # static-graph tracing records every op, see engine.graph
    fast = True  # enabled and not tracing: the Function fast paths may run

    def set(self, enabled=None, tracing=None):
        if enabled is not None:
            self.enabled = bool(enabled)
        if tracing is not None:
            self.tracing = bool(tracing)
        self.fast = self.enabled and not self.tracing


_Mode = _ModeState()


def is_grad_enabled() -> bool:
    """True when new ops are recorded for backward (PyTorch's ``torch.is_grad_enabled``)."""
    return _Mode.enabled


class set_grad_enabled:
    """Context manager / decorator setting grad mode to ``mode`` (restored on exit)."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)
        self.prev = None

    def __enter__(self):
        self.prev = _Mode.enabled
        _Mode.set(enabled=self.mode)
        return self

    def __exit__(self, *exc):
        _Mode.set(enabled=self.prev)
        return False

    def __call__(self, fn):
        import functools

        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """``with no_grad():`` (or ``@no_grad()``) computes without recording a graph."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """``with enable_grad():`` re-enables recording inside a ``no_grad`` block."""

    def __init__(self):
        super().__init__(True)

