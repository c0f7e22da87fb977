"""Matrix products (matmul/mm/bmm/mv/dot/outer/addmm/einsum/tensordot/...) and the
``torchlike.linalg`` namespace (norms, det, inv, solve, decompositions).

As in torch, the matrix products do not promote: their operands must share a dtype (torch's error
otherwise); outer/kron/cross promote. Decompositions return torch.return_types namedtuples; signs
of eigenvectors/singular vectors may differ from torch's (both are valid), the spans agree.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax import lax

from .. import _dtype
from ._install import FUNCTIONS, NAMESPACES
from .._size import wrap_dim as _wrap_dim
from .registry import _type_name, op

_LINALG = NAMESPACES.setdefault("linalg", {})

_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
            "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _shape_str(s) -> str:
    return "x".join(str(d) for d in s)


def _tn(a) -> str:
    """torch's ScalarType name of an array's dtype (``Float``, ``Long``)."""
    return _type_name(_dtype.from_np(a.dtype))


def _cn(a) -> str:
    return _C_NAMES.get(_dtype.from_np(a.dtype).name, str(a.dtype))


def _is_float(a) -> bool:
    return jnp.issubdtype(a.dtype, jnp.inexact)


def _mm_dtypes(a, b) -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cn(a)} != "
                           f"{_cn(b)}")


def _scalar_type(a, b) -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_tn(a)} but found {_tn(b)}")


def _no_bool(a, kernel) -> None:
    if a.dtype == jnp.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _dot_checks(input, other) -> None:
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{other.shape[0]}] to have the same number of elements, but got "
                           f"{input.shape[0]} and {other.shape[0]} elements respectively")
    if input.dtype != other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_tn(input)} and {_tn(other)}")
    _no_bool(input, "dot")


# -- matrix products ----------------------------------------------------------------------------

@op("input other", dunder="matmul")
def matmul(input, other):
    """torchlike implementation of :func:`torch.matmul`."""
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{input.ndim}D and {other.ndim}D")
    if input.ndim == 1 and other.ndim == 1:
        _dot_checks(input, other)
        return jnp.dot(input, other)
    if input.ndim <= 2 and other.ndim <= 2:
        k1, k2 = input.shape[-1], other.shape[0]
        if k1 != k2:
            if input.ndim == 2 and other.ndim == 2:
                raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                                   f"({_shape_str(input.shape)} and {_shape_str(other.shape)})")
            if input.ndim == 2:
                raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat "
                                   f"({_shape_str(input.shape)}), vec ({other.shape[0]})")
            raise RuntimeError(f"size mismatch, got input ({k1}), mat "
                               f"({_shape_str(other.shape)}), vec ({k1})")
    elif input.shape[-1] != other.shape[-2 if other.ndim > 1 else 0]:
        b = other.shape[0] if other.ndim > 2 else 1
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {input.shape[-1]}] but got: [{b}, "
                           f"{other.shape[-2] if other.ndim > 1 else other.shape[0]}].")
    _mm_dtypes(input, other)
    _no_bool(input, "addmm_impl_cpu_")
    return jnp.matmul(input, other)


@op("input mat2")
def mm(input, mat2):
    """torchlike implementation of :func:`torch.mm`."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({_shape_str(input.shape)} and {_shape_str(mat2.shape)})")
    _mm_dtypes(input, mat2)
    _no_bool(input, "addmm_impl_cpu_")
    return input @ mat2


def _bmm_checks(b1, b2) -> None:
    if b1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b2.shape[:2] != (b1.shape[0], b1.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b1.shape[0]}, {b1.shape[2]}] but got: [{b2.shape[0]}, "
                           f"{b2.shape[1]}].")
    _scalar_type(b1, b2)
    _no_bool(b1, "bmm")


@op("input mat2")
def bmm(input, mat2):
    """torchlike implementation of :func:`torch.bmm`."""
    _bmm_checks(input, mat2)
    return jnp.matmul(input, mat2)


