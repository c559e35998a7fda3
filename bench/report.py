"""Render a benchmark result (the JSON the runner writes) as a terminal or Markdown table.

``python -m bench.report bench/results/latest.json`` prints the Markdown used in BENCHMARKS.md.
"""

from __future__ import annotations

import json
import sys


def _ms(s: float | None) -> str:
    if s is None:
        return "-"
    ms = s * 1e3
    return f"{ms:.3f}" if ms < 1 else (f"{ms:.2f}" if ms < 100 else f"{ms:.0f}")


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "-"}[met]


def workload_rows(result: dict) -> list[list[str]]:
    rows = []
    for w in result["workloads"]:
        t = w.get("timing")
        if w["status"] != "ok" or not t:
            rows.append([w["name"], w["dtype"][-2:], "-", "-", "-", "-",
                         f"<= {w['target']}" if w.get("target") else "-",
                         w["status"] + (": " + w.get("message", "") if w.get("message") else ""),
                         "-"])
            continue
        if "ratio_proc_min" in t:
            spread = f"{t['ratio_proc_min']:.2f}-{t['ratio_proc_max']:.2f} ({t['processes']} procs)"
        else:
            spread = f"{t['ratio_p25']:.2f}-{t['ratio_p75']:.2f}"
        dl, tr = _ms(t["dlproof_s"]), _ms(t["torch_s"])
        if w.get("us_per_op"):
            dl += f" ({w['us_per_op']['dlproof']:.2f} us/op)"
            tr += f" ({w['us_per_op']['torch']:.2f} us/op)"
        verdict = _verdict(w.get("met"))
        if w.get("disturbed"):
            verdict = (f"unreliable: other processes used {w['other_load']:.0%} of the CPUs "
                       f"(would be {verdict})")
        chk = w.get("check") or {}
        rows.append([w["name"], w["dtype"][-2:], dl, tr, f"**{t['ratio']:.2f}**", spread,
                     f"<= {w['target']}" if w.get("target") else "-", verdict,
                     f"{chk['max_rel_error']:.0e}" if "max_rel_error" in chk else "-"])
    return rows


WORKLOAD_HEADER = ["workload", "dtype", "dlproof ms", "torch ms", "ratio", "spread",
                   "target", "result", "f64 check"]
STARTUP_HEADER = ["command", "wall median", "min-max", "runs", "target", "result"]


def startup_rows(result: dict) -> list[list[str]]:
    rows = []
    for c in result.get("startup", []):
        cmd = " ".join(a if "/" not in a else a.rsplit("/", 1)[-1] for a in c["argv"])
        tgt = f"<= {c['target_s'] * 1e3:.0f} ms" if c.get("target_s") else "-"
        if c["status"] != "ok":
            rows.append([f"`{cmd}`", "-", "-", "-", tgt, f"{c['status']}: {c.get('message', '')}"])
            continue
        verdict = _verdict(c.get("met"))
        if c.get("returncode"):
            verdict = f"ran; exit status {c['returncode']} (some claim failed)"
        rows.append([f"`{cmd}`", f"{c['median_s'] * 1e3:.0f} ms",
                     f"{c['min_s'] * 1e3:.0f}-{c['max_s'] * 1e3:.0f} ms", str(c["runs"]), tgt,
                     verdict])
    return rows


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    rows = [[c.replace("**", "").replace("`", "") for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    return "\n".join([fmt(header), fmt(["-" * w for w in widths]), *map(fmt, rows)])


def environment_lines(result: dict) -> list[str]:
    env = result["environment"]
    m, v = env["machine"], env["versions"]
    blas = [b for b in result.get("threads", {}).get("blas_pools", []) if b.get("user_api") == "blas"]
    blas_s = "; ".join(f"{b.get('internal_api')} {b.get('version')} kernel {b.get('architecture')} "
                       f"({b.get('threading_layer')}, {b.get('num_threads')} threads)" for b in blas)
    lines = [
        f"- run: {env['time_utc']}, mode `{result['mode']}`, {result.get('processes', 1)} "
        f"process(es), git {env['git'].get('commit')}"
        + (" (with uncommitted changes in src/)" if env["git"].get("src_modified") else ""),
        f"- machine: {m.get('model_name')} (family {m.get('cpu_family')}, model "
        f"{m.get('cpu_model')}; SIMD {', '.join(m.get('simd', []))}), {m.get('usable_cpus')} usable "
        f"cores, {m.get('mem_total_gib')} GiB",
        f"- BLAS: {blas_s or 'unknown'}; torch threads {result['threads'].get('torch')}",
        f"- versions: Python {v.get('python')}, NumPy {v.get('numpy')}, torch {v.get('torch')} "
        f"(CPU capability {v.get('torch_cpu_capability')}), dlproof {v.get('dlproof')}",
        "- env: " + ", ".join(f"{k}={val if val is not None else 'unset'}"
                              for k, val in env["env"].items()),
    ]
    noise = result.get("noise")
    if noise:
        lines.append(
            f"- noise: pure-Python probe {noise['probe_start_s'] * 1e3:.1f} ms at start, "
            f"{noise['probe_end_s'] * 1e3:.1f} ms at end; load average {noise.get('loadavg_start')} "
            f"-> {noise.get('loadavg_end')}"
        )
    if noise and noise.get("blas_gflops_start"):
        gs, ge = noise["blas_gflops_start"], noise.get("blas_gflops_end") or {}
        lines.append(
            "- BLAS ceiling (512^3 GEMM, same threads): "
            + ", ".join(f"{dt} {gs[dt]:.0f} GFLOP/s at start, {ge.get(dt, float('nan')):.0f} at end"
                        for dt in ("float32", "float64"))
        )
    others = [w.get("other_load") for w in result["workloads"]]
    others = [b for b in others if b is not None]
    if others:
        lines.append(f"- CPU use by other processes while each workload was timed: "
                     f"median {sorted(others)[len(others) // 2]:.0%}, max {max(others):.0%} "
                     f"(of {env['machine'].get('logical_cpus')} CPUs)")
    return lines


def render_markdown(result: dict) -> str:
    parts = ["\n".join(environment_lines(result)), "",
             markdown_table(WORKLOAD_HEADER, workload_rows(result))]
    if result.get("startup"):
        parts += ["", markdown_table(STARTUP_HEADER, startup_rows(result))]
    return "\n".join(parts) + "\n"


def render_text(result: dict) -> str:
    parts = ["\n".join(environment_lines(result)).replace("`", ""), "",
             text_table(WORKLOAD_HEADER, workload_rows(result))]
    if result.get("startup"):
        parts += ["", text_table(STARTUP_HEADER, startup_rows(result))]
    return "\n".join(parts)


BEGIN, END = "<!-- RESULTS -->", "<!-- /RESULTS -->"


def update_document(path: str, markdown: str) -> None:
    """Replace the text between the RESULTS markers of ``path`` (e.g. BENCHMARKS.md)."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if BEGIN not in text:
        raise SystemExit(f"{path} has no {BEGIN} marker")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else rest
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"{head}{BEGIN}\n{markdown.rstrip()}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.report RESULT.json [--update BENCHMARKS.md]``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m bench.report RESULT.json [--update DOC.md]", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as fh:
        md = render_markdown(json.load(fh))
    if len(argv) >= 3 and argv[1] == "--update":
        update_document(argv[2], md)
    else:
        print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
