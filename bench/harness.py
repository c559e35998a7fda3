"""Timing harness: dlproof and PyTorch on identical work, in one process, interleaved.

Method (the same for every workload; BENCHMARKS.md, "Method", explains why):

* both sides are warmed up (``warmup`` calls each) before anything is timed;
* each side's inner-loop count is calibrated separately so that one *sample* (``n`` back-to-back
  calls, timed with ``time.perf_counter``) lasts at least ``min_sample_s`` (30 ms by default);
* ``samples`` samples are taken per side, alternating dlproof / torch sample by sample and
  flipping which side goes first on every repetition, so slow drifts of the host hit both sides;
* the reported figures are each side's median time per call and the **median of the per-pair
  ratios** dlproof/torch (plus the quartiles and min-max of those ratios as the spread).

``gc.collect()`` runs before every sample (not inside it), so each sample starts from the same heap
state; the cyclic collector stays enabled while timing, as in real use. Before the first sample,
everything alive (torch's and NumPy's module objects, the workload's weights) is moved to the
permanent generation with ``gc.freeze()``: otherwise each of those collections walks torch's
~170k import-time objects (0.25 s each), and the collector's automatic runs during a sample would
cost both sides that walk at random times.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class TimingConfig:
    """How hard to measure. ``full`` is the default; ``quick`` and ``tiny`` trade accuracy for time."""

    warmup: int = 3
    min_sample_s: float = 0.030
    samples: int = 25
    max_calls_per_sample: int = 100_000

    @classmethod
    def named(cls, mode: str) -> TimingConfig:
        if mode == "full":
            return cls()
        if mode == "quick":
            return cls(warmup=2, min_sample_s=0.010, samples=7)
        if mode == "tiny":  # smoke test: proves the machinery runs, measures nothing
            return cls(warmup=1, min_sample_s=0.0, samples=2, max_calls_per_sample=1)
        raise ValueError(f"unknown timing mode {mode!r} (full, quick, tiny)")


def _sample(fn, n: int) -> float:
    """Seconds per call of ``fn``, averaged over ``n`` back-to-back calls."""
    perf = time.perf_counter
    t0 = perf()
    for _ in range(n):
        fn()
    return (perf() - t0) / n


def calibrate(fn, cfg: TimingConfig) -> int:
    """Smallest call count whose sample lasts at least ``cfg.min_sample_s`` (two refinements)."""
    n = 1
    for _ in range(3):
        t = _sample(fn, n) * n
        if t >= cfg.min_sample_s or n >= cfg.max_calls_per_sample:
            break
        # aim 20% above the threshold so the sample does not straddle it
        n = min(cfg.max_calls_per_sample, max(n + 1, math.ceil(n * 1.2 * cfg.min_sample_s / max(t, 1e-9))))
    return max(1, min(n, cfg.max_calls_per_sample))


def _quantile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _freeze_heap() -> None:
    gc.collect()
    gc.freeze()


def time_pair(fn_dl, fn_torch, cfg: TimingConfig) -> dict:
    """Interleaved timing of two zero-argument callables; returns medians and the ratio spread."""
    _freeze_heap()
    for _ in range(cfg.warmup):
        fn_dl()
        fn_torch()
    n_dl = calibrate(fn_dl, cfg)
    n_torch = calibrate(fn_torch, cfg)
    t_dl: list[float] = []
    t_torch: list[float] = []
    for i in range(cfg.samples):
        order = ((fn_dl, n_dl, t_dl), (fn_torch, n_torch, t_torch))
        if i % 2:
            order = order[::-1]
        for fn, n, out in order:
            gc.collect()
            out.append(_sample(fn, n))
    ratios = [a / b for a, b in zip(t_dl, t_torch)]
    return {
        "dlproof_s": statistics.median(t_dl),
        "torch_s": statistics.median(t_torch),
        "dlproof_min_s": min(t_dl),
        "torch_min_s": min(t_torch),
        "ratio": statistics.median(ratios),
        "ratio_p25": _quantile(ratios, 0.25),
        "ratio_p75": _quantile(ratios, 0.75),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "samples": cfg.samples,
        "calls_per_sample": {"dlproof": n_dl, "torch": n_torch},
    }


# ------------------------------------------------------------------------------- environment
def noise_probe() -> float:
    """Seconds for a fixed pure-Python loop: compare start vs end of a run to spot disturbance."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        acc = 0
        for i in range(200_000):
            acc += i * i
        best = min(best, time.perf_counter() - t0)
    return best


def blas_gflops(n: int = 512, repeats: int = 5) -> dict:
    """The roofline's compute ceiling: best GFLOP/s of NumPy's BLAS on an n x n x n GEMM
    (2 n^3 flops), float32 and float64, at the thread limit in force."""
    import numpy as np

    rng = np.random.default_rng(0)
    out = {}
    for dt in ("float32", "float64"):
        a = rng.standard_normal((n, n)).astype(dt)
        b = rng.standard_normal((n, n)).astype(dt)
        a @ b  # warm-up
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - t0)
        out[dt] = 2 * n**3 / best / 1e9
    return out


def _cpu_times() -> tuple[int, int] | None:
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields), idle


def cpu_busy(interval: float = 1.0) -> float | None:
    """Fraction of all CPUs busy during ``interval`` seconds (this process sleeps meanwhile)."""
    a = _cpu_times()
    time.sleep(interval)
    b = _cpu_times()
    if a is None or b is None or b[0] == a[0]:
        return None
    return 1.0 - (b[1] - a[1]) / (b[0] - a[0])


