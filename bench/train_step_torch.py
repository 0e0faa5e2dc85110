#!/usr/bin/python3
# PyTorch reference for the simulator-speed benchmark: the wall time of one GAN training step
# of a memgan network (configs/nets/*.yaml) on the host CPU with torch, to set beside the time
# memgan takes to simulate the same step. bench/train_step.py runs it (with an interpreter that
# imports torch) for each net and batch it times memgan on, with --threads 2 --json, reads
# median_ms from the one JSON object on stdout and prints memgan's step time as a ratio to it.
#
# The step is the one firmware/train_program.h compiles, in its order (DCGAN, non-saturating
# loss): D step: z ~ N(0, 1); fake = G(z); D(real) with BCE-with-logits to 1, backward; D(fake
# detached) to 0, backward (gradients add up: loss = bce(real, 1) + bce(fake, 0)); Adam step of
# D. G step: D(fake) again through the updated D, BCE to 1, backward through D (input
# gradients only, as memgan's BACKWARD_DATA: D's parameters do not take gradients here) and G;
# Adam step of G. The real batch is random in [-1, 1] and made outside the timed region.
#
# Uses Debian's python3-torch (1.13) and python3-yaml: run it with /usr/bin/python3 when
# another python3 comes first on PATH. Exit 2 for a network it cannot build.
#
# Usage: bench/train_step_torch.py [--net configs/nets/dcgan28-small.yaml] [--batch 64]
#        [--steps 20] [--warmup 3] [--threads 2] [--seed 1] [--lr 1e-3] [--beta1 0.5]
#        [--beta2 0.999] [--json]
import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

try:
    import torch
    import torch.nn as nn
    import yaml
except ImportError as e:
    sys.exit(f"train_step_torch: {e} (needs python3-torch and python3-yaml; this is {sys.executable}, "
             "try /usr/bin/python3)")


class NetError(Exception):
    pass


class Reshape(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


def shape_of(value, what):
    if not isinstance(value, list) or not value or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                                                          for v in value):
        raise NetError(f"{what} must be a non-empty list of positive integers, not {value!r}")
    return list(value)


def int_key(layer, key, default=None, minimum=0):
    if key not in layer:
        if default is None:
            raise NetError(f"missing '{key}'")
        return default
    v = layer[key]
    if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
        raise NetError(f"'{key}' must be an integer >= {minimum}, not {v!r}")
    return v


def build_layer(layer, shape):
    """The torch module of one layer and its per-sample output shape."""
    kind = layer.get("type")
    if kind == "linear":
        fin, fout = int_key(layer, "in_features", minimum=1), int_key(layer, "out_features", minimum=1)
        if shape != [fin]:
            raise NetError(f"linear with in_features {fin} takes [{fin}], its input is {shape}")
        return nn.Linear(fin, fout, bias=bool(layer.get("bias", True))), [fout]
    if kind in ("conv2d", "conv_transpose2d"):
        cin, cout = int_key(layer, "in_channels", minimum=1), int_key(layer, "out_channels", minimum=1)
        k = int_key(layer, "kernel", minimum=1)
        s = int_key(layer, "stride", 1, minimum=1)
        p = int_key(layer, "padding", 0)
        bias = bool(layer.get("bias", True))
        if len(shape) != 3 or shape[0] != cin:
            raise NetError(f"{kind} with in_channels {cin} takes [{cin}, H, W], its input is {shape}")
        h, w = shape[1], shape[2]
        if kind == "conv2d":
            ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            if h + 2 * p < k or w + 2 * p < k:
                raise NetError(f"kernel {k} is larger than the padded input {shape}")
            mod = nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=bias)
        else:
            op = int_key(layer, "output_padding", 0)
            if op >= s:
                raise NetError(f"output_padding {op} must be below the stride {s}")
            ho, wo = (h - 1) * s - 2 * p + k + op, (w - 1) * s - 2 * p + k + op
            if ho < 1 or wo < 1:
                raise NetError(f"output would be {ho} x {wo}")
            mod = nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p, output_padding=op, bias=bias)
        return mod, [cout, ho, wo]
    if kind == "batchnorm":
        if len(shape) == 3:
            return nn.BatchNorm2d(shape[0]), shape
        if len(shape) == 1:
            return nn.BatchNorm1d(shape[0]), shape
        raise NetError(f"batchnorm needs a 1-D or 3-D input, not {shape}")
    if kind == "relu":
        return nn.ReLU(), shape
    if kind == "leaky_relu":
        slope = layer.get("slope", 0.2)
        if not isinstance(slope, (int, float)) or isinstance(slope, bool):
            raise NetError(f"'slope' must be a number, not {slope!r}")
        return nn.LeakyReLU(float(slope)), shape
    if kind == "tanh":
        return nn.Tanh(), shape
    if kind == "sigmoid":
        return nn.Sigmoid(), shape
    if kind == "reshape":
        out = shape_of(layer.get("output"), "'output'")
        if math.prod(out) != math.prod(shape):
            raise NetError(f"reshape of {shape} ({math.prod(shape)} values) to {out} ({math.prod(out)} values)")
        return Reshape(out), out
    raise NetError(f"unknown layer type {kind!r} (allowed: linear, conv2d, conv_transpose2d, batchnorm, relu, "
                   "leaky_relu, tanh, sigmoid, reshape)")


