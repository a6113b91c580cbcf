"""Summary of a benchmarks/compare.sh run: medians over rounds, ratios, targets; appends to RESULTS.md.

Input: the JSON lines both sides printed ({"case", "side", "ms", "cpu_ms", "calls", "gflops"?,
"tokens_per_s"?}), several rounds. Ratios are throughput ours / theirs = their time / our time, so
above 1 means we are faster; the bracket after a ratio is its range over the rounds (round k of our
side against round k of theirs).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

SIDES = ("ours", "pytorch-eager", "pytorch-script")

# What each case measures (shapes as in benchmarks/README.md).
WHAT = {
    "sgemm-2048": "2048² float32 matmul",
    "gpt2-spanish/train": "train step B8 T128 (fwd, CE, bwd, clip, AdamW)",
    "gpt2-spanish/forward": "forward B8 T128, no grad",
    "gpt2-spanish/generate": "greedy KV-cache decoding, per token",
    "gpt2-spanish/adamw": "AdamW step alone, 44.7M parameters",
    "tiny-gpt-d64/adamw": "AdamW step alone, d64 model (50 tensors)",
    "tiny-gpt-d64@2x32/train": "d64 train step B2 T32 (overhead-bound)",
    "tiny-gpt-d64@2x32/forward": "d64 forward B2 T32, no grad",
    "tiny-gpt-d64/train": "d64 train step B8 T64",
    "tiny-gpt-d64/forward": "d64 forward B8 T64, no grad",
    "tiny-gpt/train": "d128 train step B16 T128",
    "tiny-gpt/generate": "d128 greedy KV-cache decoding, per token",
    "linear-d512-fwd": "Linear 512→2048 fwd, x [8,128,512]",
    "mlp-d512-fwd": "GELU MLP 512→2048→512 fwd",
    "linear-d512": "Linear 512→2048 fwd+bwd",
    "mlp-d512": "GELU MLP d512 fwd+bwd",
    "attention-d512": "causal MHA d512 8 heads fwd+bwd",
    "attention-d512-gqa": "causal GQA d512 8/2 heads fwd+bwd",
    "attention-d512-window": "causal window 32, d512 fwd+bwd",
    "attention-d64": "causal MHA d64 4 heads B8 T64 fwd+bwd",
    "mlp-d64": "GELU MLP d64 B8 T64 fwd+bwd",
}


def per_token(case):
    return case.endswith("/generate")


def fmt_time(case, ms, tokens_per_s=None):
    if per_token(case) and tokens_per_s:
        return f"{1e3 / tokens_per_s:.2f} ms/tok"
    return f"{ms:.3f} ms" if ms < 100 else f"{ms:.1f} ms"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--load", nargs=2, default=["?", "?"])
    parser.add_argument("--seconds", type=int, default=0)
    parser.add_argument("--steal", default="?", help="share of CPU time stolen by the hypervisor during the run")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--output", default="benchmarks/RESULTS.md")
    args = parser.parse_args()

    rows = [json.loads(line) for line in open(args.results) if line.startswith("{")]
    series = {}
    for row in rows:
        series.setdefault((row["case"], row["side"]), []).append(row)
    cases = []
    for row in rows:
        if row["case"] not in cases:
            cases.append(row["case"])

    def median(case, side, key="ms"):
        values = [r[key] for r in series.get((case, side), []) if key in r]
        return statistics.median(values) if values else None

    def ratio(case, side):
        """Throughput ours/theirs from medians, and the range of the per-round ratios."""
        ours, theirs = series.get((case, "ours"), []), series.get((case, side), [])
        if not ours or not theirs:
            return None, None, None
        paired = [t["ms"] / o["ms"] for o, t in zip(ours, theirs)]
        return median(case, side) / median(case, "ours"), min(paired), max(paired)

    def fmt_ratio(case, side):
        r, lo, hi = ratio(case, side)
        return "–" if r is None else f"{r:.2f}× [{lo:.2f}–{hi:.2f}]"

    peak_sides = {side: median("sgemm-2048", side, "gflops") for side in ("ours", "pytorch-eager")}
    peak = max((v for v in peak_sides.values() if v), default=None)

    lines = []
    lines.append("| case | what | ours | PyTorch eager | ours/eager | TorchScript | ours/script |")
    lines.append("|---|---|---|---|---|---|---|")
    for case in cases:
        cells = [case, WHAT.get(case, "")]
        for side in SIDES:
            ms = median(case, side)
            if ms is None:
                cells.append("–")
            else:
                cell = fmt_time(case, ms, median(case, side, "tokens_per_s"))
                gflops = median(case, side, "gflops")
                if gflops:
                    cell += f" ({gflops:.0f} GFLOP/s)"
                cells.append(cell)
            if side != "ours":
                cells.append(fmt_ratio(case, side))
        lines.append("| " + " | ".join(cells) + " |")

    # Targets: (label, our figure, their figure, ratio, goal, met)
    targets = []

    def speed_target(label, case, side, goal):
        r, lo, hi = ratio(case, side)
        if r is None:
            return
        ours = median(case, "ours", "tokens_per_s")
        theirs = median(case, side, "tokens_per_s")
        unit = "tok/s"
        targets.append((label, f"{ours:,.0f} {unit}", f"{theirs:,.0f} {unit}", f"{r:.2f}× [{lo:.2f}–{hi:.2f}]",
                        f"≥ {goal}×", "yes" if r >= goal else "**no**"))

    speed_target("gpt2-spanish train step vs eager", "gpt2-spanish/train", "pytorch-eager", 1.0)
    speed_target("gpt2-spanish train step vs TorchScript", "gpt2-spanish/train", "pytorch-script", 1.0)
    speed_target("d64 model train step (B2 T32) vs eager", "tiny-gpt-d64@2x32/train", "pytorch-eager", 1.5)
    speed_target("d64 model forward (B2 T32) vs eager", "tiny-gpt-d64@2x32/forward", "pytorch-eager", 1.5)
    speed_target("KV-cache generation per token, tiny-gpt, vs eager loop", "tiny-gpt/generate", "pytorch-eager", 2.0)
    speed_target("KV-cache generation per token, gpt2-spanish, vs eager loop", "gpt2-spanish/generate", "pytorch-eager", 2.0)
    if peak:
        for case, label in (("gpt2-spanish/forward", "gpt2-spanish forward (d512)"),
                            ("mlp-d512-fwd", "MLP d512 forward"), ("linear-d512-fwd", "Linear 512→2048 forward")):
            ours, theirs = median(case, "ours", "gflops"), median(case, "pytorch-eager", "gflops")
            if ours is None:
                continue
            share = ours / peak
            targets.append((f"{label}: share of sgemm peak", f"{ours:.0f} GFLOP/s = {share:.0%}",
                            f"{theirs:.0f} GFLOP/s = {theirs / peak:.0%}" if theirs else "–",
                            f"{share:.0%} of {peak:.0f}", "≥ 70%", "yes" if share >= 0.7 else "**no**"))

    target_lines = ["| target | ours | PyTorch | ratio | goal | met |", "|---|---|---|---|---|---|"]
    target_lines += ["| " + " | ".join(t) + " |" for t in targets]

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    header = (f"## {datetime.date.today().isoformat()} · commit {commit}{' + uncommitted changes' if dirty else ''} · "
              f"{cpu}, {os.cpu_count()} cores")
    info = (f"{args.rounds} rounds, {args.threads} intra-op thread(s) on both sides, medians; load average "
            f"{args.load[0]} at the start, {args.load[1]} at the end; CPU steal during the run {args.steal}; "
            f"run took {args.seconds // 60} min {args.seconds % 60} s. "
            f"sgemm peak (2048², best of the two sides' medians): "
            + (f"{peak:.0f} GFLOP/s (ours {peak_sides['ours']:.0f}, PyTorch {peak_sides['pytorch-eager']:.0f})." if peak else "not measured."))

    text = "\n".join([header, "", info, "", "Targets:", ""] + target_lines + ["", "All cases:", ""] + lines) + "\n"
    print()
    print(text)
    if not args.no_record:
        new_file = not os.path.exists(args.output)
        with open(args.output, "a") as f:
            if new_file:
                f.write("# Benchmark results\n\nAppended by benchmarks/compare.sh; see benchmarks/README.md.\n")
            f.write("\n" + text)
        print(f"appended to {args.output}")


if __name__ == "__main__":
    sys.exit(main())
