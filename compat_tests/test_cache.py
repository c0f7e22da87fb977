"""JAX's persistent compilation cache (torchlike/_cache.py): on by default in its own directory, so
a script's second run loads its XLA programs instead of compiling them; off with
TORCHLIKE_CACHE_DIR=off; a cache configured for JAX itself is left alone. Each case runs in a
fresh process (the cache is set up at import, before anything compiles)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, sys
import jax
from jax import monitoring
counts = {"hits": 0, "requests": 0}
def listen(event, **kw):
    if event == "/jax/compilation_cache/cache_hits":
        counts["hits"] += 1
    elif event == "/jax/compilation_cache/compile_requests_use_cache":
        counts["requests"] += 1
monitoring.register_event_listener(listen)
import torchlike as torch
from torchlike import nn, optim
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
opt = optim.SGD(m.parameters(), lr=0.1)
x, y = torch.randn(4, 8), torch.tensor([0, 1, 2, 1])
losses = []
for _ in range(4):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(m(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(json.dumps({"dir": torch._cache.cache_dir(), "losses": losses, **counts}))
"""


def _run(env_extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TORCHLIKE_CACHE_DIR", "JAX_COMPILATION_CACHE_DIR")}
    env.update(env_extra, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_run_loads_the_programs(tmp_path):
    cache = tmp_path / "xla"
    first = _run({"TORCHLIKE_CACHE_DIR": str(cache)})
    entries = sorted(p.name for p in cache.glob("*-cache"))
    assert first["dir"] == str(cache) and len(entries) > 10  # fast compiles are written too
    assert first["hits"] < first["requests"] - 10
    second = _run({"TORCHLIKE_CACHE_DIR": str(cache)})
    assert second["hits"] == second["requests"] == first["requests"]  # nothing compiled again
    assert sorted(p.name for p in cache.glob("*-cache")) == entries
    assert second["losses"] == first["losses"]


def test_off_and_jax_own_cache_dir(tmp_path):
    off = _run({"TORCHLIKE_CACHE_DIR": "off"})
    assert off["dir"] is None and off["hits"] == 0
    own = tmp_path / "jax_own"
    mine = _run({"JAX_COMPILATION_CACHE_DIR": str(own), "TORCHLIKE_CACHE_DIR": str(tmp_path / "x")})
    assert mine["dir"] == str(own) and not (tmp_path / "x").exists()
    assert mine["losses"] == off["losses"]
