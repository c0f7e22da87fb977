"""``python -m torchlike SCRIPT.py`` runs unmodified PyTorch scripts (torch/torchvision aliased)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import sys
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
    import torchvision.transforms as T
    import torch.backends.cudnn as cudnn

    import helper_next_to_script  # the script's directory is on sys.path, as with `python x.py`
    import torchlike

    print("argv", sys.argv[1:], "main", __name__, "script", sys.argv[0].endswith("train.py"))
    print("same", torch is torchlike, nn is torchlike.nn, F is torchlike.nn.functional,
          T is torchlike.vision.transforms, DataLoader is torchlike.utils.data.DataLoader,
          cudnn is torchlike.backends.cudnn)
    print("spec", torch.__spec__.name, nn.__spec__.name)
    cudnn.benchmark = True
    torch.manual_seed(0)
    x = torch.arange(8, dtype=torch.float32).reshape(4, 2)
    y = torch.tensor([0, 1, 0, 1])
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=2):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    print("trained", type(loss).__name__, loss.dtype, helper_next_to_script.VALUE)
    with torch.autocast("cpu"):
        print("autocast", model(x).dtype)
    try:
        import torch.distributed.xyz
    except ModuleNotFoundError as e:
        print("missing", e.name, "|", e)
    sys.exit(int(sys.argv[-1]))
""")


def _run(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=240, check=False)


@pytest.fixture(scope="module")
def script_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("script")
    (d / "train.py").write_text(SCRIPT)
    (d / "helper_next_to_script.py").write_text("VALUE = 42\n")
    return d


def test_runs_unmodified_script(script_dir, tmp_path):
    r = _run(["-m", "torchlike", str(script_dir / "train.py"), "--epochs", "2", "3"], tmp_path)
    assert r.returncode == 3, r.stderr  # the script's sys.exit code comes through
    lines = r.stdout.splitlines()
    assert lines[0] == "argv ['--epochs', '2', '3'] main __main__ script True"
    assert lines[1] == "same True True True True True True"
    assert lines[2] == "spec torchlike torchlike.nn"  # torchlike's modules keep their own specs
    assert lines[3] == "trained Tensor torch.float32 42"
    assert lines[4] == "autocast torch.bfloat16"
    assert lines[5] == ("missing torch.distributed | torchlike has no module torch.distributed "
                        "(aliasing torch → torchlike)")


def test_missing_module_fails_clearly_and_usage(tmp_path):
    (tmp_path / "bad.py").write_text("import torchvision.models\n")
    r = _run(["-m", "torchlike", "bad.py"], tmp_path)
    assert r.returncode == 1
    assert ("ModuleNotFoundError: torchlike has no module torchvision.models (aliasing "
            "torchvision → torchlike)") in r.stderr
    r = _run(["-m", "torchlike"], tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("usage: python -m torchlike SCRIPT.py")


def test_install_torch_alias_and_module_mode(tmp_path):
    (tmp_path / "mod_main.py").write_text(
        "import sys, torch, torchvision\n"
        "print(torch.__name__, torchvision.__name__, sys.argv[1:])\n")
    r = _run(["-m", "torchlike", "-m", "mod_main", "a"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "torchlike torchlike.vision ['a']"
    code = ("import torchlike; torchlike.install_torch_alias(); torchlike.install_torch_alias()\n"
            "import torch.nn, torch.optim\n"
            "print(torch.nn is torchlike.nn, torch.optim.Adam is torchlike.optim.Adam)\n")
    r = _run(["-c", code], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True True"