def _mv_checks(mat, vec, self_dtype, n_self=None) -> None:
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {mat.ndim}, {vec.ndim}")
    n_self = mat.shape[0] if n_self is None else n_self
    if mat.shape[1] != vec.shape[0] or n_self not in (1, mat.shape[0]):
        raise RuntimeError(f"size mismatch, got input ({n_self}), mat "
                           f"({_shape_str(mat.shape)}), vec ({vec.shape[0]})")
    if not mat.dtype == vec.dtype == self_dtype:
        names = [_type_name(_dtype.from_np(d)) for d in (self_dtype, mat.dtype, vec.dtype)]
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {names[0]}, "
                           f"{names[1]}, and {names[2]}")


@op("input vec")
def mv(input, vec):
    """torchlike implementation of :func:`torch.mv`."""
    _mv_checks(input, vec, vec.dtype)
    _no_bool(input, "addmv_impl_cpu")
    return input @ vec


@op("input tensor")
def dot(input, tensor):
    """torchlike implementation of :func:`torch.dot`."""
    _dot_checks(input, tensor)
    return jnp.dot(input, tensor)


@op("input other")
def vdot(input, other):
    """torchlike implementation of :func:`torch.vdot`."""
    _dot_checks(input, other)
    return jnp.vdot(input, other)


@op("input other")
def inner(input, other):
    """torchlike implementation of :func:`torch.inner`."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    if input.dtype != other.dtype:
        raise RuntimeError("both inputs should have same dtype")
    return jnp.inner(input, other)


@op("input vec2", promote="all")
def outer(input, vec2):
    """torchlike implementation of :func:`torch.outer`."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    if input.dtype == jnp.bool_:
        return input[:, None] & vec2[None, :]
    return input[:, None] * vec2[None, :]


FUNCTIONS["ger"] = outer


def _beta_alpha(input, prod, beta, alpha):
    """torch's ``beta * input + alpha * prod`` (beta=0 ignores input, NaNs included)."""
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return jnp.broadcast_to(prod, prod.shape).astype(prod.dtype)
    return (input * beta + prod if beta != 1 else input + prod).astype(prod.dtype)


def _expand_check(input, shape) -> None:
    for i in range(1, min(input.ndim, len(shape)) + 1):
        a, t = input.shape[-i], shape[-i]
        if a != t and a != 1:
            raise RuntimeError(f"The expanded size of the tensor ({t}) must match the existing "
                               f"size ({a}) at non-singleton dimension {len(shape) - i}.  Target "
                               f"sizes: {list(shape)}.  Tensor sizes: {list(input.shape)}")
    if input.ndim > len(shape):
        raise RuntimeError(f"The expanded size of the tensor ({len(shape)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({input.ndim})")


def _same_dtype(name, input, mat) -> None:
    if input.dtype != mat.dtype:
        raise RuntimeError(f"self and {name} must have the same dtype, but got {_tn(input)} and "
                           f"{_tn(mat)}")


@op("input mat1 mat2", inplace=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """torchlike implementation of :func:`torch.addmm`."""
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.ndim}-D tensor" if mat1.ndim != 2
                           else f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({_shape_str(mat1.shape)} and {_shape_str(mat2.shape)})")
    _same_dtype("mat2", input, mat2)
    _mm_dtypes(mat1, mat2)
    _expand_check(input, (mat1.shape[0], mat2.shape[1]))
    return _beta_alpha(input, mat1 @ mat2, beta, alpha)


