"""examples/mnist_torch.py (the seed's MNIST script with `import torch`/`import torchvision`) runs
unmodified under ``python -m torchlike`` on real MNIST and learns."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
RAW = pathlib.Path(os.environ.get("MNIST_RAW") or ROOT.parent / "shared/data/mnist/MNIST/raw")
NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]


@pytest.mark.slow
@pytest.mark.skipif(not all((RAW / n).is_file() or (RAW / f"{n}.gz").is_file() for n in NAMES),
                    reason="real MNIST absent: set MNIST_RAW=/path/to/MNIST/raw or put "
                           "torchvision's raw files in ../shared/data/mnist/MNIST/raw")
def test_mnist_torch_script_one_epoch(tmp_path):
    (tmp_path / "data" / "MNIST").mkdir(parents=True)
    (tmp_path / "data" / "MNIST" / "raw").symlink_to(RAW.resolve())
    env = {**os.environ, "MNIST_EPOCHS": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "torchlike", str(ROOT / "examples/mnist_torch.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"^Epoch 1, Loss: \d+\.\d{4}$", proc.stdout, re.MULTILINE), proc.stdout
    acc = float(re.search(r"Test Accuracy: (\d+\.\d+)%", proc.stdout).group(1))
    assert acc > 90.0, proc.stdout
    assert (tmp_path / "mnist_pytorch.pth").is_file()
