"""Per-epoch wall time of the seed MNIST example (examples/mnist_torch.py): real torch vs torchlike.

The script runs unmodified, in fresh subprocesses (``python -u``), once per contender:

- ``torch``: real torch 2.13 at its default intra-op threads, with
  ``benchmarks/torchvision_shim`` on PYTHONPATH as ``torchvision`` (torchvision cannot be installed
  beside this CPU torch; the shim reads the same raw files and does torchvision's tensor
  arithmetic, but hands ``ToTensor`` a numpy array instead of a PIL image: see its docstring);
- ``torch-1t``: the same with OMP_NUM_THREADS=MKL_NUM_THREADS=1;
- ``torchlike``: ``python -m torchlike examples/mnist_torch.py`` (``torchvision`` is
  ``torchlike.vision``; XLA at its default threads).

Each run gets a temporary cwd whose ``data/MNIST/raw`` links to the MNIST raw files, and
MNIST_EPOCHS=--epochs. The parent timestamps the child's stdout lines as they arrive: a one-line
hook (run before the script) prints a marker when the first DataLoader is first iterated, i.e.
when epoch 1's training starts, and the script prints ``Epoch N, Loss: ...`` after each epoch and
``Test Accuracy: ...`` after evaluation. Reported per contender (median over --repeats; repeats
rotate the contenders' order so machine noise hits them alike):

- startup: process start → training starts (interpreter, imports, reading MNIST, model set-up);
- epoch 1: includes torchlike's tracing/compilation of every op shape it meets first;
- epochs 2+: median time of the later epochs (steady state);
- eval: last epoch line → test accuracy line (10 000 test images, no_grad);
- total: process start → exit (includes ``torch.save`` of the state dict).

    python benchmarks/bench_mnist_epoch.py [--epochs 2] [--repeats 1]
        [--contenders torch,torch-1t,torchlike] [--mnist-raw DIR] [--json]

MNIST is read from --mnist-raw, else $MNIST_RAW, else ../shared/data/mnist/MNIST/raw next to the
repository (torchvision's raw files, gzipped or not).
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import environment, format_environment, save_json, table

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "examples" / "mnist_torch.py"
SHIM = Path(__file__).resolve().parent / "torchvision_shim"
RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CONTENDERS = ("torch", "torch-1t", "torchlike")
MARK = "@@bench-mnist-epoch"
EPOCH_RE = re.compile(r"^Epoch (\d+), Loss: ([0-9.naif+-]+)$")
ACC_RE = re.compile(r"^Test Accuracy: ([0-9.]+)%$")

# Run in the child before the script: mark the first iteration of any DataLoader (epoch 1's
# training loop), report torch's thread count, then run the script as its command line would.
CHILD = f"""
import os, runpy, sys
kind, script = sys.argv[1], sys.argv[2]
if kind == "torchlike":
    from torchlike.__main__ import main
    from torchlike.utils.data import DataLoader
else:
    import torch
    from torch.utils.data import DataLoader
    print("{MARK} threads", torch.get_num_threads(), flush=True)
_iter = DataLoader.__iter__
def _first_iter(self):
    DataLoader.__iter__ = _iter
    print("{MARK} train-start", flush=True)
    return _iter(self)
DataLoader.__iter__ = _first_iter
if kind == "torchlike":
    main([script])
else:
    sys.argv = [script]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