@op("input mat vec", inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """torchlike implementation of :func:`torch.addmv`."""
    _mv_checks(mat, vec, input.dtype, input.shape[0] if input.ndim == 1 else None)
    _expand_check(input, (mat.shape[0],))
    return _beta_alpha(input, mat @ vec, beta, alpha)


@op("input vec1 vec2", inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """torchlike implementation of :func:`torch.addr`."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    _same_dtype("vec2", input, vec2)
    _expand_check(input, (vec1.shape[0], vec2.shape[0]))
    return _beta_alpha(input, vec1[:, None] * vec2[None, :], beta, alpha)


@op("input batch1 batch2", inplace=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """torchlike implementation of :func:`torch.addbmm`."""
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{batch1.shape[0]} and {batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({_shape_str(batch1.shape[1:])} "
                           f"and {_shape_str(batch2.shape[1:])})")
    _scalar_type(batch1, batch2)
    _expand_check(input, (batch1.shape[1], batch2.shape[2]))
    return _beta_alpha(input, jnp.einsum("bij,bjk->ik", batch1, batch2), beta, alpha)


@op("input batch1 batch2", inplace=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """torchlike implementation of :func:`torch.baddbmm`."""
    _bmm_checks(batch1, batch2)
    _scalar_type(input, batch1)
    _expand_check(input, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    return _beta_alpha(input, jnp.matmul(batch1, batch2), beta, alpha)


# -- einsum / tensordot / kron / cross / misc -------------------------------------------------------

def _einsum_check(equation, operands) -> None:
    eq = equation.replace(" ", "")
    lhs = eq.split("->")[0]
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    sizes: dict = {}
    for i, (term, a) in enumerate(zip(terms, operands)):
        if "..." in term:
            pre, post = term.split("...")
            labels = list(zip(pre, a.shape[:len(pre)])) + list(
                zip(post, a.shape[a.ndim - len(post):] if post else ()))
            if len(pre) + len(post) > a.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(pre) + len(post)}) is more than the number of "
                                   f"dimensions ({a.ndim}) for operand {i}")
        else:
            if len(term) != a.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(term)}) does not match the number of dimensions "
                                   f"({a.ndim}) for operand {i} and no ellipsis was given")
            labels = list(zip(term, a.shape))
        seen: dict = {}
        for c, n in labels:
            if c in seen and seen[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the "
                                   f"sizes don't match, {n} != {seen[c]}")
            seen[c] = n
        for c, n in seen.items():
            if c in sizes and n != sizes[c] and n != 1 and sizes[c] != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which "
                                   f"does not broadcast with previously seen size {sizes[c]}")
            if c not in sizes or sizes[c] == 1:
                sizes[c] = n
    for a in operands[1:]:
        _scalar_type(operands[0], a)


@op("operands*", name="einsum", method=False, function=False)
def _einsum(operands, equation):
    _einsum_check(equation, operands)
    if operands[0].dtype == jnp.bool_:
        out = jnp.einsum(equation, *[o.astype(jnp.int64) for o in operands])
        return out.astype(jnp.bool_)
    return jnp.einsum(equation, *operands)


def einsum(equation, *operands):
    """torchlike implementation of :func:`torch.einsum` (operands as varargs or one list)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return _einsum(list(operands), equation)


einsum.__module__ = "torchlike"
FUNCTIONS["einsum"] = einsum


@op("a b")
def tensordot(a, b, dims=2):
    """torchlike implementation of :func:`torch.tensordot`."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da, db = ([da], [db]) if isinstance(da, int) else (list(da), list(db))
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y] and 1 in (a.shape[x], b.shape[y]):
            # torch broadcasts a contracted dimension of size 1 against the other
            if a.shape[x] == 1:
                a = jnp.repeat(a, b.shape[y], axis=x)
            else:
                b = jnp.repeat(b, a.shape[x], axis=y)
        if a.shape[x] != b.shape[y]:
            shown = x - a.ndim if isinstance(dims, int) else x
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[x]} in dim {shown} and second has size {b.shape[y]} in "
                               f"dim {y}")
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    return jnp.tensordot(a, b, (da, db))


@op("input other", promote="all")
def kron(input, other):
    """torchlike implementation of :func:`torch.kron`."""
    if input.dtype == jnp.bool_:
        return jnp.kron(input.astype(jnp.int8), other.astype(jnp.int8)).astype(jnp.bool_)
    return jnp.kron(input, other)


def _broadcast_shape(a, b) -> tuple:
    """torch's broadcast of two shapes, with its error message."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {i}")
    return tuple(y if x == 1 else x for x, y in zip(a, b))


def _cross(input, other, dim):
    shape = _broadcast_shape(input.shape, other.shape)
    input, other = jnp.broadcast_to(input, shape), jnp.broadcast_to(other, shape)
    a = jnp.moveaxis(input, dim, -1)
    b = jnp.moveaxis(other, dim, -1)
    out = jnp.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                     a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                     a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], axis=-1)
    return jnp.moveaxis(out, -1, dim)


@op("input other")
def cross(input, other, dim=None):
    """torchlike implementation of :func:`torch.cross` (``dim=None``: the first dim of size 3,
    without torch's deprecation warning)."""
    _scalar_type(input, other)
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    shape = _broadcast_shape(input.shape, other.shape)
    if dim is None:
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    d = _wrap_dim(dim, len(shape))
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    return _cross(input, other, d)