def build_model(path, net, name):
    models = net.get("models") if isinstance(net, dict) else None
    spec = models.get(name) if isinstance(models, dict) else None
    if not isinstance(spec, dict):
        raise NetError(f"{path}: no models.{name}")
    try:
        shape = shape_of(spec.get("input"), "'input'")
    except NetError as e:
        raise NetError(f"{path}: models.{name}: {e}") from None
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        raise NetError(f"{path}: models.{name} has no layers")
    input_shape, mods = shape, []
    for i, layer in enumerate(layers):
        label = f"{path}: models.{name}.layers[{i}]"
        if isinstance(layer, dict) and "name" in layer:
            label += f" ({layer['name']}, {layer.get('type')})"
        try:
            if not isinstance(layer, dict):
                raise NetError("a layer must be a mapping")
            if "input" in layer and shape_of(layer["input"], "'input'") != shape:
                raise NetError(f"written input {layer['input']} but the previous output is {shape}")
            mod, out = build_layer(layer, shape)
            written = shape_of(layer.get("output"), "'output'")
            if written != out:
                raise NetError(f"written output {written} but the layer gives {out}")
        except NetError as e:
            raise NetError(f"{label}: {e}") from None
        mods.append(mod)
        shape = out
    return nn.Sequential(*mods), input_shape, shape


def init_weights(model, std=0.02):
    # memgan's initialisation (train.init_std): weights ~ N(0, std), biases 0; batch norms
    # scale 1, shift 0.
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def resolve_net(arg):
    p = Path(arg)
    if p.is_absolute() or p.exists():
        return p
    return REPO / p


def main():
    ap = argparse.ArgumentParser(description="Time one GAN training step of a memgan network in PyTorch (CPU).")
    ap.add_argument("--net", default="configs/nets/dcgan28-small.yaml",
                    help="network YAML (relative paths: the current directory, else the repository root)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20, help="timed steps")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate, both models")
    ap.add_argument("--beta1", type=float, default=0.5)
    ap.add_argument("--beta2", type=float, default=0.999)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    for key, low in (("batch", 1), ("steps", 1), ("warmup", 0), ("threads", 1)):
        if getattr(args, key) < low:
            ap.error(f"--{key} must be >= {low}")

    path = resolve_net(args.net)
    try:
        with open(path, encoding="utf-8") as f:
            net = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        print(f"train_step_torch: {path}: {e}", file=sys.stderr)
        return 2
    try:
        gen, g_in, g_out = build_model(path, net, "generator")
        disc, d_in, d_out = build_model(path, net, "discriminator")
        if g_out != d_in:
            raise NetError(f"{path}: the generator's output {g_out} is not the discriminator's input {d_in}")
    except NetError as e:
        print(f"train_step_torch: cannot build the network: {e}", file=sys.stderr)
        return 2

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    init_weights(gen)
    init_weights(disc)
    gen.train()
    disc.train()
    opt_g = torch.optim.Adam(gen.parameters(), lr=args.lr, betas=(args.beta1, args.beta2), eps=1e-8)
    opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr, betas=(args.beta1, args.beta2), eps=1e-8)
    bce = nn.BCEWithLogitsLoss()
    d_params = list(disc.parameters())
    b = args.batch

    def step(real):
        # D step
        z = torch.randn(b, *g_in)
        fake = gen(z)
        opt_d.zero_grad(set_to_none=True)
        out_real = disc(real)
        bce(out_real, torch.ones_like(out_real)).backward()
        out_fake = disc(fake.detach())
        bce(out_fake, torch.zeros_like(out_fake)).backward()
        opt_d.step()
        # G step through the updated D, which only passes gradients back
        for p in d_params:
            p.requires_grad_(False)
        opt_g.zero_grad(set_to_none=True)
        out = disc(fake)
        bce(out, torch.ones_like(out)).backward()
        opt_g.step()
        for p in d_params:
            p.requires_grad_(True)

    times = []
    for i in range(args.warmup + args.steps):
        real = torch.rand(b, *d_in) * 2 - 1  # the data, not timed
        t0 = time.perf_counter()
        step(real)
        t1 = time.perf_counter()
        if i >= args.warmup:
            times.append((t1 - t0) * 1e3)

    count = lambda m: sum(p.numel() for p in m.parameters())
    result = {
        "framework": "pytorch",
        "torch_version": str(torch.__version__),
        "net": net.get("name", path.stem) if isinstance(net, dict) else path.stem,
        "batch": b,
        "threads": args.threads,
        "steps": args.steps,
        "median_ms": round(statistics.median(times), 3),
        "min_ms": round(min(times), 3),
        "max_ms": round(max(times), 3),
        "params_generator": count(gen),
        "params_discriminator": count(disc),
        "step_ms": [round(t, 3) for t in times],
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['net']} ({path}), batch {b}, {args.threads} threads, torch {result['torch_version']}")
        print(f"parameters: generator {result['params_generator']}, discriminator {result['params_discriminator']}")
        print("step ms: " + " ".join(f"{t:.2f}" for t in times))
        print(f"median {result['median_ms']:.2f} ms, min {result['min_ms']:.2f} ms, max {result['max_ms']:.2f} ms "
              f"per step ({args.steps} steps after {args.warmup} warm-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
