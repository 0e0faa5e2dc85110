#!/usr/bin/python3
"""Roofline baseline of a named device for one memgan training step (docs/reproduction.md).

A closed form, not a simulation: every operation of the step as memgan's program issues it
(firmware/train_program.h: G forward once, D forward on real and fake then fake again, D backward
twice in the D step and its data gradient once more in the G step, G backward once, Adam on every
parameter) costs max(FLOPs / peak FLOP/s, bytes / memory bandwidth) on the device, each
operation on its own (no overlap between them, no kernel-launch or framework overhead, FP32
data read and written once per operation: an optimistic bound on the device's speed). Energy is
board power x that time (the device at its rated power while it works).

    scripts/roofline.py configs/nets/dcgan28-small.yaml --batch 64 [--device gtx1080ti] [--json]

Devices (figures from the vendors' published specifications):
    gtx1080ti   NVIDIA GeForce GTX 1080 Ti (Pascal, 2017): 11.34 TFLOP/s FP32 at boost clock,
                484 GB/s GDDR5X, 250 W board power -- the GPU class the seed papers (2018-2020)
                compared against
    v100        NVIDIA Tesla V100 SXM2 (Volta, 2017): 15.7 TFLOP/s FP32, 900 GB/s HBM2, 300 W
"""
import argparse
import json
import sys

import yaml

DEVICES = {
    "gtx1080ti": {"name": "NVIDIA GeForce GTX 1080 Ti", "flops": 11.34e12, "bandwidth": 484e9, "power_w": 250.0},
    "v100": {"name": "NVIDIA Tesla V100 SXM2", "flops": 15.7e12, "bandwidth": 900e9, "power_w": 300.0},
}
# FP32 operations per element of the element-wise layers, as memgan's digital unit counts them
# (core/mapping/network.cpp, elementwise_ops_per_element): forward, backward.
ELEMENTWISE = {"batchnorm": (8, 12), "relu": (1, 1), "leaky_relu": (2, 2), "tanh": (4, 2), "sigmoid": (4, 2),
               "reshape": (0, 0)}
# Times each layer's operation runs per step: (forward, backward-data, backward-weight).
RUNS = {"generator": (1, 1, 1), "discriminator": (3, 3, 2)}


def size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def layer_costs(layer, batch, in_shape):
    """(macs, weights, in elements, out elements) of one layer for the batch."""
    t = layer["type"]
    out_shape = layer["output"]
    inp, out = size(in_shape) * batch, size(out_shape) * batch
    if t == "linear":
        w = layer["in_features"] * layer["out_features"]
        return batch * w, w, inp, out
    if t in ("conv2d", "conv_transpose2d"):
        k = layer["kernel"]
        w = layer["in_channels"] * layer["out_channels"] * k * k
        # conv2d: every output pixel takes Cin K^2 products; transposed: every input pixel
        # scatters into Cout K^2 outputs (no inserted zeros on a GPU's implicit GEMM).
        pixels = size(out_shape[1:]) if t == "conv2d" else size(in_shape[1:])
        return batch * pixels * w, w, inp, out
    return 0, 0, inp, out


def roofline(net_path, batch, device):
    with open(net_path) as f:
        net = yaml.safe_load(f)
    d = DEVICES[device]
    total = {"flops": 0.0, "bytes": 0.0, "time_s": 0.0, "params": 0}
    for model, spec in net["models"].items():
        runs = RUNS[model]
        shape = spec["input"]
        for layer in spec["layers"]:
            in_shape = layer.get("input", shape)
            macs, w, inp, out = layer_costs(layer, batch, in_shape)
            shape = layer["output"]
            ops = []
            if macs:
                bias = (layer["out_features"] if layer["type"] == "linear" else layer["out_channels"]) \
                    if layer.get("bias", True) else 0
                total["params"] += w + bias
                ops += [(runs[0], 2 * macs, 4 * (inp + out + w))]   # forward
                ops += [(runs[1], 2 * macs, 4 * (inp + out + w))]   # input gradient
                ops += [(runs[2], 2 * macs, 4 * (inp + out + w))]   # weight gradient
                ops += [(1, 10 * (w + bias), 4 * 4 * (w + bias))]   # Adam: w, grad, m, v
            else:
                f, b = ELEMENTWISE.get(layer["type"], (1, 1))
                if layer["type"] == "reshape":
                    continue
                ops += [(runs[0], f * inp, 4 * (inp + out))]
                ops += [(runs[1], b * out, 4 * (2 * out + inp))]
                if layer["type"] == "batchnorm":
                    total["params"] += 2 * in_shape[0]
            for times, flops, nbytes in ops:
                total["flops"] += times * flops
                total["bytes"] += times * nbytes
                total["time_s"] += times * max(flops / d["flops"], nbytes / d["bandwidth"])
    total["energy_j"] = total["time_s"] * d["power_w"]
    return {"device": d["name"], "device_key": device, "network": net.get("name", net_path), "batch": batch,
            "peak_flops": d["flops"], "bandwidth_Bps": d["bandwidth"], "power_w": d["power_w"],
            "flops_per_step": total["flops"], "bytes_per_step": total["bytes"], "params": total["params"],
            "time_per_step_s": total["time_s"], "energy_per_step_j": total["energy_j"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("net")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--device", default="gtx1080ti", choices=sorted(DEVICES))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    try:
        r = roofline(a.net, a.batch, a.device)
    except (OSError, KeyError, yaml.YAMLError) as e:
        sys.exit("error: %s: %s" % (a.net, e))
    if a.json:
        print(json.dumps(r))
    else:
        print("%s, %s at batch %d: %.3g GFLOP and %.3g MB per step -> %.3f ms, %.3f mJ (roofline at %.4g TFLOP/s, "
              "%.0f GB/s, %.0f W)" % (r["device"], r["network"], r["batch"], r["flops_per_step"] / 1e9,
                                      r["bytes_per_step"] / 1e6, r["time_per_step_s"] * 1e3,
                                      r["energy_per_step_j"] * 1e3, r["peak_flops"] / 1e12, r["bandwidth_Bps"] / 1e9,
                                      r["power_w"]))


if __name__ == "__main__":
    main()