@op("input other", name="linalg_cross", method=False, function=False)
def _linalg_cross(input, other, *, dim=-1):
    _scalar_type(input, other)
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    return _cross(input, other, d)


_LINALG["cross"] = _linalg_cross


@op("input")
def trace(input):
    """torchlike implementation of :func:`torch.trace` (integers sum to int64)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    _no_bool(input, "trace")
    out = jnp.trace(input)
    return out if _is_float(input) else out.astype(jnp.int64)


def _square_checks(name, a, *, float_only=True) -> None:
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if float_only and not _is_float(a):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_tn(a)}")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


@op("input")
def matrix_power(input, n):
    """torchlike implementation of :func:`torch.matrix_power`."""
    _square_checks("linalg.matrix_power", input, float_only=False)
    if n < 0:
        _square_checks("linalg.inv", input)
        input, n = jnp.linalg.inv(input), -n
    if n == 0:
        return jnp.broadcast_to(jnp.eye(input.shape[-1], dtype=input.dtype), input.shape)
    result, base = None, input
    while n:  # binary exponentiation, as torch
        if n & 1:
            result = base if result is None else jnp.matmul(result, base)
        n >>= 1
        if n:
            base = jnp.matmul(base, base)
    return result


_LINALG["matrix_power"] = matrix_power


@op("tensors*", name="linalg_multi_dot", method=False, function=False)
def _multi_dot(tensors):
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    n = len(tensors)
    for i, t in enumerate(tensors):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, n - 1))
        if not ok:
            where = ("the first tensor must be 1D or 2D" if i == 0 else
                     "the last tensor must be 1D or 2D" if i == n - 1 else
                     f"tensor {i} must be 2D")
            raise RuntimeError(f"multi_dot(): {where} but got {t.ndim}D")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor "
                               f"0 is {_tn(tensors[0])} and tensor {i} {_tn(t)}")
    mats = [tensors[0][None, :] if tensors[0].ndim == 1 else tensors[0]] + list(tensors[1:-1]) + [
        tensors[-1][:, None] if tensors[-1].ndim == 1 else tensors[-1]]
    for i in range(n - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} cannot "
                               f"be multiplied")
    out = jnp.linalg.multi_dot(mats)
    if tensors[0].ndim == 1:
        out = out[0]
    if tensors[-1].ndim == 1:
        out = out[..., 0]
    return out


def multi_dot(tensors, *, out=None):
    """torchlike implementation of :func:`torch.linalg.multi_dot`."""
    res = _multi_dot(list(tensors))
    if out is not None:
        from .registry import write_out
        return write_out(out, res)
    return res


def chain_matmul(*matrices, out=None):
    """torchlike implementation of the deprecated :func:`torch.chain_matmul` (no warning)."""
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices, out=out)


multi_dot.__module__ = chain_matmul.__module__ = "torchlike"
_LINALG["multi_dot"] = multi_dot
FUNCTIONS["chain_matmul"] = chain_matmul


@op("x1 x2")
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """torchlike implementation of :func:`torch.cdist` (computed directly; torch may use a
    matmul-based formula for p=2, equal up to rounding)."""
    if x1.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if not _is_float(x1):
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {_tn(x1)}")
    if not _is_float(x2):
        raise RuntimeError(f"cdist only supports floating-point dtypes, X2 got: {_tn(x2)}")
    _scalar_type(x1, x2)
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = jnp.abs(x1[..., :, None, :] - x2[..., None, :, :])
    return _vector_norm_raw(diff, float(p), (-1,), False)


def cartesian_prod(*tensors):
    """torchlike implementation of :func:`torch.cartesian_prod`."""
    from .. import meshgrid, stack
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], dim=1)


cartesian_prod.__module__ = "torchlike"
FUNCTIONS["cartesian_prod"] = cartesian_prod


# -- norms ----------------------------------------------------------------------------------------

def _vector_norm_raw(x, ord, axes, keepdim):
    """The vector ``ord``-norm over ``axes`` of real ``|x|``; gradient 0 where the norm is 0 (as
    torch), via ``where`` around the root."""
    # NOTE: |x| as x * sign(x): gradient 0 at 0 (torch's subgradient; jnp.abs gives 1 there).
    a = x * jnp.sign(x) if not jnp.iscomplexobj(x) else jnp.abs(x)
    if ord == math.inf:
        return jnp.max(a, axis=axes, keepdims=keepdim)
    if ord == -math.inf:
        return jnp.min(a, axis=axes, keepdims=keepdim)
    if ord == 0:
        return jnp.sum(a != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
    if ord == 1:
        return jnp.sum(a, axis=axes, keepdims=keepdim)
    if ord == 2:
        s = jnp.sum(a * a, axis=axes, keepdims=keepdim)
    else:
        # NOTE: 0 ** ord has an infinite derivative for ord < 1; torch's gradient there is 0.
        nz = a != 0
        powed = jnp.where(nz, jnp.where(nz, a, 1) ** ord, 0 if ord > 0 else jnp.inf)
        s = jnp.sum(powed, axis=axes, keepdims=keepdim)
    zero = s == 0
    safe = jnp.where(zero, jnp.ones_like(s), s)
    root = jnp.sqrt(safe) if ord == 2 else safe ** (1.0 / ord)
    return jnp.where(zero, jnp.zeros_like(s), root)


def _axes(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(_wrap_dim(d, ndim) for d in dims)


def _norm_input(name, x, dtype):
    if dtype is not None:
        x = x.astype(_dtype.to_dtype(dtype).np)
    if not _is_float(x):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_tn(x)}")
    return x


@op("x", name="linalg_vector_norm", method=False, function=False)
def _vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    x = _norm_input("linalg.vector_norm", x, dtype)
    axes = _axes(dim, x.ndim)
    if x.size == 0 and ord < 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor "
                           f"because the operation does not have an identity")
    return _vector_norm_raw(x, float(ord), axes, keepdim)


def _matrix_norm_raw(a, ord, dims, keepdim):
    d0, d1 = dims
    if ord == "fro":
        return _vector_norm_raw(a, 2.0, dims, keepdim)
    if ord == "nuc" or ord in (2, -2):
        s = jnp.linalg.svd(jnp.moveaxis(a, dims, (-2, -1)), compute_uv=False)
        out = jnp.sum(s, -1) if ord == "nuc" else (s[..., 0] if ord == 2 else s[..., -1])
        if keepdim:
            out = jnp.expand_dims(out, tuple(sorted(dims)))
        return out
    if ord in (1, -1, math.inf, -math.inf):
        sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        s = jnp.sum(jnp.abs(a), axis=sum_dim, keepdims=True)
        out = jnp.max(s, axis=red_dim, keepdims=True) if ord > 0 else jnp.min(
            s, axis=red_dim, keepdims=True)
        return out if keepdim else jnp.squeeze(out, (d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


@op("A", name="linalg_matrix_norm", method=False, function=False)
def _matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    A = _norm_input("linalg.matrix_norm", A, dtype)
    dims = _axes(dim, A.ndim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {tuple(dim)}")
    if dims[0] == dims[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got {tuple(dim)}")
    return _matrix_norm_raw(A, ord, dims, keepdim)


@op("A", name="linalg_norm", method=False, function=False)
def _norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A matrix norm for two dims (or ``ord`` with a 2-D input / a string), else a vector norm."""
    dims = None if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    if dims is not None:
        matrix = len(dims) == 2
    elif ord is not None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A.ndim}D.")
        matrix = A.ndim == 2 or isinstance(ord, str)
    else:
        matrix = False
    if matrix:
        return _matrix_norm.entry.fn(A, "fro" if ord is None else ord, dims or (-2, -1), keepdim,
                                     dtype=dtype)
    return _vector_norm.entry.fn(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


_LINALG["vector_norm"] = _vector_norm
_LINALG["matrix_norm"] = _matrix_norm
_LINALG["norm"] = _norm


@op("x y", name="linalg_vecdot", method=False, function=False)
def _vecdot(x, y, *, dim=-1):
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {_tn(x)} and y of type {_tn(y)} instead")
    n1, n2 = x.shape[dim], y.shape[dim]
    if n1 != n2:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n1}] and src [{n2}] to "
                           f"have the same number of elements, but got {n1} and {n2} elements "
                           f"respectively")
    shape = _broadcast_shape(x.shape, y.shape)
    return jnp.sum(jnp.conj(x) * y, axis=_wrap_dim(dim, len(shape)))