def wait_until_idle(max_wait_s: float, threshold: float = 0.25, log=print) -> float | None:
    """Wait (up to ``max_wait_s``) until other processes use under ``threshold`` of the CPUs.

    Other engineers' test runs share the machine; torch's OpenMP threads in particular slow down
    by orders of magnitude when the 2 cores are oversubscribed. Returns the last busy fraction.
    """
    t0 = time.monotonic()
    busy = cpu_busy(1.0)
    while busy is not None and busy > threshold and time.monotonic() - t0 < max_wait_s:
        log(f"  machine busy ({busy:.0%} of CPUs used by other processes); waiting...")
        time.sleep(4.0)
        busy = cpu_busy(1.0)
    return busy


class OtherLoad:
    """Fraction of the machine's CPU time used by *other* processes over a stretch of time.

    ``/proc/stat`` gives all CPUs' busy time; this process's own CPU time (all its threads:
    NumPy's BLAS workers and torch's OpenMP pool) is subtracted. 0 = we had the machine to
    ourselves; 0.5 = on average one of 2 cores was taken by someone else.
    """

    def __enter__(self):
        self.t0, self.p0, self.s0 = time.monotonic(), time.process_time(), _cpu_times()
        return self

    def __exit__(self, *exc):
        self.value = None
        s1 = _cpu_times()
        if self.s0 is None or s1 is None:
            return False
        wall = time.monotonic() - self.t0
        ncpu = os.cpu_count() or 1
        hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        busy = ((s1[0] - self.s0[0]) - (s1[1] - self.s0[1])) / hz
        mine = time.process_time() - self.p0
        if wall >= 0.5:  # /proc/stat counts in 10 ms ticks: meaningless for shorter stretches
            self.value = max(0.0, min(1.0, (busy - mine) / (wall * ncpu)))
        return False


def loadavg() -> list[float] | None:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def cpu_info() -> dict:
    info: dict = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "logical_cpus": os.cpu_count(),
    }
    try:
        info["usable_cpus"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        pass
    try:
        text = Path("/proc/cpuinfo").read_text()
        first = text.split("\n\n")[0]
        fields = {}
        for line in first.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                fields[k.strip()] = v.strip()
        info["model_name"] = fields.get("model name")
        info["cpu_family"] = fields.get("cpu family")
        info["cpu_model"] = fields.get("model")
        flags = fields.get("flags", "").split()
        info["simd"] = [f for f in ("avx", "avx2", "fma", "avx512f", "avx512_bf16") if f in flags]
    except OSError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_total_gib"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return info


def git_revision() -> dict:
    def run(*args):
        try:
            r = subprocess.run(
                ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
            )
            return r.stdout.strip() if r.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None

    status = run("status", "--porcelain", "--untracked-files=no", "--", "src")
    return {"commit": run("rev-parse", "--short", "HEAD"), "subject": run("log", "-1", "--format=%s"),
            "src_modified": bool(status)}


def blas_info() -> list[dict]:
    from threadpoolctl import threadpool_info

    keep = ("user_api", "internal_api", "prefix", "version", "architecture", "threading_layer",
            "num_threads")
    return [{k: d.get(k) for k in keep} for d in threadpool_info()]


def versions() -> dict:
    import numpy

    out = {"python": sys.version.split()[0], "numpy": numpy.__version__}
    try:
        import dlproof

        out["dlproof"] = dlproof.__version__
    except Exception as exc:  # noqa: BLE001 - report, never crash the run
        out["dlproof"] = f"unavailable: {exc}"
    try:
        import threadpoolctl

        out["threadpoolctl"] = threadpoolctl.__version__
    except ImportError:
        pass
    try:
        import torch

        out["torch"] = torch.__version__
        out["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        out["torch_num_threads"] = torch.get_num_threads()
        cfg = torch.__config__.show()
        for line in cfg.splitlines():
            line = line.strip()
            if "Math Kernel Library" in line or line.startswith("- Intel(R) oneAPI"):
                out["torch_mkl"] = line.lstrip("- ")
            if "MKL-DNN" in line or "oneDNN" in line:
                out["torch_onednn"] = line.lstrip("- ")
    except ImportError:
        out["torch"] = None
    return out


def environment() -> dict:
    env_vars = {
        k: os.environ.get(k)
        for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                  "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }
    return {
        "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": cpu_info(),
        "versions": versions(),
        "git": git_revision(),
        "env": env_vars,
    }


def time_many(fns: dict, cfg: TimingConfig, reference: str) -> dict:
    """Interleaved timing of several callables (rotating order); ratios against ``reference``.

    Used by ``bench.proposals`` to compare an engine as it is, a patched copy, and torch in one
    process: ``{name: {"s": median seconds per call, "ratio": median of per-round ratios}}``.
    """
    names = list(fns)
    _freeze_heap()
    for _ in range(cfg.warmup):
        for f in fns.values():
            f()
    calls = {k: calibrate(f, cfg) for k, f in fns.items()}
    times: dict[str, list[float]] = {k: [] for k in names}
    for i in range(cfg.samples):
        k0 = i % len(names)
        for k in names[k0:] + names[:k0]:
            gc.collect()
            times[k].append(_sample(fns[k], calls[k]))
    ref = times[reference]
    return {
        k: {"s": statistics.median(v),
            "ratio": statistics.median(a / b for a, b in zip(v, ref))}
        for k, v in times.items()
    }
