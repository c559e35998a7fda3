"""Values across the process boundary: JSON for structure, one .npz (no pickle) for arrays.

Supported values: None, bool, int, float, str, numpy arrays and scalars, and tuples, lists and
dicts (string keys) of those. ``pack(value, arrays)`` returns a JSON-able description and puts the
arrays into ``arrays``; ``unpack(desc, arrays)`` inverts it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def pack(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return {"t": "v", "v": value}
    if isinstance(value, (int, np.integer)):
        return {"t": "i", "v": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"t": "f", "v": repr(float(value))}  # repr keeps nan/inf and every digit
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("object arrays cannot be passed; return numeric arrays")
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {"t": "a", "k": key}
    if isinstance(value, (tuple, list)):
        return {"t": "tuple" if isinstance(value, tuple) else "list", "v": [pack(v, arrays) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("dict keys must be strings")
        return {"t": "dict", "v": {k: pack(v, arrays) for k, v in value.items()}}
    raise TypeError(f"cannot pass a value of type {type(value).__name__}; use numpy arrays, numbers, "
                    "tuples, lists or dicts")


def unpack(desc: Any, arrays) -> Any:
    t = desc["t"]
    if t == "v":
        return desc["v"]
    if t == "i":
        return int(desc["v"])
    if t == "f":
        return float(desc["v"])
    if t == "a":
        return np.array(arrays[desc["k"]])
    if t in ("tuple", "list"):
        items = [unpack(v, arrays) for v in desc["v"]]
        return tuple(items) if t == "tuple" else items
    if t == "dict":
        return {k: unpack(v, arrays) for k, v in desc["v"].items()}
    raise ValueError(f"unknown value tag {t!r}")


def write(path_stem: Path, value: Any) -> None:
    """``<stem>.json`` + ``<stem>.npz``."""
    arrays: dict[str, np.ndarray] = {}
    desc = pack(value, arrays)
    np.savez(path_stem.with_suffix(".npz"), **arrays)
    path_stem.with_suffix(".json").write_text(json.dumps(desc), encoding="utf-8")


def read(path_stem: Path) -> Any:
    desc = json.loads(path_stem.with_suffix(".json").read_text(encoding="utf-8"))
    with np.load(path_stem.with_suffix(".npz"), allow_pickle=False) as arrays:
        return unpack(desc, arrays)