_LINALG["vecdot"] = _vecdot
_LINALG["matmul"] = matmul


# -- determinants, inverses, solvers ----------------------------------------------------------------

@op("A", name="linalg_det", method="det", function=False)
def _det(A):
    _square_checks("linalg.det", A)
    if A.shape[-1] == 0:
        return jnp.ones(A.shape[:-2], A.dtype)
    return jnp.linalg.det(A)


@op("A", name="linalg_slogdet", returns="sign logabsdet", method="slogdet", function=False)
def _slogdet(A):
    _square_checks("linalg.slogdet", A)
    sign, logabs = jnp.linalg.slogdet(A)
    return sign, logabs


@op("input", method=True)
def logdet(input):
    """torchlike implementation of :func:`torch.logdet` (NaN for a negative determinant)."""
    _square_checks("linalg.slogdet", input)
    sign, logabs = jnp.linalg.slogdet(input)
    return jnp.where(sign < 0, jnp.nan, jnp.where(sign == 0, -jnp.inf, logabs)).astype(
        logabs.dtype)


@op("A", name="linalg_inv", method="inverse", function=False)
def _inv(A):
    _square_checks("linalg.inv", A)
    return jnp.linalg.inv(A)


@op("A", name="linalg_inv_ex", returns="inverse info", method=False, function=False)
def _inv_ex(A, *, check_errors=False):
    _square_checks("linalg.inv", A)
    inv = jnp.linalg.inv(A)
    ok = jnp.all(jnp.isfinite(inv), axis=(-2, -1))
    return inv, jnp.where(ok, 0, 1).astype(jnp.int32)


