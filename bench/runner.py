"""``python -m bench``: time dlproof against PyTorch CPU and write a JSON report.

Usage (from the repository root of a source checkout)::

    python -m bench                      # full run: every workload + start-up timings
    python -m bench --quick              # fewer, shorter samples (a minute or so)
    python -m bench --only conv2d,lstm   # workloads whose name contains (or glob-matches) these
    python -m bench --json out.json      # where to write the JSON (default bench/results/)
    python -m bench --processes 3        # repeat the in-process suite in 3 fresh processes
    python -m bench --tiny               # tiny sizes, 1-2 samples: a smoke test, not a benchmark
    python -m bench --list               # list the workloads and their targets

Both libraries run with 2 threads (threadpoolctl limits NumPy's BLAS, ``torch.set_num_threads``),
interleaved in one process after a warm-up (see :mod:`bench.harness`). Before timing, each workload
is run once on both sides in float64 from the same weights and compared (:func:`bench.workloads.check`);
a workload whose numbers disagree is reported as ``mismatch`` and not timed. A workload dlproof
cannot run yet is reported as ``skipped`` with what is missing, never a crash.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import harness, report, startup
from bench.workloads import all_workloads, check, missing_features

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    mode.add_argument("--tiny", action="store_true",
                      help="tiny sizes and 1-2 samples: checks the machinery, measures nothing")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="run workloads matching NAME (substring or glob; comma-separated; repeatable)")
    p.add_argument("--json", dest="json_path", metavar="PATH",
                   help="write the JSON here (default: bench/results/bench-<utc>.json + latest.json)")
    p.add_argument("--markdown", metavar="PATH", help="also write the Markdown tables here")
    p.add_argument("--threads", type=int, default=2, help="BLAS and torch threads (default 2)")
    p.add_argument("--samples", type=int, help="override the number of interleaved samples")
    p.add_argument("--processes", type=int, default=1,
                   help="run the in-process suite in N fresh processes; report medians across them")
    p.add_argument("--no-startup", action="store_true", help="skip the start-up/CLI timings")
    p.add_argument("--no-check-command", action="store_true",
                   help="time start-up but not `dlproof check` (it runs every experiment)")
    p.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                   help="before each workload, wait up to SECONDS for other processes to leave "
                        "the CPUs idle (<25%% busy); the busy fraction is recorded either way")
    p.add_argument("--retries", type=int, default=0, metavar="N",
                   help="re-measure a workload up to N times when other processes used more "
                        "than 25%% of the CPUs while it was timed; keep the least disturbed")
    p.add_argument("--order-seed", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--list", action="store_true", help="list workloads and exit")
    return p.parse_args(argv)


def select(workloads, patterns: list[str]):
    pats = [q.strip() for p in patterns for q in p.split(",") if q.strip()]
    if not pats:
        return workloads
    chosen = [w for w in workloads
              if any(p in w.name or fnmatch.fnmatch(w.name, p) for p in pats)]
    if not chosen:
        raise SystemExit(f"--only {','.join(pats)} matches no workload; try --list")
    return chosen


def _log(msg: str) -> None:
    print(msg, flush=True)


def run_workload(w, cfg: harness.TimingConfig, tiny: bool) -> dict:
    res = {"name": w.name, "title": w.title, "dtype": w.dtype, "target": w.target}
    miss = missing_features(w.needs)
    if miss:
        res.update(status="skipped", message="dlproof lacks " + ", ".join(miss))
        return res
    try:
        chk = check(w, tiny=tiny)
    except Exception as exc:  # noqa: BLE001 - a broken workload is reported, not fatal
        res.update(status="error", message=f"check failed: {type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc(limit=6))
        return res
    res["check"] = chk
    if not chk["ok"]:
        res.update(status="mismatch",
                   message="dlproof and torch disagree (not timed): " + "; ".join(chk["problems"][:4]))
        return res
    try:
        case = w.build(w.dtype, tiny)
        timing = harness.time_pair(case.dl_step, case.torch_step, cfg)
    except Exception as exc:  # noqa: BLE001
        res.update(status="error", message=f"timing failed: {type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc(limit=6))
        return res
    res.update(status="ok", timing=timing)
    if case.ops_per_call:
        res["ops_per_call"] = case.ops_per_call
        res["us_per_op"] = {"dlproof": timing["dlproof_s"] / case.ops_per_call * 1e6,
                            "torch": timing["torch_s"] / case.ops_per_call * 1e6}
    if w.target is not None:
        res["met"] = timing["ratio"] <= w.target
    return res


DISTURBED = 0.25  # other processes' share of the CPUs above which a measurement is suspect


def _measure(w, cfg, tiny: bool) -> dict:
    with harness.OtherLoad() as load:
        r = run_workload(w, cfg, tiny=tiny)
    r["other_load"] = load.value
    r["disturbed"] = load.value is not None and load.value > DISTURBED
    return r


def run_in_process(args, workloads) -> dict:
    """The timed suite in this process (no start-up timings)."""
    import torch
    from threadpoolctl import threadpool_limits

    mode = "tiny" if args.tiny else ("quick" if args.quick else "full")
    cfg = harness.TimingConfig.named(mode)
    if args.samples:
        cfg.samples = args.samples
    torch.set_num_threads(args.threads)
    result = {"schema": 1, "mode": mode, "workloads": []}
    with threadpool_limits(limits=args.threads, user_api="blas"):
        result["environment"] = harness.environment()
        result["threads"] = {"torch": torch.get_num_threads(), "blas_pools": harness.blas_info()}
        result["timing_config"] = vars(cfg)
        noise = {"probe_start_s": harness.noise_probe(), "loadavg_start": harness.loadavg(),
                 "blas_gflops_start": harness.blas_gflops(64 if args.tiny else 512)}
        noise["cpu_busy_before"] = {}
        for w in workloads:
            if args.wait_idle > 0:
                busy = harness.wait_until_idle(args.wait_idle, log=_log)
            else:
                busy = harness.cpu_busy(0.2) if mode != "tiny" else None
            noise["cpu_busy_before"][w.name] = busy
            t0 = time.perf_counter()
            r = _measure(w, cfg, args.tiny)
            r["cpu_busy_before"] = busy
            for attempt in range(args.retries):
                if r["status"] != "ok" or (r["other_load"] or 0.0) <= DISTURBED:
                    break
                _log(f"  {w.name:<16} disturbed (other processes used {r['other_load']:.0%} "
                     f"of the CPUs); retry {attempt + 1}/{args.retries}")
                if args.wait_idle > 0:
                    harness.wait_until_idle(args.wait_idle, log=_log)
                again = _measure(w, cfg, args.tiny)
                if again["status"] == "ok" and (again["other_load"] or 0.0) < r["other_load"]:
                    again["attempts"] = attempt + 2
                    r = again
            result["workloads"].append(r)
            if r["status"] == "ok":
                t = r["timing"]
                load = r["other_load"]
                _log(f"  {w.name:<16} {t['dlproof_s'] * 1e3:9.3f} ms vs {t['torch_s'] * 1e3:9.3f} ms"
                     f"  ratio {t['ratio']:.2f}  (target {w.target}, check err "
                     f"{r['check']['max_rel_error']:.1e}, {time.perf_counter() - t0:.1f} s, "
                     f"others' CPU {'?' if load is None else f'{load:.0%}'})")
            else:
                _log(f"  {w.name:<16} {r['status']}: {r.get('message', '')}")
        noise.update(probe_end_s=harness.noise_probe(), loadavg_end=harness.loadavg(),
                     blas_gflops_end=harness.blas_gflops(64 if args.tiny else 512))
        result["noise"] = noise
    return result


def run_in_processes(args, argv: list[str], n: int) -> dict:
    """Run the suite in ``n`` fresh child processes and merge: medians across processes."""
    children = []
    with tempfile.TemporaryDirectory(prefix="dlproof-bench-") as tmp:
        for i in range(n):
            path = Path(tmp) / f"proc{i}.json"
            child = [*_strip_options(argv), "--no-startup", "--json", str(path),
                     "--order-seed", str(i)]
            _log(f"process {i + 1}/{n}")
            subprocess.run([sys.executable, "-m", "bench", *child], check=True,
                           cwd=harness.REPO_ROOT)
            children.append(json.loads(path.read_text()))
    merged = dict(children[0])
    merged["processes"] = n
    merged["noise"] = {
        "probe_start_s": min(c["noise"]["probe_start_s"] for c in children),
        "probe_end_s": max(c["noise"]["probe_end_s"] for c in children),
        "loadavg_start": children[0]["noise"]["loadavg_start"],
        "loadavg_end": children[-1]["noise"]["loadavg_end"],
        "blas_gflops_start": children[0]["noise"].get("blas_gflops_start"),
        "blas_gflops_end": children[-1]["noise"].get("blas_gflops_end"),
    }
    merged["workloads"] = []
    order = [w.name for w in select(all_workloads(), args.only)]
    by_name = [{r["name"]: r for r in c["workloads"]} for c in children]
    for name in order:
        w = by_name[0][name]
        runs = [c[name] for c in by_name]
        ok = [r for r in runs if r["status"] == "ok"]
        if len(ok) != len(runs):
            merged["workloads"].append(next(r for r in runs if r["status"] != "ok"))
            continue
        ratios = [r["timing"]["ratio"] for r in ok]
        t = dict(ok[0]["timing"])
        t.update(
            ratio=statistics.median(ratios),
            ratio_proc_min=min(ratios),
            ratio_proc_max=max(ratios),
            ratios_per_process=ratios,
            dlproof_s=statistics.median(r["timing"]["dlproof_s"] for r in ok),
            torch_s=statistics.median(r["timing"]["torch_s"] for r in ok),
            processes=n,
        )
        m = dict(w, timing=t)
        loads = [r.get("other_load") for r in ok if r.get("other_load") is not None]
        m["other_load"] = max(loads) if loads else None
        m["disturbed"] = any(r.get("disturbed") for r in ok)
        if w.get("ops_per_call"):
            ops = w["ops_per_call"]
            m["us_per_op"] = {"dlproof": t["dlproof_s"] / ops * 1e6, "torch": t["torch_s"] / ops * 1e6}
        if w.get("target") is not None:
            m["met"] = t["ratio"] <= w["target"]
        merged["workloads"].append(m)
    return merged


def _strip_options(argv: list[str]) -> list[str]:
    """``argv`` without the options the parent handles itself (--processes/--json/--markdown)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--processes", "--json", "--markdown", "--order-seed"):
            skip = True
            continue
        if a.startswith(("--processes=", "--json=", "--markdown=", "--order-seed=")):
            continue
        out.append(a)
    return out


