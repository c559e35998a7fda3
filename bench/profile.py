"""Profile the dlproof side of one workload with cProfile.

    python -m bench.profile chain_f32               # top 25 functions by own time
    python -m bench.profile conv2d_f32 --sort cumtime --top 40 --seconds 3

The workload is built exactly as the benchmark builds it (same sizes, dtype, 2 BLAS threads),
warmed up, then its dlproof step is called repeatedly for about ``--seconds`` under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time


def main(argv: list[str] | None = None) -> None:
    from threadpoolctl import threadpool_limits

    from bench.workloads import all_workloads

    p = argparse.ArgumentParser(prog="python -m bench.profile")
    p.add_argument("name", help="workload name (see python -m bench --list)")
    p.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumtime, ...)")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--torch", action="store_true", help="profile the torch side instead")
    p.add_argument("--threads", type=int, default=2, help="BLAS and torch threads (default 2)")
    args = p.parse_args(argv)

    by_name = {w.name: w for w in all_workloads()}
    if args.name not in by_name:
        raise SystemExit(f"unknown workload {args.name!r}; one of {', '.join(by_name)}")
    w = by_name[args.name]
    import torch

    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        case = w.build(w.dtype, False)
        step = case.torch_step if args.torch else case.dl_step
        for _ in range(3):
            step()
        t0 = time.perf_counter()
        step()
        per = time.perf_counter() - t0
        n = max(1, int(args.seconds / max(per, 1e-6)))
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        for _ in range(n):
            step()
        prof.disable()
        wall = time.perf_counter() - t0
    print(f"{w.name}: {n} calls, {wall / n * 1e3:.3f} ms per call under the profiler "
          f"({per * 1e3:.3f} ms without)")
    stats = pstats.Stats(prof)
    stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