@op("A B", name="linalg_solve", method=False, function=False)
def _solve(A, B, *, left=True):
    _square_checks("linalg.solve", A)
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {_tn(A)} and B of type {_tn(B)} instead")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return jnp.swapaxes(_solve.entry.fn(jnp.swapaxes(A, -1, -2), jnp.swapaxes(B, -1, -2)),
                            -1, -2)
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    Bm = B[..., None] if vector else B
    if Bm.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {Bm.shape[-2]}x{Bm.shape[-1]})")
    batch = jnp.broadcast_shapes(A.shape[:-2], Bm.shape[:-2])
    X = jnp.linalg.solve(jnp.broadcast_to(A, batch + A.shape[-2:]),
                         jnp.broadcast_to(Bm, batch + Bm.shape[-2:]))
    return X[..., 0] if vector else X


@op("A", name="linalg_cholesky", method=False, function=False)
def _cholesky(A, *, upper=False):
    _square_checks("linalg.cholesky", A)
    L = jnp.linalg.cholesky(A)
    return jnp.conj(jnp.swapaxes(L, -1, -2)) if upper else L


@op("input", name="cholesky")
def cholesky(input, upper=False):
    """torchlike implementation of the deprecated :func:`torch.cholesky`."""
    return _cholesky.entry.fn(input, upper=upper)


@op("A", name="linalg_qr", returns="Q R", method=False, function=False)
def _qr(A, mode="reduced"):
    if A.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    if mode == "r":
        return jnp.zeros((0,), A.dtype), jnp.linalg.qr(A, mode="r")
    Q, R = jnp.linalg.qr(A, mode=mode)
    return Q, R


@op("input", name="qr", returns="Q R")
def qr(input, some=True):
    """torchlike implementation of :func:`torch.qr`."""
    return _qr.entry.fn(input, "reduced" if some else "complete")


