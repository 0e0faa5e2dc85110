#!/usr/bin/env python3
"""Regenerates the seed corpus fuzz/corpus/<target>/ (run from the repository root). The .npy and
IDX seeds are not tracked: scripts/fuzz.sh makes them with --generated-only for each run.

  python3 fuzz/make_corpus.py [--program-bin PATH]... [--checkpoint-dir DIR]

Config seeds come from configs/ (a file's presets inlined as "#%preset" sections, the format
of fuzz_config.cpp); program images from real runs (`memgan run ... --out DIR` writes
DIR/program.bin: pass them with --program-bin) plus a few hand-made ones; .npy and IDX seeds
are tiny valid files made here; SoC register sequences are made here and recorded from the
WRITE32/POLL32/EXPECT32 commands of the program images; the checkpoint seed is a real
checkpoint of fuzz/checkpoint/tiny.yaml (--checkpoint-dir: the run folder of
`memgan run fuzz/checkpoint/tiny.yaml --out DIR --quiet`).
"""
import argparse
import gzip
import os
import re
import struct
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- fuzz_config -----------------------------------------------------------------------------

def strip_comments(text):
    out = []
    for line in text.splitlines():
        # Comments after values (never inside the quoted strings of the shipped configs).
        if "'" not in line and '"' not in line:
            line = re.sub(r"\s+#.*$", "", line)
        if line.strip().startswith("#") or not line.strip():
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def inline_presets(path, strip=True):
    """The config with its presets as "#%preset" sections (one level: what they preset too)."""
    text = open(path).read()
    m = re.search(r"^presets:\s*\[(.*)\]\s*$", text, re.M)
    presets = [p.strip() for p in m.group(1).split(",")] if m else []
    body = text
    if presets:
        body = text.replace(m.group(0), "presets: [" + ", ".join("p%d.yaml" % i for i in range(len(presets))) + "]")
    parts = [strip_comments(body) if strip else body]
    for p in presets:
        sub = open(os.path.join(os.path.dirname(path), p)).read()
        sub = re.sub(r"^presets:.*$", "", sub, flags=re.M)  # nested presets are not followed here
        parts.append("#%preset\n" + (strip_comments(sub) if strip else sub))
    return "".join(parts)


def config_seeds():
    cfg = os.path.join(ROOT, "configs")
    put("fuzz_config", "mvm-full.yaml", open(os.path.join(cfg, "mvm.yaml")).read())
    for name in ["default", "mvm", "isaac", "ideal", "zara-3d", "passive-0t1r", "passive-rram-mlp-gan",
                 "dcgan64-compare"]:
        put("fuzz_config", name + ".yaml", inline_presets(os.path.join(cfg, name + ".yaml")))
    put("fuzz_config", "overrides.yaml",
        "job:\n  kind: mvm\n#%set arch.tiles=2\n#%set job.tile=1\n#%set arch.adc.full_scale=auto\n"
        "#%set simulation.trace.signals='*.busy !soc.bus.*'\n#%set simulation.seed=0x10\n")
    put("fuzz_config", "cli-preset.yaml",
        "arch:\n  tiles: 2\n#%cli-preset\njob:\n  kind: train\ntrain:\n  steps: 3\n  eval_every: 1\n")
    put("fuzz_config", "nested-presets.yaml",
        "presets: [p0.yaml]\narch:\n  quantize: false\n#%preset\npresets: [p1.yaml]\ndevice:\n  levels: 8\n"
        "#%preset\narch:\n  cell_bits: 3\n")
    put("fuzz_config", "self-preset.yaml", "presets: [config.yaml]\narch:\n  tiles: 3\n")
    put("fuzz_config", "errors.yaml",
        "arch:\n  tiles: 99\n  array: 5\n  bogus: 1\n  tiles: 2\ndevice: [1, 2]\n#%set nope=1\n#%set arch\n"
        "#%set arch.clock_mhz=fast\n")
    put("fuzz_config", "train-window.yaml",
        "job:\n  kind: train\nsimulation:\n  trace:\n    start_step: 2\n    stop_step: 5\n"
        "    stop_ns: 1000\n    start_ns: 10\n#%set train.checkpoint_every=3\n#%set train.eval_every=2\n")
    put("fuzz_config", "quote-in-text.yaml", "job:\n  kind: mvm\n#%set simulation.trace.signals=\"a'b\"\n")
    put("fuzz_config", "control-chars.yaml", 'simulation:\n  trace:\n    signals: "a\\nb\\t\\x01 \\\\ \\"q\\" \'"\n')
    put("fuzz_config", "preset-cycle.yaml", "presets: [p0.yaml]\n#%preset\npresets: [config.yaml, p0.yaml]\n")
    put("fuzz_config", "strings.yaml",
        "simulation:\n  trace:\n    signals: \"soc.tile0.* !*.regs\"\nnetwork:\n  file: nets/x.yaml\n"
        "train:\n  data: /data\n#%set network.file=\"../n.yaml\"\n")


