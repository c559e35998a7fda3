"""Measured fixes for the engine's hot spots, kept as patches *outside* the engine.

Each module here patches one engine function in-process (never editing the engine's files), then
times, in one process and interleaved, the benchmark workload with the engine as it is
("current"), with the patch ("patched"), and PyTorch, after checking that the patched engine still
agrees with PyTorch in float64. Run one with ``python -m bench.proposals.<name>``; BENCHMARKS.md
("Known bottlenecks") quotes their output. Once a fix is applied to the engine, its module here
can be deleted.
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def patched(target, **attrs):
    """Temporarily set attributes of ``target`` (a class or module)."""
    old = {k: target.__dict__.get(k, _MISSING) for k in attrs}
    for k, v in attrs.items():
        setattr(target, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is _MISSING:
                delattr(target, k)
            else:
                setattr(target, k, v)


_MISSING = object()


@contextlib.contextmanager
def patched_all(patches):
    """``patched`` for a list of ``(target, attrs)`` pairs."""
    with contextlib.ExitStack() as stack:
        for target, attrs in patches:
            stack.enter_context(patched(target, **attrs))
        yield


def compare(workload_names: list[str], target, attrs: dict | None = None,
            samples: int = 21) -> list[dict]:
    """Check the patched engine against torch, then time current vs patched vs torch.

    ``target, attrs``: one class/module and the attributes to set on it; or pass a list of
    ``(target, attrs)`` pairs as ``target`` (and no ``attrs``) to patch several.
    """
    patches = target if attrs is None else [(target, attrs)]
    import torch
    from threadpoolctl import threadpool_limits

    from bench.harness import TimingConfig, time_many
    from bench.workloads import all_workloads, check

    by_name = {w.name: w for w in all_workloads()}
    torch.set_num_threads(2)
    cfg = TimingConfig(samples=samples)
    rows = []
    with threadpool_limits(limits=2, user_api="blas"):
        for name in workload_names:
            w = by_name[name]
            with patched_all(patches):
                chk = check(w)
            if not chk["ok"]:
                raise SystemExit(f"{name}: the patched engine disagrees with torch: {chk['problems']}")
            cur, new = w.build(w.dtype, False), w.build(w.dtype, False)

            def run_current(step=cur.dl_step):
                step()

            def run_patched(step=new.dl_step):
                with patched_all(patches):
                    step()

            res = time_many({"current": run_current, "patched": run_patched,
                             "torch": cur.torch_step}, cfg, reference="torch")
            row = {"workload": name, **{f"{k}_ms": v["s"] * 1e3 for k, v in res.items()},
                   "current_ratio": res["current"]["ratio"], "patched_ratio": res["patched"]["ratio"],
                   "check_err": chk["max_rel_error"]}
            rows.append(row)
            print(f"{name:<16} current {row['current_ms']:.3f} ms (ratio {row['current_ratio']:.2f})"
                  f"  patched {row['patched_ms']:.3f} ms (ratio {row['patched_ratio']:.2f})"
                  f"  torch {row['torch_ms']:.3f} ms   [float64 check err {row['check_err']:.1e}]")
    return rows