def _uplo(A, UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    # NOTE: the values read only the chosen triangle (as LAPACK), but torch's gradient is the
    # symmetric one, as if A were (A + A^H) / 2: take values from the triangle, gradient from that.
    tri = jnp.tril(A) if UPLO == "L" else jnp.triu(A)
    diag = jnp.tril(jnp.triu(A))
    herm = tri + jnp.conj(jnp.swapaxes(tri, -1, -2)) - diag
    sym = (A + jnp.conj(jnp.swapaxes(A, -1, -2))) / 2
    return sym + lax.stop_gradient(herm - sym)


@op("A", name="linalg_eigh", returns="eigenvalues eigenvectors", method=False, function=False)
def _eigh(A, UPLO="L"):
    _square_checks("linalg.eigh", A)
    w, v = jnp.linalg.eigh(_uplo(A, UPLO), symmetrize_input=False)
    return w, v


@op("A", name="linalg_eigvalsh", method=False, function=False)
def _eigvalsh(A, UPLO="L"):
    _square_checks("linalg.eigvalsh", A)
    return jnp.linalg.eigvalsh(_uplo(A, UPLO))


def _complex_of(a):
    return jnp.complex128 if a.dtype in (jnp.float64, jnp.complex128) else jnp.complex64


@op("A", name="linalg_eig", returns="eigenvalues eigenvectors", method=False, function=False,
    differentiable=False)
def _eig(A):
    _square_checks("linalg.eig", A)
    w, v = jnp.linalg.eig(A)
    return w.astype(_complex_of(A)), v.astype(_complex_of(A))


@op("A", name="linalg_eigvals", method=False, function=False, differentiable=False)
def _eigvals(A):
    _square_checks("linalg.eigvals", A)
    return jnp.linalg.eigvals(A).astype(_complex_of(A))


def _svd_checks(name, A) -> None:
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if not _is_float(A):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_tn(A)}")


@op("A", name="linalg_svd", returns="U S Vh", method=False, function=False)
def _svd(A, full_matrices=True, *, driver=None):
    _svd_checks("linalg.svd", A)
    return _full_svd(A) if full_matrices else tuple(jnp.linalg.svd(A, full_matrices=False))


def _full_svd(A):
    """Full SVD; gradients flow through the reduced factors (JAX has no full-SVD derivative and
    torch's backward does not support the complementary singular vectors either)."""
    U, S, Vh = jnp.linalg.svd(A, full_matrices=False)
    m, n = A.shape[-2:]
    if m == n:
        return U, S, Vh
    Uf, _, Vhf = jnp.linalg.svd(lax.stop_gradient(A), full_matrices=True)
    k = min(m, n)
    return (jnp.concatenate([U, Uf[..., k:]], axis=-1), S,
            jnp.concatenate([Vh, Vhf[..., k:, :]], axis=-2))


@op("A", name="linalg_svdvals", method=False, function=False)
def _svdvals(A, *, driver=None):
    _svd_checks("linalg.svd", A)
    return jnp.linalg.svd(A, compute_uv=False)


@op("input", name="svd", returns="U S V")
def svd(input, some=True, compute_uv=True):
    """torchlike implementation of :func:`torch.svd` (returns V, not Vh; ``compute_uv=False``
    gives zero-filled U and V, as torch)."""
    _svd_checks("linalg.svd", input)
    m, n = input.shape[-2:]
    if not compute_uv:
        S = jnp.linalg.svd(input, compute_uv=False)
        b = input.shape[:-2]
        return (jnp.zeros(b + (m, m), input.dtype), S, jnp.zeros(b + (n, n), input.dtype))
    U, S, Vh = jnp.linalg.svd(input, full_matrices=False) if some else _full_svd(input)
    return U, S, jnp.conj(jnp.swapaxes(Vh, -1, -2))


def _tolerance(S, atol, rtol, shape):
    """torch's rank/pinv cutoff: max(atol, rtol * largest singular value)."""
    smax = S[..., :1] if S.shape[-1] else jnp.zeros(S.shape[:-1] + (1,), S.dtype)
    if rtol is None:
        eps = jnp.finfo(S.dtype).eps
        rtol = 0.0 if atol is not None and atol > 0 else eps * max(shape[-2:])
    return jnp.maximum(0.0 if atol is None else atol, rtol * smax)