# ---- fuzz_program_image ----------------------------------------------------------------------

OPS = {"NOP": 0, "WRITE32": 1, "POLL32": 2, "EXPECT32": 3, "WAIT": 4, "LOOP": 5, "END": 0xF}


def image(cmds, version=2, crc=None):
    body = b"".join(struct.pack("<IIII", OPS[op], a, b, c) for op, a, b, c in cmds)
    c = zlib.crc32(body) & 0xFFFFFFFF if crc is None else crc
    return struct.pack("<IHHII", 0x4950474D, version, 16, len(cmds), c) + body


def program_seeds(program_bins):
    images = []
    for i, p in enumerate(program_bins):
        data = open(p, "rb").read()
        put("fuzz_program_image", "run-%d.bin" % i, data)
        images.append(data)
    hand = {
        "end.bin": image([("END", 0, 0, 0)]),
        "v1.bin": image([("WRITE32", 0x30000010, 1, 0), ("WAIT", 10, 0, 0), ("END", 0, 0, 0)], version=1),
        "loops.bin": image([("NOP", 0, 0, 0), ("WRITE32", 0x40000020, 5, 0), ("LOOP", 1, 3, 0),
                            ("POLL32", 0x40000004, 1, 0), ("LOOP", 0, 4, 0), ("EXPECT32", 0x40000004, 2, 0),
                            ("END", 0, 0, 0)]),
        "deep-loops.bin": image([("NOP", 0, 0, 0)] + [("LOOP", 0, 2, 0)] * 9 + [("END", 0, 0, 0)]),
        "crossing.bin": image([("NOP", 0, 0, 0), ("NOP", 0, 0, 0), ("LOOP", 1, 2, 0), ("LOOP", 0, 2, 0),
                               ("LOOP", 2, 2, 0), ("END", 0, 0, 0)]),
        "unmapped.bin": image([("WRITE32", 0x20000000, 0, 0), ("END", 0, 0, 0)]),
        "bad-crc.bin": image([("WAIT", 1, 0, 0), ("END", 0, 0, 0)], crc=0),
    }
    for name, data in hand.items():
        put("fuzz_program_image", name, data)
    return images


# ---- fuzz_npy --------------------------------------------------------------------------------

def npy(shape, descr="<f4", values=None, version=1, fortran=False):
    shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", shape_text)
    pre = 10 if version == 1 else 12
    total = (pre + len(header) + 1 + 63) // 64 * 64
    header = header + " " * (total - pre - len(header) - 1) + "\n"
    n = 1
    for d in shape:
        n *= d
    values = values if values is not None else [0.25 * i - 1 for i in range(n)]
    fmt = "<%d%s" % (n, "f" if descr.endswith("f4") else "d")
    length = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + struct.pack(fmt, *values)


