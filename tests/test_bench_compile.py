"""The hand-written JAX steps of benchmarks/bench_compile.py compute what the torch steps compute.

Each model's pure JAX/optax step and its torch step start from the same weights; with dropout off,
their losses agree at the first step (forward) and at the second (the first optimizer update).
"""

import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks"))
import bench_compile as bc


@pytest.mark.parametrize(("model", "batch"), [("mlp", 8), ("cnn", 4), ("lstm", 4),
                                              ("transformer", 4)])
def test_jax_step_matches_torch_step(model, batch):
    x, y = bc.MODELS[model].data(batch)
    t_step, _ = bc.lib_step(torch, model, dropout=0.0)
    j_step = bc.jax_step(model, dropout=0.0)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    t_losses = [t_step(tx, ty).item() for _ in range(2)]
    j_losses = [float(j_step(x, y)) for _ in range(2)]
    np.testing.assert_allclose(j_losses, t_losses, rtol=1e-3)
    assert t_losses[1] < t_losses[0]  # the update step did something