@op("A", name="linalg_pinv", method=False, function=False)
def _pinv(A, *, atol=None, rtol=None, hermitian=False):
    if A.ndim < 2 or not _is_float(A):
        raise RuntimeError(f"linalg.pinv({_tn(A)}{{{list(A.shape)}}}): expected a tensor with 2 "
                           f"or more dimensions of float, double, cfloat or cdouble types")
    if atol is None and rtol is None and not hermitian:
        return jnp.linalg.pinv(A)
    if hermitian:
        w, v = jnp.linalg.eigh(_uplo(A, "L"))
        S = jnp.abs(w)
        order = jnp.argsort(-S, axis=-1)
        tol = _tolerance(jnp.take_along_axis(S, order, -1), atol, rtol, A.shape)
        inv = jnp.where(S > tol, 1.0 / jnp.where(S > tol, w, 1.0), 0.0)
        return jnp.matmul(v * inv[..., None, :], jnp.conj(jnp.swapaxes(v, -1, -2)))
    U, S, Vh = jnp.linalg.svd(A, full_matrices=False)
    tol = _tolerance(S, atol, rtol, A.shape)
    inv = jnp.where(S > tol, 1.0 / jnp.where(S > tol, S, 1.0), 0.0).astype(A.dtype)
    return jnp.matmul(jnp.conj(jnp.swapaxes(Vh, -1, -2)) * inv[..., None, :],
                      jnp.conj(jnp.swapaxes(U, -1, -2)))


@op("input", name="pinverse")
def pinverse(input, rcond=1e-15):
    """torchlike implementation of :func:`torch.pinverse`."""
    return _pinv.entry.fn(input, rtol=rcond)


@op("A", name="linalg_matrix_rank", method=False, function=False, differentiable=False)
def _matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 "
                           "dimensions.")
    if tol is not None:
        atol, rtol = tol, 0.0
    S = jnp.abs(jnp.linalg.eigvalsh(A)) if hermitian else jnp.linalg.svd(A, compute_uv=False)
    if hermitian:
        S = -jnp.sort(-S, axis=-1)
    tol_ = _tolerance(S, atol, rtol, A.shape)
    return jnp.sum(S > tol_, axis=-1).astype(jnp.int64)


@op("A B", name="linalg_lstsq", returns="solution residuals rank singular_values", method=False,
    function=False)
def _lstsq(A, B, rcond=None, *, driver=None):
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           "gelsy, gelsd, gelss)")
    vector = B.ndim == A.ndim - 1
    Bm = B[..., None] if vector else B
    if A.shape[-2] != Bm.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-"
                           f"{1 if vector else 2})")
    if A.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {_tn(A)} and other's dtype {_tn(B)}")
    m, n = A.shape[-2:]
    batch = jnp.broadcast_shapes(A.shape[:-2], Bm.shape[:-2])
    A = jnp.broadcast_to(A, batch + A.shape[-2:])
    Bm = jnp.broadcast_to(Bm, batch + Bm.shape[-2:])
    pinv = jnp.linalg.pinv(A) if rcond is None else jnp.linalg.pinv(A, rtol=rcond)
    X = jnp.matmul(pinv, Bm)
    driver = driver or "gelsy"
    S = jnp.linalg.svd(A, compute_uv=False)
    rank = jnp.sum(S > _tolerance(S, None, rcond, A.shape), axis=-1).astype(jnp.int64)
    empty = jnp.zeros((0,), A.dtype)
    if m > n and driver != "gelsy":
        r = Bm - jnp.matmul(A, X)
        residuals = jnp.sum(jnp.abs(r) ** 2, axis=-2)
        residuals = residuals[..., 0] if vector else residuals
    else:
        residuals = empty
    sv = lax.stop_gradient(S) if driver in ("gelsd", "gelss") else jnp.zeros((0,), S.dtype)
    return (X[..., 0] if vector else X, residuals,
            rank if driver != "gels" else jnp.zeros((0,), jnp.int64), sv)


for _name, _e in (("det", _det), ("slogdet", _slogdet), ("inv", _inv), ("inv_ex", _inv_ex),
                  ("solve", _solve), ("cholesky", _cholesky), ("qr", _qr), ("eigh", _eigh),
                  ("eigvalsh", _eigvalsh), ("eig", _eig), ("eigvals", _eigvals), ("svd", _svd),
                  ("svdvals", _svdvals), ("pinv", _pinv), ("matrix_rank", _matrix_rank),
                  ("lstsq", _lstsq)):
    _LINALG[_name] = _e
# torch's top-level aliases of linalg functions.
FUNCTIONS["det"] = _det
FUNCTIONS["slogdet"] = _slogdet
FUNCTIONS["inverse"] = _inv
