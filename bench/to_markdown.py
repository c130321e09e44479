#!/usr/bin/env python3
"""Turn Google Benchmark JSON from the bench_* binaries into markdown tables (ours beside the twins).

Usage:
  bench/to_markdown.py conv.json norm.json pointwise.json            # update bench/README.md
  bench/to_markdown.py conv.json --readme other.md                   # update another file
  bench/to_markdown.py conv.json --stdout                            # print only

Benchmark names are family/shape/batch/op/impl (Google Benchmark appends /manual_time); impl is
"ours", "ours_tf32" (our TF32 tensor-core variant, where there is one), a fp32 twin (cudnn_fp32,
cudnn, cudnn_relu, cublas_yardstick) or the TF32 twin (cudnn_tf32). One row per (family, shape,
batch, op): the times in ms and the ratios ours / fp32 twin and ours_tf32 (else ours) / TF32 twin,
so a ratio below 1 means ours is faster. With --benchmark_repetitions the median aggregate is used; repeated
iteration runs without aggregates are reduced to their median too. The tables replace the text
between the markers <!-- results:begin --> and <!-- results:end --> of the README.
"""
import argparse
import json
import math
import statistics
import sys
from collections import OrderedDict
from pathlib import Path

BEGIN = "<!-- results:begin -->"
END = "<!-- results:end -->"
TF32_IMPLS = {"cudnn_tf32"}
FP32_IMPLS = {"cudnn_fp32", "cudnn", "cudnn_relu", "cublas_yardstick"}
TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
FAMILY_TITLES = {
    "conv": "Convolutions (twin: cuDNN convolution, algorithms found by cudnnFind*)",
    "norm": "Normalisation (twin: cuDNN batch norm; instance norm on the [1, N*C, H, W] view)",
    "pointwise": "Pointwise (twins: cuDNN ReLU for leaky ReLU; cuBLAS sscal/sscal/saxpy bandwidth yardstick for Adam)",
}


def split_name(name):
    """'conv/L:3x8x8->4,k4s2p1/n1/forward/ours/manual_time' -> (family, shape, batch, op, impl)."""
    parts = name.split("/")
    if parts and parts[-1] in ("manual_time", "real_time"):
        parts = parts[:-1]
    if len(parts) != 5:
        raise ValueError(f"unexpected benchmark name {name!r}: want family/shape/batch/op/impl")
    return tuple(parts)


def load_runs(paths):
    """{(family, shape, batch, op): {impl: entry}} in first-seen order, and the contexts."""
    samples = OrderedDict()  # key -> impl -> list of (ms, entry)
    medians = {}  # (key, impl) -> (ms, entry) from a median aggregate
    contexts = []
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        contexts.append((path, data.get("context", {})))
        for b in data.get("benchmarks", []):
            family, shape, batch, op, impl = split_name(b.get("run_name", b["name"]))
            key = (family, shape, batch, op)
            slot = samples.setdefault(key, OrderedDict()).setdefault(impl, [])
            if b.get("error_occurred"):
                slot.append((None, b))
                continue
            ms = b["real_time"] * TO_MS[b.get("time_unit", "ns")]
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") == "median":
                    medians[(key, impl)] = (ms, b)
            else:
                slot.append((ms, b))
    rows = OrderedDict()
    for key, impls in samples.items():
        row = rows.setdefault(key, {})
        for impl, runs in impls.items():
            if (key, impl) in medians:
                row[impl] = medians[(key, impl)]
                continue
            good = [r for r in runs if r[0] is not None]
            if good:
                row[impl] = (statistics.median(ms for ms, _ in good), good[0][1])
            else:
                row[impl] = (None, runs[0][1])
    return rows, contexts


def fmt_ms(cell):
    if cell is None:
        return "-"
    ms, entry = cell
    if ms is None:
        return "error: " + entry.get("error_message", "?").replace("|", "/")
    return f"{ms:.4f}" if ms < 1 else f"{ms:.3f}"


def ratio(ours, twin):
    if not ours or not twin or ours[0] is None or twin[0] is None or twin[0] <= 0:
        return None
    return ours[0] / twin[0]


def rate(cell):
    if not cell or cell[0] is None:
        return "-"
    e = cell[1]
    if "GFLOP/s" in e:
        return f"{e['GFLOP/s']:.0f} GFLOP/s"
    if "GB/s" in e:
        return f"{e['GB/s']:.0f} GB/s"
    return "-"


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def render(rows, contexts):
    out = []
    for path, ctx in contexts:
        out.append(
            f"Measured from `{Path(path).name}`: GPU {ctx.get('gpu', '?')}, cuDNN {ctx.get('cudnn_version', '?')}, "
            f"{ctx.get('date', '?')}, host {ctx.get('host_name', '?')}, library build {ctx.get('library_build_type', '?')}."
        )
    families = OrderedDict()
    for key, row in rows.items():
        families.setdefault(key[0], []).append((key, row))
    for family, items in families.items():
        out += ["", f"### {FAMILY_TITLES.get(family, family)}", ""]
        out.append(
            "| shape | batch | op | ours ms | ours rate | ours TF32 ms | twin | twin fp32 ms | twin TF32 ms | "
            "ours / fp32 | ours TF32 / TF32 |"
        )
        out.append("|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|")
        r32s, rtfs = [], []
        for (_, shape, batch, op), row in items:
            ours, ours_tf32 = row.get("ours"), row.get("ours_tf32")
            fp32_name = next((i for i in row if i in FP32_IMPLS), None)
            fp32 = row.get(fp32_name) if fp32_name else None
            tf32 = next((row[i] for i in row if i in TF32_IMPLS), None)
            r32, rtf = ratio(ours, fp32), ratio(ours_tf32 or ours, tf32)
            r32s.append(r32)
            rtfs.append(rtf)
            out.append(
                f"| {shape} | {batch} | {op} | {fmt_ms(ours)} | {rate(ours)} | {fmt_ms(ours_tf32)} | {fp32_name or '-'} | "
                f"{fmt_ms(fp32)} | "
                f"{fmt_ms(tf32)} | {'-' if r32 is None else f'{r32:.2f}'} | {'-' if rtf is None else f'{rtf:.2f}'} |"
            )
        g32, gtf = geomean(r32s), geomean(rtfs)
        summary = f"Geometric mean of ours / fp32 twin: {'-' if g32 is None else f'{g32:.2f}'}"
        if gtf is not None:
            summary += f"; of ours TF32 (else ours) / TF32 twin: {gtf:.2f}"
        out += ["", summary + " (below 1: ours faster)."]
    return "\n".join(out) + "\n"


def update_readme(readme, section):
    text = Path(readme).read_text()
    b, e = text.find(BEGIN), text.find(END)
    if b < 0 or e < b:
        sys.exit(f"{readme}: markers {BEGIN} ... {END} not found")
    Path(readme).write_text(text[: b + len(BEGIN)] + "\n" + section + text[e:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="+", help="Google Benchmark JSON files (--benchmark_out_format=json)")
    ap.add_argument("--readme", default=str(Path(__file__).with_name("README.md")), help="markdown file to update")
    ap.add_argument("--stdout", action="store_true", help="print the tables instead of updating the README")
    args = ap.parse_args()
    try:
        rows, contexts = load_runs(args.json)
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as err:
        sys.exit(f"to_markdown: {err}")
    section = render(rows, contexts)
    if args.stdout:
        sys.stdout.write(section)
    else:
        update_readme(args.readme, section)
        print(f"updated {args.readme}: {len(rows)} rows")


if __name__ == "__main__":
    main()
