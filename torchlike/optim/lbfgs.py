"""torchlike implementation of :class:`torch.optim.LBFGS`.

L-BFGS is driven by the closure and by Python decisions on scalars (line-search brackets, curvature
tests, stopping rules), so unlike the other optimizers its ``step`` is not one jitted program: it
runs eagerly on Tensors over the parameters flattened into one vector, with the same scalar types
as torch (dot products stay 0-d Tensors; ``t`` is a float or a 0-d Tensor), so ``state`` and
``state_dict`` hold what torch's hold.

NOTE: without a line search nothing damps a difference in the quasi-Newton direction: one float32
ulp in a dot product (``y.s``, ``y.y``, ``s.q``) grows ~1000x within ten steps on a small MLP. So
the float32 reductions here add in the order torch's CPU kernels do (:func:`_mkl_sdot`: MKL's
AVX-512 ``sdot`` run on one thread; :func:`_aten_abs_sum`: ATen's vectorised cascade sum), not in
XLA's order, and follow torch bit for bit on AVX-512 machines. Not covered: MKL's AVX2 kernel
(another order) and vectors of 8192+ elements when torch runs MKL on several threads (MKL then
splits the vector between threads).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad
from .optimizer import Optimizer, cast, check_lr, fma

__all__ = ["LBFGS"]


def _scalar(x) -> float:
    return x.item() if isinstance(x, Tensor) else x


def _seq_sum(rows, start):
    """``start + rows[0] + rows[1] + ...`` added left to right (a scan: XLA keeps its order)."""
    return jax.lax.scan(lambda acc, row: (acc + row, None), start, rows)[0]


def _fma_f32(acc, x, y):
    """``acc + x * y`` as one float32 FMA: the product is exact in float64, the float64 sum is
    rounded to float32 (a double rounding, which differs from the FMA only in rare near-ties). The
    rounding is ``reduce_precision``, not a convert that XLA could fold into a float32 multiply,
    which LLVM then contracts with the next add into an FMA of another shape."""
    wide = x.astype(jnp.float64) * y.astype(jnp.float64) + acc.astype(jnp.float64)
    return jax.lax.reduce_precision(wide, exponent_bits=8, mantissa_bits=23).astype(jnp.float32)


@jax.jit
def _mkl_sdot(x, y):
    """``x.dot(y)`` for float32 vectors as MKL's AVX-512 ``sdot`` (torch's CPU ``dot``) adds:
    16-lane FMA accumulators, four of them over blocks of 64, then a 32-block into accumulators
    0 and 1, a 16-block and the zero-padded tail into accumulator 0; the accumulators combine as
    ``(a0 + a1) + (a2 + a3)``, the lanes by halving to 4, then ``(l0 + l1) + (l2 + l3)``.
    Measured bit-exact against torch 2.13 for n up to a few thousand."""
    n, lanes = x.shape[0], 16
    acc = jnp.zeros((4, lanes), jnp.float32)
    main = n // (4 * lanes) * 4 * lanes
    if main:
        blocks = (x[:main].reshape(-1, 4, lanes), y[:main].reshape(-1, 4, lanes))
        acc = jax.lax.scan(lambda a, xy: (_fma_f32(a, *xy), None), acc, blocks)[0]
    pad = -n % lanes
    xs = jnp.pad(x[main:], (0, pad)).reshape(-1, lanes)
    ys = jnp.pad(y[main:], (0, pad)).reshape(-1, lanes)
    rows = [0, 1, 0, 0][:xs.shape[0]] if n - main >= 2 * lanes else [0] * xs.shape[0]
    for k, row in enumerate(rows):
        acc = acc.at[row].set(_fma_f32(acc[row], xs[k], ys[k]))
    v = (acc[0] + acc[1]) + (acc[2] + acc[3])
    while v.shape[0] > 4:
        v = v[:v.shape[0] // 2] + v[v.shape[0] // 2:]
    return (v[0] + v[1]) + (v[2] + v[3])


def _dot(x: Tensor, y: Tensor) -> Tensor:
    """torch's ``x.dot(y)`` for the flat vectors (MKL's order for float32)."""
    if x._data.dtype == jnp.float32:
        return Tensor._wrap(_mkl_sdot(x._data, y._data))
    return x.dot(y)


def _abs_sum(x: Tensor) -> Tensor:
    """torch's ``x.abs().sum()`` for the flat gradient (ATen's order)."""
    return Tensor._wrap(_aten_abs_sum(x._data))


def _cascade_sum(rows):
    """ATen's ``multi_row_sum`` over ``rows`` (size, 4, lanes): rows summed in chunks of
    ``2**p`` (``p = max(4, ceil(log2(size)) // 4)``), the chunk sums in groups of ``2**p``, those
    in groups of ``2**p`` again, those in one sum; the leftover rows plus each level's partial
    group, in that order, make the result."""
    size = rows.shape[0]
    zero = jnp.zeros(rows.shape[1:], rows.dtype)
    step = 1 << max(4, (size - 1).bit_length() // 4)

    def grouped(a):
        g = a.shape[0] // step
        sums = jax.vmap(lambda r: _seq_sum(r, zero))(a[:g * step].reshape(g, step, *a.shape[1:]))
        return sums, _seq_sum(a[g * step:], zero)

    level, total = grouped(rows)
    for _ in range(2):
        level, rest = grouped(level)
        total = total + rest
    return total + _seq_sum(level, zero)


@jax.jit
def _aten_abs_sum(x):
    """``x.abs().sum()`` for a vector as ATen's CPU sum adds it (256-bit vectors: 8 float32 or 4
    float64 lanes, four accumulators, cascade for long rows; a row shorter than one vector adds
    four scalar accumulators the same way). Exact up to ATen's parallel grain (32768)."""
    x = jnp.abs(x)
    n, lanes = x.shape[0], 32 // x.dtype.itemsize
    zero = jnp.zeros((), x.dtype)
    if n < lanes:
        ps = jnp.pad(x[:4], (0, max(0, 4 - n)))
        return _seq_sum(ps[1:], _seq_sum(x[4:], ps[0]))
    nvec = n // lanes
    vecs = x[:nvec * lanes].reshape(nvec, lanes)
    ilp = nvec // 4
    ps = (_cascade_sum(vecs[:ilp * 4].reshape(ilp, 4, lanes)) if ilp
          else jnp.zeros((4, lanes), x.dtype))
    p0 = _seq_sum(ps[1:], _seq_sum(vecs[ilp * 4:], ps[0]))
    return _seq_sum(p0, _seq_sum(x[nvec * lanes:], zero))


@jax.jit
def _axpy(x, alpha, y):
    """``x.add_(y, alpha=alpha)`` as ATen computes it (one FMA); ``alpha`` traced, so new values
    do not recompile (the registry's ``add`` takes ``alpha`` as a static argument)."""
    return fma(cast(alpha, y), y, x)


def _add_(x: Tensor, y: Tensor, alpha) -> None:
    x._set_arr(_axpy(x._data, float(_scalar(alpha)), y._data))


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``
    (default: the interval between the points); the bounds' midpoint if the cubic has none."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 ** 2 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = disc.sqrt()
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search for a step ``t`` along ``d`` satisfying the strong Wolfe conditions.

    ``evaluate(t) -> (loss, flat_grad)`` at ``x + t * d``. Returns ``(loss, grad, t, evals)``.
    """
    d_norm = d.abs().max()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g.clone(), gtd
    done = False
    ls_iter = 0
    # phase 1: grow the step until an interval brackets a point satisfying the conditions
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            pts, fs, gs, gtds = [t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()], [
                gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            pts, fs, gs, done = [t], [f_new], [g_new], True
            break
        if gtd_new >= 0:
            pts, fs, gs, gtds = [t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()], [
                gtd_prev, gtd_new]
            break
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.clone(), gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        pts, fs, gs = [0, t], [f, f_new], [g, g_new]
    # phase 2: zoom into the bracket
    stalled = False
    low, high = (0, 1) if fs[0] <= fs[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(pts[1] - pts[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(pts[0], fs[0], gtds[0], pts[1], fs[1], gtds[1])
        # keep t away from the bracket's ends unless the last try already made progress
        span_hi, span_lo = max(pts), min(pts)
        eps = 0.1 * (span_hi - span_lo)
        if min(span_hi - t, t - span_lo) < eps:
            if stalled or t >= span_hi or t <= span_lo:
                t = span_hi - eps if abs(t - span_hi) < abs(t - span_lo) else span_lo + eps
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= fs[low]:
            pts[high], fs[high], gs[high], gtds[high] = t, f_new, g_new.clone(), gtd_new
            low, high = (0, 1) if fs[0] <= fs[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (pts[high] - pts[low]) >= 0:
                pts[high], fs[high], gs[high], gtds[high] = pts[low], fs[low], gs[low], gtds[low]
            pts[low], fs[low], gs[low], gtds[low] = t, f_new, g_new.clone(), gtd_new
    return fs[low], gs[low], pts[low], evals


class LBFGS(Optimizer):
    """torchlike implementation of :class:`torch.optim.LBFGS` (one parameter group; the step
    needs the closure)."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None) -> None:
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self) -> Tensor:
        return Tensor._wrap(jnp.concatenate([
            jnp.zeros(p._data.size, p._data.dtype) if p._grad is None
            else p._grad._data.reshape(-1) for p in self._params]))

    def _move(self, t, d: Tensor) -> None:
        """``p += t * d`` for the parameters' slices of ``d`` (``p.add_(d, alpha=t)``)."""
        offset = 0
        for p in self._params:
            n = p._data.size
            piece = d._data[offset:offset + n].reshape(p._data.shape)
            p._set_arr(_axpy(p._data, float(_scalar(t)), piece))
            offset += n

    @no_grad()
    def step(self, closure):  # type: ignore[override]
        """torchlike implementation of :meth:`torch.optim.LBFGS.step`."""
        closure = enable_grad()(closure)
        group = self.param_groups[0]
        lr, max_iter, max_eval = _scalar(group["lr"]), group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if flat_grad.abs().max() <= tol_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        dirs, steps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_grad = state.get("H_diag"), state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # the direction: steepest descent first, then the two-loop recursion over the history
            if state["n_iter"] == 1:
                d = flat_grad.neg()
                dirs, steps, ro, h_diag = [], [], [], 1
            else:
                y = flat_grad.sub(prev_grad)
                s = d.mul(t)
                ys = _dot(y, s)
                if ys > 1e-10:
                    if len(dirs) == group["history_size"]:
                        del dirs[0], steps[0], ro[0]
                    dirs.append(y)
                    steps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / _dot(y, y)
                al = state.setdefault("al", [None] * group["history_size"])
                q = flat_grad.neg()
                for i in reversed(range(len(dirs))):
                    al[i] = _dot(steps[i], q) * ro[i]
                    _add_(q, dirs[i], -al[i])
                d = r = q.mul(h_diag)
                for i in range(len(dirs)):
                    be_i = _dot(dirs[i], r) * ro[i]
                    _add_(r, steps[i], al[i] - be_i)
            if prev_grad is None:
                prev_grad = flat_grad.clone()
            else:
                prev_grad.copy_(flat_grad)
            prev_loss = loss
            # the step length: scaled down on the very first iteration
            t = min(1.0, 1.0 / _abs_sum(flat_grad)) * lr if state["n_iter"] == 1 else lr
            gtd = _dot(flat_grad, d)
            if gtd > -tol_change:
                break
            ls_evals = 0
            if group["line_search_fn"] is not None:
                if group["line_search_fn"] != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x0 = [p._data for p in self._params]

                def evaluate(step, x0=x0, d=d):
                    self._move(step, d)
                    value = float(closure())
                    grad = self._flat_grad()
                    for p, x in zip(self._params, x0):
                        p._set_arr(x)
                    return value, grad
                loss, flat_grad, t, ls_evals = _strong_wolfe(evaluate, t, d, loss, flat_grad, gtd,
                                                             max_ls=max_eval - evals)
                self._move(t, d)
                converged = flat_grad.abs().max() <= tol_grad
            else:
                self._move(t, d)
                converged = False
                if n_iter != max_iter:
                    loss = float(closure())
                    flat_grad = self._flat_grad()
                    converged = flat_grad.abs().max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if (n_iter == max_iter or evals >= max_eval or converged
                    or d.mul(t).abs().max() <= tol_change or abs(loss - prev_loss) < tol_change):
                break

        state.update(d=d, t=t, old_dirs=dirs, old_stps=steps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_grad, prev_loss=prev_loss)
        return orig_loss
