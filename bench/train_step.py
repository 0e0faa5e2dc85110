#!/usr/bin/env python3
"""Simulator speed (issue: a training step within 1.5x of PyTorch digital, 3x analog; timing mode
>= 100 steps/s for the default network, >= 20 for the 64x64 DCGAN).

Times one training step of the default network (configs/default.yaml, dcgan28-small) in each
train.mode -- digital (exact float reference), analog (every default non-ideality), timing (no
numerics) -- as the wall-time difference of a long and a short run of the same config, so start-up
(data set, score space, programming the arrays) cancels; repeats each and takes the median. In the
same run it times the same network in PyTorch (bench/train_step_torch.py, when `import torch`
works: Debian python3-torch) and prints the ratios against the targets. Also: the batch table
(16, 64, 256), the 64x64 DCGAN in timing mode, and each run's peak resident memory.

    bench/train_step.py [--memgan build/release/memgan] [--repeats 3] [--steps 10] [--quick]

Nothing here asserts: the targets are printed as met or missed (speed targets live in
benchmarks, never in tests).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUIET = ["simulation.trace.enabled=false", "simulation.timeline.enabled=false", "train.checkpoint_every=0",
         "train.eval_every=100000"]


def memgan_wall(memgan, config, steps, sets, out):
    """Wall seconds the run reports for itself, and its report.json."""
    args = [memgan, "run", config, "--out", out, "--quiet"]
    for s in QUIET + ["train.steps=%d" % steps] + sets:
        args += ["--set", s]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    return report["training"]["wall_s"], report


def memgan_step_ms(memgan, config, sets, steps, repeats, scratch):
    """Median ms per step over `repeats` pairs of runs (2 steps, 2 + steps steps); peak RSS."""
    per_step, rss = [], 0
    for r in range(repeats):
        short, _ = memgan_wall(memgan, config, 2, sets, os.path.join(scratch, "short"))
        long_, report = memgan_wall(memgan, config, 2 + steps, sets, os.path.join(scratch, "long"))
        per_step.append(1e3 * (long_ - short) / steps)
        rss = max(rss, report["training"].get("peak_rss_bytes", 0))
    return statistics.median(per_step), per_step, rss


def torch_step_ms(net, batch, steps):
    script = os.path.join(ROOT, "bench", "train_step_torch.py")
    # Debian's python3-torch is for /usr/bin/python3, which another python3 on PATH may hide.
    python = next((p for p in (sys.executable, "/usr/bin/python3")
                   if subprocess.run([p, "-c", "import torch"], capture_output=True).returncode == 0), None)
    if python is None:
        return None
    out = subprocess.run([python, script, "--net", net, "--batch", str(batch), "--steps", str(steps),
                          "--threads", "2", "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["median_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--memgan", default=os.path.join(ROOT, "build", "release", "memgan"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10, help="steps of the long run beyond the short one's 2")
    ap.add_argument("--quick", action="store_true", help="batch 64 only, one repeat")
    a = ap.parse_args()
    if a.quick:
        a.repeats = 1
    config = os.path.join(ROOT, "configs", "default.yaml")
    net = os.path.join(ROOT, "configs", "nets", "dcgan28-small.yaml")
    batches = [64] if a.quick else [16, 64, 256]
    with tempfile.TemporaryDirectory() as scratch:
        rows = []
        for batch in batches:
            torch_ms = torch_step_ms(net, batch, 20)
            for mode in ("digital", "analog", "timing"):
                steps = a.steps * (10 if mode == "timing" else 1)
                ms, all_ms, rss = memgan_step_ms(a.memgan, config, ["train.mode=" + mode, "network.batch=%d" % batch,
                                                                    "train.images=%d" % max(batch, 1024),
                                                                    "train.score_reference=1024"],
                                                 steps, a.repeats, scratch)
                rows.append((batch, mode, ms, all_ms, rss, torch_ms))
        d64_ms, _, d64_rss = memgan_step_ms(a.memgan, os.path.join(ROOT, "configs", "dcgan64-train.yaml"),
                                            ["train.mode=timing"], a.steps * 5, a.repeats, scratch)
        # Layer count: the platform's cost per training operation across networks of 5 to 24
        # layers (timing mode, batch 16, arrays time-multiplexed where a network does not fit).
        depth = []
        for name in ("mlp_gan", "dcgan28-small", "dcgan28", "dcgan64-gray"):
            sets = ["train.mode=timing", "network.batch=16", "arch.mapping.overflow=reprogram",
                    "network.file=" + os.path.join(ROOT, "configs", "nets", name + ".yaml")]
            if name == "dcgan64-gray":
                sets += ["arch.array.rows=256", "arch.array.cols=256", "arch.dram.size_mib=256"]  # its data set
            ms, _, _ = memgan_step_ms(a.memgan, config, sets, a.steps * 5, a.repeats, scratch)
            _, report = memgan_wall(a.memgan, config, 1, sets, os.path.join(scratch, "ops"))
            ops = sum(p["ops"] for p in report["training"]["phases"].values())
            with open(os.path.join(ROOT, "configs", "nets", name + ".yaml")) as f:
                layers = sum(1 for line in f if "type:" in line)
            depth.append((name, layers, ops, ms))

    print("memgan training step, default network (dcgan28-small), median of %d (ms per step from a %d-step "
          "difference)" % (a.repeats, a.steps))
    print("%6s %8s %10s %10s %8s %10s  %s" % ("batch", "mode", "ms/step", "PyTorch", "ratio", "peak MiB", "runs"))
    targets = {"digital": 1.5, "analog": 3.0}
    verdicts = []
    for batch, mode, ms, all_ms, rss, torch_ms in rows:
        ratio = ms / torch_ms if torch_ms else None
        print("%6d %8s %10.2f %10s %8s %10.0f  %s" % (batch, mode, ms, "%.2f" % torch_ms if torch_ms else "-",
                                                      "%.2fx" % ratio if ratio else "-", rss / 2**20,
                                                      " ".join("%.1f" % v for v in all_ms)))
        if batch == 64 and mode in targets and ratio:
            verdicts.append("%s <= %.1fx PyTorch: %.2fx %s" % (mode, targets[mode], ratio,
                                                              "met" if ratio <= targets[mode] else "MISSED"))
        if batch == 64 and mode == "timing":
            verdicts.append("timing >= 100 steps/s (default): %.0f %s" % (1e3 / ms, "met" if 1e3 / ms >= 100 else "MISSED"))
    verdicts.append("timing >= 20 steps/s (64x64 DCGAN, 16x16 chip): %.1f %s (peak %.0f MiB)" %
                    (1e3 / d64_ms, "met" if 1e3 / d64_ms >= 20 else "MISSED", d64_rss / 2**20))
    if not any(r[5] for r in rows):
        verdicts.append("PyTorch: not installed (apt-get install python3-torch), no ratios")
    print("\nlayer count (timing mode, batch 16): wall per training operation")
    print("%14s %7s %12s %10s %12s" % ("network", "layers", "ops/step", "ms/step", "us/op"))
    for name, layers, ops, ms in depth:
        print("%14s %7d %12d %10.2f %12.1f" % (name, layers, ops, ms, 1e3 * ms / ops if ops else 0))
    print("\n".join(["", "targets:"] + ["  " + v for v in verdicts]))


if __name__ == "__main__":
    main()