"""


def find_raw(arg: str | None) -> Path:
    raw = Path(arg or os.environ.get("MNIST_RAW") or REPO.parent / "shared/data/mnist/MNIST/raw")
    missing = [f for f in RAW_FILES if not (raw / f).is_file() and not (raw / f"{f}.gz").is_file()]
    if missing:
        sys.exit(f"bench_mnist_epoch: MNIST raw files not found in {raw} (missing "
                 f"{', '.join(missing)}, gzipped or not): pass --mnist-raw DIR or set MNIST_RAW")
    return raw.resolve()


def child_env(kind: str) -> dict:
    env = dict(os.environ)
    extra = [str(REPO)] if kind == "torchlike" else [str(SHIM)]
    env["PYTHONPATH"] = os.pathsep.join(extra + [p for p in [env.get("PYTHONPATH")] if p])
    if kind == "torch-1t":
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = "1"
    return env


def run_once(kind: str, python: str, raw: Path, epochs: int, timeout: float) -> dict:
    """One run of the script; the timestamps of its progress lines, seconds from process start."""
    with tempfile.TemporaryDirectory(prefix="bench_mnist_") as cwd:
        (Path(cwd) / "data" / "MNIST").mkdir(parents=True)
        (Path(cwd) / "data" / "MNIST" / "raw").symlink_to(raw)
        env = child_env(kind)
        env["MNIST_EPOCHS"] = str(epochs)
        tail: collections.deque = collections.deque(maxlen=40)
        out: dict = {"contender": kind, "epoch_end": [], "losses": [], "train_start": None,
                     "test_end": None, "accuracy": None, "torch_threads": None}
        t0 = time.perf_counter()
        proc = subprocess.Popen([python, "-u", "-c", CHILD, kind, str(SCRIPT)], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            proc.kill()

        watchdog = threading.Timer(timeout, kill)
        watchdog.start()
        try:
            for line in proc.stdout:
                t = time.perf_counter() - t0
                line = line.rstrip("\n")
                tail.append(line)
                if line.startswith(MARK):
                    what = line.split()[1:]
                    if what[0] == "threads":
                        out["torch_threads"] = int(what[1])
                    elif out["train_start"] is None:
                        out["train_start"] = t
                elif m := EPOCH_RE.match(line):
                    out["epoch_end"].append(t)
                    out["losses"].append(float(m.group(2)))
                elif m := ACC_RE.match(line):
                    out["test_end"], out["accuracy"] = t, float(m.group(1))
            rc = proc.wait()
        finally:
            watchdog.cancel()
        if timed_out.is_set():
            rc = f"killed after --timeout {timeout:g} s"
        out["total"] = time.perf_counter() - t0
    out["returncode"] = rc
    if rc != 0 or len(out["epoch_end"]) != epochs or out["accuracy"] is None:
        out["error"] = "\n".join(tail)
    return out


def epoch_times(run: dict) -> list:
    """Seconds per epoch (epoch 1 from the start of training); [] without the start marker."""
    if run["train_start"] is None:
        return []
    ends = [run["train_start"], *run["epoch_end"]]
    return [b - a for a, b in itertools.pairwise(ends)]


def metrics(run: dict) -> dict:
    """Phase durations (seconds) of one run; None where the run did not get there."""
    ends, times = run["epoch_end"], epoch_times(run)
    return {
        "startup": run["train_start"],
        "epoch 1": times[0] if times else None,
        "epochs 2+": statistics.median(times[1:]) if times[1:] else None,
        "eval": run["test_end"] - ends[-1] if ends and run["test_end"] is not None else None,
        "total": run["total"] if "error" not in run else None,
        "last loss": run["losses"][-1] if run["losses"] else None,
        "accuracy": run["accuracy"],
    }


def median_or_none(values: list):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, spec: str) -> str:
    return "—" if v is None else format(v, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--contenders", default=",".join(CONTENDERS),
                    help=f"comma-separated, from {', '.join(CONTENDERS)}")
    ap.add_argument("--mnist-raw", help="directory with the MNIST raw IDX files")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the runs")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    ap.add_argument("--json", action="store_true", help="write results/bench_mnist_epoch.json")
    args = ap.parse_args()
    names = [c.strip() for c in args.contenders.split(",") if c.strip()]
    unknown = sorted(set(names) - set(CONTENDERS))
    if unknown or not names:
        ap.error(f"--contenders: unknown {', '.join(unknown) or '(none given)'}; "
                 f"choose from {', '.join(CONTENDERS)}")
    if args.epochs < 1 or args.repeats < 1:
        ap.error("--epochs and --repeats must be at least 1")
    raw = find_raw(args.mnist_raw)

    env = environment()
    print(format_environment(env))
    print(f"- MNIST raw: {raw}\n- script: {SCRIPT.relative_to(REPO)}, epochs={args.epochs}, "
          f"repeats={args.repeats}\n")
    runs: list = []
    for r in range(args.repeats):
        k = r % len(names)
        for kind in names[k:] + names[:k]:
            run = run_once(kind, args.python, raw, args.epochs, args.timeout)
            run["repeat"] = r
            runs.append(run)
            status = "FAILED" if "error" in run else "ok"
            threads = f" (torch threads: {run['torch_threads']})" if run["torch_threads"] else ""
            print(f"[repeat {r + 1}/{args.repeats}] {kind}{threads}: {status}, startup "
                  f"{fmt(run['train_start'], '.2f')} s, epochs "
                  f"{', '.join(f'{t:.2f}' for t in epoch_times(run)) or '—'} s, accuracy "
                  f"{fmt(run['accuracy'], '.2f')}%", flush=True)
            if "error" in run:
                print(f"  exit status {run['returncode']}; output tail:\n{run['error']}",
                      file=sys.stderr)

    summary = {kind: {key: median_or_none([metrics(run)[key] for run in runs
                                            if run["contender"] == kind])
                      for key in metrics(runs[0])} for kind in names}
    headers = ["contender", "startup s", "epoch 1 s", "epochs 2+ s (median)", "eval s", "total s",
               "last loss", "test acc %"]
    rows = [[kind, fmt(s["startup"], ".2f"), fmt(s["epoch 1"], ".2f"), fmt(s["epochs 2+"], ".2f"),
             fmt(s["eval"], ".2f"), fmt(s["total"], ".1f"), fmt(s["last loss"], ".4f"),
             fmt(s["accuracy"], ".2f")] for kind, s in summary.items()]
    print()
    print(table(headers, rows))
    if "torchlike" in summary:
        for ref in ("torch", "torch-1t"):
            a, b = summary["torchlike"], summary.get(ref)
            if b is None:
                continue
            ratios = [f"{key} {a[key] / b[key]:.2f}x" for key in ("epoch 1", "epochs 2+", "total")
                      if a[key] is not None and b[key]]
            print(f"torchlike / {ref}: {', '.join(ratios) or '—'}")
    if args.json:
        path = save_json("bench_mnist_epoch", {
            "script": str(SCRIPT.relative_to(REPO)), "epochs": args.epochs,
            "repeats": args.repeats, "mnist_raw": str(raw), "summary": summary,
            "runs": runs})
        print(f"\nwrote {path}")
    if any("error" in run for run in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