def npy_header_only(shape_text, descr="<f4"):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    total = (10 + len(header) + 1 + 63) // 64 * 64
    header = header + " " * (total - 10 - len(header) - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()


def npy_seeds():
    put("fuzz_npy", "huge-shape.npy", npy_header_only("(2147483647, 2147483647, 2147483647)"))
    put("fuzz_npy", "zero-and-huge.npy", npy_header_only("(0, 2147483647, 2147483647, 2147483647)", "<f8"))
    put("fuzz_npy", "f4-2x3.npy", npy([2, 3]))
    put("fuzz_npy", "f4-vector.npy", npy([5]))
    put("fuzz_npy", "f4-scalar.npy", npy([]))
    put("fuzz_npy", "f4-empty.npy", npy([0, 4]))
    put("fuzz_npy", "f8-2x2x2.npy", npy([2, 2, 2], descr="<f8"))
    put("fuzz_npy", "v2-f4.npy", npy([3, 1], version=2))
    put("fuzz_npy", "fortran.npy", npy([2, 2], fortran=True))
    put("fuzz_npy", "big-endian.npy", npy([2], descr=">f4"))


# ---- fuzz_idx --------------------------------------------------------------------------------

def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def idx_input(flags, images, labels=b""):
    return bytes([flags]) + struct.pack("<H", len(images)) + images + labels


def idx_seeds():
    imgs = idx([3, 2, 2], range(12))
    labels = idx([3], [1, 2, 3])
    put("fuzz_idx", "images-only", idx_input(0, imgs))
    put("fuzz_idx", "images-labels", idx_input(1, imgs, labels))
    put("fuzz_idx", "fashion-raw", idx_input(8 | 1, imgs, labels))
    put("fuzz_idx", "fashion-gzip", idx_input(8 | 1 | 2 | 4 | 16 | 32, imgs, labels))
    put("fuzz_idx", "empty-set", idx_input(1, idx([0, 28, 28], []), idx([0], [])))
    put("fuzz_idx", "count-mismatch", idx_input(1, imgs, idx([2], [1, 2])))
    # A real gzip member as the file itself (flags clear: the reader inflates it).
    put("fuzz_idx", "gzip-member", idx_input(1, gzip.compress(imgs, mtime=0), gzip.compress(labels, mtime=0)))


# ---- fuzz_soc_registers ----------------------------------------------------------------------

ABS, DRAM, DMA, NOISE, TREG, TIN, TOUT, TW = range(8)


def op(kind, base=ABS):
    return bytes([kind | (base << 3)])


def rd(base, off, size):
    return op(0, base) + struct.pack("<IB", off, size - 1)


def wr(base, off, data):
    return op(1, base) + struct.pack("<IB", off, len(data) - 1) + bytes(data)


def w32(base, off, v):
    return op(2, base) + struct.pack("<II", off, v)


def r32(base, off):
    return op(3, base) + struct.pack("<I", off)


def dma(src, dst, length, rows, ss=0, ds=0):
    return op(4) + struct.pack("<IIIIII", src, dst, length, rows, ss, ds)


def tick(n):
    return op(5) + struct.pack("<H", n)


def soc_seeds(images):
    put("fuzz_soc_registers", "ids",
        r32(DMA, 0) + r32(NOISE, 0) + r32(TREG, 0) + r32(TREG, 0x40) + r32(TREG, 0x44) + r32(TREG, 0x48) +
        r32(TREG, 0x4C) + rd(DRAM, 0, 64) + rd(ABS, 0x20000000, 4))
    # Program 16 weights of row 0, 128 int8 inputs, one MVM vector, read the outputs.
    mvm = wr(TW, 0, [1, 255, 2, 254, 3, 253, 4, 252, 5, 251, 6, 250, 7, 249, 8, 248])
    mvm += wr(TIN, 0, [i % 7 for i in range(64)]) + wr(TIN, 64, [i % 5 for i in range(64)])
    for reg, v in [(0x10, 0), (0x14, 0), (0x18, 0), (0x1C, 1), (0x20, 128), (0x24, 16), (0x28, 0), (0x2C, 0)]:
        mvm += w32(TREG, reg, v)
    mvm += w32(TREG, 0x08, 1) + r32(TREG, 0x04) + tick(1000) + r32(TREG, 0x04) + r32(TREG, 0x0C) + rd(TOUT, 0, 64)
    put("fuzz_soc_registers", "tile-mvm", mvm)
    put("fuzz_soc_registers", "tile-errors",
        w32(TREG, 0x10, 7) + w32(TREG, 0x08, 1) + r32(TREG, 0x0C) + w32(TREG, 0x10, 0) + w32(TREG, 0x20, 200) +
        w32(TREG, 0x24, 1) + w32(TREG, 0x08, 1) + w32(TREG, 0x20, 1) + w32(TREG, 0x1C, 0xFFFFFFFF) +
        w32(TREG, 0x08, 1) + w32(TREG, 0x00, 5) + rd(TREG, 0x02, 2) + r32(TREG, 0x08) + wr(TW, 0x7FF, [1, 2]))
    put("fuzz_soc_registers", "dma-dram-to-tile",
        wr(DRAM, 0x100, list(range(64))) + dma(0x100, 0x40100000, 64, 2, 0, 64) + r32(DMA, 0x04) +
        r32(DMA, 0x0C) + r32(DMA, 0x28) + tick(100) + r32(DMA, 0x04) + rd(TIN, 0, 64))
    put("fuzz_soc_registers", "dma-errors",
        dma(0, 0x20000000, 16, 1) + r32(DMA, 0x0C) + dma(0, 0, 0, 1) + dma(0xFFFFFFF0, 0, 64, 1) +
        dma(0x40200000, 0x31001000, 8, 1) + dma(0, 0x40000008, 4, 1) + w32(DMA, 0x08, 1) + w32(DMA, 0x08, 1))
    put("fuzz_soc_registers", "noise",
        w32(NOISE, 0x14, 16) + w32(NOISE, 0x10, 0) + w32(NOISE, 0x08, 1) + r32(NOISE, 0x04) + tick(50) +
        rd(NOISE, 0x1000, 64) + w32(NOISE, 0x10, 2) + w32(NOISE, 0x14, 0) + w32(NOISE, 0x08, 1) +
        wr(NOISE, 0x1000, [0] * 4) + r32(NOISE, 0x18))
    put("fuzz_soc_registers", "odd-accesses",
        op(6, TREG) + struct.pack("<IB", 0, 3) + op(7, DRAM) + struct.pack("<IBBB", 0, 7, 1, 0x55) +
        op(7, TREG) + struct.pack("<IBBB", 4, 3, 0, 0xFF) + rd(DRAM, 0xFFFFC, 8) + rd(TIN, 0xFFFF, 2))
    # The WRITE32 / POLL32 / EXPECT32 commands of real firmware, replayed as register accesses.
    for i, data in enumerate(images):
        n = struct.unpack_from("<I", data, 8)[0]
        seq = b""
        for k in range(n):
            code, a, b, c = struct.unpack_from("<IIII", data, 16 + 16 * k)
            if code == 1:
                seq += w32(ABS, a, b)
            elif code in (2, 3):
                seq += r32(ABS, a) + (tick(100) if code == 2 else b"")
        if seq:
            put("fuzz_soc_registers", "firmware-%d" % i, seq[:4096])


# ---- fuzz_checkpoint -------------------------------------------------------------------------

def checkpoint_seeds(run_dir):
    if not run_dir:
        return
    binary = open(os.path.join(run_dir, "checkpoint.bin"), "rb").read()
    meta = open(os.path.join(run_dir, "checkpoint.json"), "rb").read()
    put("fuzz_checkpoint", "real.bin", binary)
    put("fuzz_checkpoint", "real-with-json.bin", b"JSON" + meta + b"\0" + binary)


# Seeds made from this file alone: not tracked, scripts/fuzz.sh generates them for each run.
GENERATED = {"fuzz_npy": npy_seeds, "fuzz_idx": idx_seeds}


def main():
    global OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("--program-bin", action="append", default=[])
    ap.add_argument("--checkpoint-dir")
    ap.add_argument("--generated-only", metavar="DIR",
                    help="write only the seeds made from this file (%s) into DIR/<target>/" % ", ".join(GENERATED))
    args = ap.parse_args()
    if args.generated_only:
        OUT = args.generated_only
        for make in GENERATED.values():
            make()
        return
    config_seeds()
    images = program_seeds(args.program_bin)
    npy_seeds()
    idx_seeds()
    soc_seeds(images)
    checkpoint_seeds(args.checkpoint_dir)


if __name__ == "__main__":
    main()
