"""torchlike.optim.LBFGS against torch.optim.LBFGS beyond test_optim_more.py's rows: the float32
reductions that make the no-line-search runs follow torch bit for bit, exact 100-step trajectories,
float64 runs, and state_dict round trips of the no-line-search configurations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_optim import MLP, MLP_X, MLP_Y, STEPS, _run_pair, round_trip

import torchlike
from torchlike.optim.lbfgs import _aten_abs_sum, _mkl_sdot

NO_LINE_SEARCH = [{"lr": 0.5, "max_iter": 4}, {"lr": 0.3, "max_iter": 3, "history_size": 2},
                  {"max_iter": 6, "history_size": 4, "tolerance_change": 1e-6}]
SIZES = [1, 3, 5, 7, 8, 16, 19, 31, 32, 33, 48, 49, 63, 64, 65, 100, 113, 129, 1000, 4099]
# torchlike adds float32 dot products in the order of MKL's AVX-512 sdot (MKL's AVX2 kernel adds
# in another order): bit-exact rows need that kernel on torch's side.
MKL_AVX512 = pytest.mark.skipif(torch.backends.cpu.get_cpu_capability() != "AVX512",
                                reason="torch's MKL runs another sdot kernel on this CPU")


def _vectors(n, dtype, seed=0):
    rng = np.random.default_rng(seed + n)
    return [rng.standard_normal(n).astype(dtype) for _ in range(2)]


# NOTE: without a line search one float32 ulp in a dot product grows ~1000x within ten MLP steps,
# so LBFGS adds its reductions in the order of torch's CPU kernels (MKL's AVX-512 sdot, ATen's
# cascade sum); XLA's order differs from torch's in ~70% of these dot products and ~60% of sums.
@MKL_AVX512
@pytest.mark.parametrize("n", SIZES)
def test_dot_adds_in_torchs_order(n):
    for seed in range(5):
        x, y = _vectors(n, np.float32, seed)
        assert float(_mkl_sdot(x, y)) == torch.from_numpy(x).dot(torch.from_numpy(y)).item()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [*SIZES, 20000])
def test_abs_sum_adds_in_torchs_order(n, dtype):
    for seed in range(5):
        x, _ = _vectors(n, dtype, seed)
        assert float(_aten_abs_sum(x)) == torch.from_numpy(x).abs().sum().item()


@MKL_AVX512
@pytest.mark.parametrize("kwargs", NO_LINE_SEARCH, ids=str)
def test_mlp_trajectory_is_bit_exact(kwargs):
    _run_pair("LBFGS", kwargs, "mlp", STEPS, tol=(0.0, 0.0))


def _mlp64(lib, p):
    h = lib.tanh(lib.tensor(MLP_X, dtype=lib.float64) @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
    e = h - lib.tensor(MLP_Y, dtype=lib.float64)
    return (e * e).mean()


# NOTE: the history_size=2 run is chaotic: in float64 a 1e-16 difference (each library's own
# autograd and reductions) grows ~10x every 2-3 steps (2e-14 at step 10, 8e-10 at step 20, 2e-3
# at step 50), which is why float32 LBFGS has to add in torch's order to follow it at all.
FLOAT64_ROWS = [(NO_LINE_SEARCH[0], STEPS), (NO_LINE_SEARCH[1], 12), (NO_LINE_SEARCH[2], STEPS)]


@pytest.mark.parametrize("kwargs,steps", FLOAT64_ROWS, ids=str)
def test_float64_mlp_trajectory(kwargs, steps):
    """Each library's own float64 autograd and XLA's float64 dot: the orders of summation
    differ, but at float64's precision the runs agree to ~1e-11."""
    params, opts = {}, {}
    for lib in (torch, torchlike):
        params[lib] = {k: lib.tensor(v.astype(np.float64), requires_grad=True)
                       for k, v in MLP.items()}
        opts[lib] = lib.optim.LBFGS(list(params[lib].values()), **kwargs)
    for i in range(steps):
        losses = {}
        for lib, opt in opts.items():
            def closure(lib=lib, opt=opt):
                opt.zero_grad()
                loss = _mlp64(lib, params[lib])
                loss.backward()
                return loss.detach()
            losses[lib] = opt.step(closure).item()
        np.testing.assert_allclose(losses[torchlike], losses[torch], rtol=1e-7, atol=1e-15,
                                   err_msg=f"step {i}: loss")
        for k, p in params[torch].items():
            got = params[torchlike][k]
            assert got.dtype == torchlike.float64
            np.testing.assert_allclose(got.detach().numpy(), p.detach().numpy(), rtol=1e-9,
                                       atol=1e-10, err_msg=f"step {i}: {k}")
        t_state, l_state = (opts[lib].state_dict()["state"][0] for lib in (torch, torchlike))
        assert list(l_state) == list(t_state)
        assert (l_state["n_iter"], l_state["func_evals"]) == (t_state["n_iter"],
                                                             t_state["func_evals"])


@MKL_AVX512
@pytest.mark.parametrize("kwargs", NO_LINE_SEARCH[:2], ids=str)
@pytest.mark.parametrize("direction", ["torch_to_torchlike", "torchlike_to_torch"])
def test_state_dict_round_trip_without_line_search(kwargs, direction):
    round_trip("LBFGS", kwargs, direction, "mlp", steps=8, tol=(0.0, 0.0))
