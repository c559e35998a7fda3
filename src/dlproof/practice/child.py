"""Run the user's solution on the grader's inputs: ``python -m dlproof.practice.child WORKDIR``.

WORKDIR is a temporary directory holding a *copy* of the user's file (``solution.py``) and the
calls (``calls.json``/``.npz``: a list of [function name, keyword arguments]). Writes
``outputs.json``/``.npz``: per call {"ok": value} or {"error": message}. Only numpy and the codec
are imported here, so nothing of the grader's reference implementations is reachable from this
process by accident.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

from dlproof.practice import codec


def _error_message(exc: BaseException, solution: Path) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == solution]
    where = f" (line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
    if isinstance(exc, NotImplementedError):
        return f"not implemented yet{where}"
    return f"{type(exc).__name__}: {exc}{where}"


def main(workdir: str) -> int:
    work = Path(workdir)
    solution = work / "solution.py"
    calls = codec.read(work / "calls")
    spec = importlib.util.spec_from_file_location("solution", solution)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # a syntax error or a failing import: report it, do not crash
        codec.write(work / "outputs", {"load_error": _error_message(exc, solution)})
        return 0
    results = []
    for name, kwargs in calls:
        fn = getattr(module, name, None)
        if not callable(fn):
            results.append({"error": f"the file has no function named {name!r}"})
            continue
        try:
            value = fn(**kwargs)
            codec.pack(value, {})  # fail here, per call, on values that cannot travel
            results.append({"ok": value})
        except Exception as exc:
            results.append({"error": _error_message(exc, solution)})
    codec.write(work / "outputs", {"results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