def main(argv: list[str] | None = None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    workloads = select(all_workloads(), args.only)
    if args.order_seed:  # --processes: each child runs the workloads in its own order
        import random

        random.Random(args.order_seed).shuffle(workloads)
    if args.list:
        for w in workloads:
            print(f"{w.name:<16} {w.dtype:<8} target <= {w.target}  {w.title}")
        return {}
    mode = "tiny" if args.tiny else ("quick" if args.quick else "full")
    _log(f"dlproof vs torch, mode {mode}, {args.threads} threads, {len(workloads)} workloads")
    if args.processes > 1:
        result = run_in_processes(args, argv, args.processes)
    else:
        result = run_in_process(args, workloads)
    if not args.no_startup:
        _log("start-up (fresh processes, wall clock):")
        result["startup"] = startup.run_all(mode, include_check=not args.no_check_command, log=_log)
    if args.order_seed is None:  # children of --processes leave the table to the parent
        print()
        print(report.render_text(result))

    if args.json_path:
        paths = [Path(args.json_path)]
    else:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        paths = [RESULTS_DIR / f"bench-{stamp}.json", RESULTS_DIR / "latest.json"]
    text = json.dumps(result, indent=2, default=float)
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    if args.order_seed is None:
        _log(f"\nwrote {', '.join(str(p) for p in paths)}")
    if args.markdown:
        Path(args.markdown).write_text(report.render_markdown(result), encoding="utf-8")
    return result
