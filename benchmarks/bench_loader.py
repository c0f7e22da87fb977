"""MNIST training loader throughput (samples/s): torchlike's DataLoader vs torch's.

The reference pipeline: MNIST train split, ``ToTensor()`` + ``Normalize((0.1307,), (0.3081,))``,
``DataLoader(batch_size=64, shuffle=True)``, with ``num_workers`` 0 and 2. torchlike runs
``torchlike.vision.datasets.MNIST`` with ``torchlike.vision.transforms``; torchvision is not
installed, so torch runs an equivalent ``torch.utils.data.Dataset`` built here from the same raw
files (uint8 image → ``from_numpy(...).float().div(255)`` → ``sub(mean).div(std)``, what
torchvision's ToTensor and Normalize do after PIL). A measurement iterates ``--batches`` batches
of a fresh iterator (worker start-up included, as a training epoch sees it) and blocks on the
last torchlike batch; contenders run interleaved (rep 1: A B C D, rep 2: B C D A, ...) and the
median over ``--reps`` repetitions is reported.

    python benchmarks/bench_loader.py [--batches 200] [--reps 5] [--json]

MNIST is read from $MNIST_RAW, else ../shared/data/mnist/MNIST/raw (torchvision's raw files,
gzipped or not).
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.utils.data as tud
from _common import block, environment, format_environment, save_json, table

import torchlike.vision as tv
from torchlike.utils.data import DataLoader

MEAN, STD = 0.1307, 0.3081
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")


def find_raw() -> Path | None:
    here = Path(__file__).resolve().parent
    raw = Path(os.environ.get("MNIST_RAW") or here.parents[1] / "shared/data/mnist/MNIST/raw")
    ok = all((raw / f).is_file() or (raw / f"{f}.gz").is_file() for f in FILES)
    return raw if ok else None


def read_idx(path: Path) -> np.ndarray:
    if not path.is_file():
        path = path.with_name(path.name + ".gz")
    data = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    nd = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * nd).reshape(shape)


class TorchMNIST(tud.Dataset):
    """What torchvision's MNIST + ToTensor + Normalize compute, from the same raw files."""

    def __init__(self, raw: Path) -> None:
        self.data = torch.from_numpy(read_idx(raw / FILES[0]).copy())
        self.targets = torch.from_numpy(read_idx(raw / FILES[1]).astype(np.int64))

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i):
        x = self.data[i].float().div(255).unsqueeze(0)
        return x.sub(MEAN).div(STD), int(self.targets[i])


def torchlike_dataset(raw: Path, tmp: str):
    root = Path(tmp)
    (root / "MNIST").mkdir()
    (root / "MNIST" / "raw").symlink_to(raw.resolve())
    tf = tv.transforms.Compose([tv.transforms.ToTensor(), tv.transforms.Normalize((MEAN,), (STD,))])
    return tv.datasets.MNIST(str(root), train=True, transform=tf)


def run(make_loader, batches: int) -> float:
    """Samples per second over the first ``batches`` batches of a fresh iterator."""
    t0 = time.perf_counter()
    n, last = 0, None
    for k, (x, _) in enumerate(make_loader()):
        n += x.shape[0]
        last = x
        if k + 1 == batches:
            break
    block(last)
    return n / (time.perf_counter() - t0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batches", type=int, default=200, help="batches per measurement")
    p.add_argument("--reps", type=int, default=5, help="interleaved repetitions (median)")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    p.add_argument("--json", action="store_true", help="write benchmarks/results/bench_loader.json")
    a = p.parse_args(argv)
    raw = find_raw()
    if raw is None:
        print("bench_loader: MNIST not found: set MNIST_RAW=/path/to/MNIST/raw (torchvision's raw "
              "files: train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]) or put them in "
              "../shared/data/mnist/MNIST/raw", file=sys.stderr)
        return 1
    warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called")  # torch's workers
    env = environment()
    print(format_environment(env))
    print(f"- MNIST: {raw}")
    with tempfile.TemporaryDirectory() as tmp:
        lds, tds = torchlike_dataset(raw, tmp), TorchMNIST(raw)
        contenders = {}
        for nw in a.workers:
            contenders[f"torchlike, num_workers={nw}"] = (
                lambda nw=nw: DataLoader(lds, batch_size=64, shuffle=True, num_workers=nw))
            contenders[f"torch, num_workers={nw}"] = (
                lambda nw=nw: tud.DataLoader(tds, batch_size=64, shuffle=True, num_workers=nw))
        for make in contenders.values():  # warm-up: compile, page in the data
            run(make, 5)
        names = list(contenders)
        samples: dict = {name: [] for name in names}
        for r in range(a.reps):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                samples[name].append(run(contenders[name], a.batches))
    result = {name: statistics.median(v) for name, v in samples.items()}
    rows = []
    for nw in a.workers:
        lt, tt = result[f"torchlike, num_workers={nw}"], result[f"torch, num_workers={nw}"]
        rows.append([nw, f"{lt:,.0f}", f"{tt:,.0f}", f"{lt / tt:.2f}x"])
    print(f"\n### MNIST train loader, batch 64, ToTensor+Normalize, shuffle: samples/s (median of "
          f"{a.reps}, {a.batches} batches each)\n")
    print(table(["num_workers", "torchlike", "torch", "torchlike / torch"], rows))
    if a.json:
        print(f"\nwrote {save_json('bench_loader', {'samples_per_s': result, 'batches': a.batches, 'reps': a.reps})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
