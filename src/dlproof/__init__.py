"""dlproof: an executable deep-learning interview handbook.

The engine's public names (``dlproof.tensor``, ``dlproof.Tensor``, ``dlproof.no_grad``, ...) are
re-exported lazily, so that ``dlproof show`` and ``dlproof --help`` never pay for importing NumPy.
"""

__version__ = "0.1.0"

_ENGINE_NAMES = frozenset(
    {
        "Tensor",
        "tensor",
        "no_grad",
        "enable_grad",
        "is_grad_enabled",
        "zeros",
        "ones",
        "randn",
        "rand",
        "arange",
        "Function",
        "gradcheck",
    }
)


def __getattr__(name):
    if name in _ENGINE_NAMES:
        from dlproof import engine

        value = getattr(engine, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dlproof' has no attribute {name!r}")
