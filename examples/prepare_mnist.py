"""Put MNIST in torchvision's layout under ./data/MNIST/raw for examples/mnist.py.

Looks for the raw files (gzipped or not) in $MNIST_RAW, else in ../shared/data/mnist/MNIST/raw.
If neither exists, the example's download=True fetches them (needs internet); to use a local copy
pass MNIST_RAW=/path/to/MNIST/raw.
"""

import gzip
import os
import shutil
import sys

NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.environ.get("MNIST_RAW") or os.path.join(here, "..", "..", "shared", "data", "mnist",
                                                      "MNIST", "raw")
    dst = os.path.join("data", "MNIST", "raw")
    if all(os.path.isfile(os.path.join(dst, n)) for n in NAMES):
        return 0
    if not os.path.isdir(src):
        print(f"prepare_mnist: no local MNIST at {src}; examples/mnist.py will try download=True "
              f"(needs internet). To use a local copy: MNIST_RAW=/path/to/MNIST/raw make demo")
        return 0
    os.makedirs(dst, exist_ok=True)
    for n in NAMES:
        plain, gz = os.path.join(src, n), os.path.join(src, n + ".gz")
        if os.path.isfile(plain):
            shutil.copyfile(plain, os.path.join(dst, n))
        elif os.path.isfile(gz):
            with gzip.open(gz, "rb") as f, open(os.path.join(dst, n), "wb") as out:
                shutil.copyfileobj(f, out)
        else:
            print(f"prepare_mnist: {n}(.gz) missing in {src}", file=sys.stderr)
            return 1
    print(f"prepare_mnist: MNIST ready in {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
