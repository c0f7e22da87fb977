"""examples/seed_snippets.py prints the same with torchlike as with real torch."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "examples", "seed_snippets.py")


def _run(source: str) -> str:
    env = dict(os.environ, PYTHONPATH=os.path.join(HERE, ".."))
    out = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, env=env,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_seed_snippets_print_what_torch_prints():
    with open(SCRIPT) as f:
        src = f.read()
    as_torch = src.replace("import torchlike as torch", "import torch").replace(
        "import torchlike.", "import torch.").replace("from torchlike.", "from torch.")
    got, want = _run(src), _run(as_torch)
    assert got.splitlines() == want.splitlines()
