"""The Tensor object itself against torch: metadata, conversions to Python/numpy, printing, dtype
and device moves, copying/pickling, constructors, and the dtype utilities (promotion, finfo/iinfo,
the default dtype)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
from helpers import check_error, check_same

import torchlike

F = np.array([1.7, -2.2, 0.0], np.float32)


def _desc(t):
    """A Tensor as comparable data: dtype, values, requires_grad, grad_fn class name."""
    return (str(t.dtype), t.tolist(), t.requires_grad,
            None if t.grad_fn is None else type(t.grad_fn).__name__)


# -- shape, dtype, device metadata ------------------------------------------------------------

METADATA = {
    "size_repr": lambda t: [repr(t.ones(2, 3).shape), str(t.ones(2, 3).size()),
                            repr(t.tensor(1.0).shape), repr(t.ones(2, 3, 4).shape[1:]),
                            repr(t.ones(2, 3).shape + (4,))],
    "size_values": lambda t: [t.ones(2, 3).shape.numel(), t.ones(2, 3).shape == (2, 3),
                              type(t.ones(2).shape[0]).__name__, list(t.ones(2, 3).shape),
                              isinstance(t.ones(2).shape, tuple)],
    "dims": lambda t: [t.ones(2, 3).ndim, t.ones(2, 3).dim(), t.ones(2, 3).size(1),
                       t.ones(2, 3).size(-1), t.ones(2, 3).numel(), t.ones(2).nelement(),
                       t.ones(2, 3).ndimension(), t.tensor(1.0).dim(), t.ones(0, 3).numel()],
    "element_size": lambda t: [t.ones(1, dtype=d).element_size() for d in (
        t.float32, t.float64, t.float16, t.bfloat16, t.int64, t.int32, t.int8, t.uint8, t.bool,
        t.complex64)],
    "dtype_repr": lambda t: [repr(t.ones(2).dtype), str(t.tensor([1]).dtype),
                             repr(t.tensor([True]).dtype), str(t.tensor([1j]).dtype),
                             t.float32 == t.float, t.int64 is t.long],
    "dtype_flags": lambda t: [(d.is_floating_point, d.is_complex, d.is_signed, d.itemsize)
                              for d in (
        t.float32, t.bfloat16, t.int32, t.uint8, t.bool, t.complex128)],
    "device": lambda t: [repr(t.ones(2).device), str(t.ones(2).device),
                         t.ones(2).device == t.device("cpu"), t.device("cpu") == "cpu",
                         repr(t.device("cuda:1")), str(t.device("cuda", 0)),
                         t.device("cuda:1").index, t.device("cpu").type, t.device("cpu").index,
                         hash(t.device("cpu")) == hash(t.device("cpu")),
                         t.device(t.device("cuda:2")) == t.device("cuda", 2)],
    "is_cpu": lambda t: [t.ones(1).is_cuda, t.ones(1).is_cpu, t.ones(1).get_device()],
    "is_fp": lambda t: [t.ones(1).is_floating_point(), t.ones(1, dtype=t.int64).is_floating_point(),
                        t.tensor([1j]).is_complex(), t.ones(1).is_complex(),
                        t.ones(1, dtype=t.bfloat16).is_floating_point()],
    "top_level": lambda t: [t.is_tensor(t.ones(1)), t.is_tensor(1), t.is_tensor(np.ones(1)),
                            t.is_floating_point(t.ones(1)),
                            t.is_floating_point(t.ones(1, dtype=t.int32)),
                            t.is_complex(t.tensor([1j])), t.numel(t.ones(2, 3)),
                            t.is_signed(t.ones(1)), t.is_signed(t.ones(1, dtype=t.uint8))],
}


@pytest.mark.parametrize("name", sorted(METADATA))
def test_metadata(name):
    check_same(METADATA[name])


METADATA_ERRORS = {
    "size_dim": lambda t: t.ones(2, 3).size(2),
    "device_bad": lambda t: t.device("foo"),
    "top_is_fp": lambda t: t.is_floating_point(1.0),
    "top_numel": lambda t: t.numel([1]),
}


@pytest.mark.parametrize("name", sorted(METADATA_ERRORS))
def test_metadata_errors(name):
    check_error(METADATA_ERRORS[name], match_message=True)


def test_cuda_without_gpu_is_a_clear_error():
    if torchlike.cuda.is_available():
        pytest.skip("JAX sees a GPU")
    assert torchlike.cuda.is_available() == torch.cuda.is_available()
    for make in (lambda: torchlike.ones(2).to("cuda"), lambda: torchlike.ones(2, device="cuda"),
                 lambda: torchlike.ones(2).cuda()):
        with pytest.raises(RuntimeError, match="No CUDA GPUs are available"):
            make()


# -- conversions to Python and numpy -------------------------------------------------------------

CONVERSIONS = {
    "item": lambda t: [t.tensor(3.5).item(), t.tensor([2]).item(), t.tensor(True).item(),
                       type(t.tensor(3).item()).__name__, type(t.tensor(3.0).item()).__name__,
                       t.tensor([[7]], dtype=t.int32).item(), t.tensor(1.5, dtype=t.float16).item(),
                       t.tensor(1 + 2j).item()],
    "tolist": lambda t: [t.tensor([[1, 2], [3, 4]]).tolist(), t.tensor(2.5).tolist(),
                         t.ones(2, requires_grad=True).tolist(), t.tensor([True]).tolist(),
                         t.ones(0, 2).tolist()],
    "numpy": lambda t: [str(t.ones(2).numpy().dtype), type(t.ones(2).numpy()).__name__,
                        str(t.ones(2, dtype=t.int32).numpy().dtype),
                        t.tensor([1.5]).numpy().tolist(),
                        t.ones(2, requires_grad=True).detach().numpy().tolist()],
    "array_protocol": lambda t: [np.asarray(t.tensor([1.0, 2.0])).tolist(),
                                 str(np.asarray(t.tensor([1, 2])).dtype),
                                 str(np.asarray(t.tensor([1.0]), dtype=np.float64).dtype),
                                 (np.asarray(t.tensor([1.0, 2.0])) * 2).tolist()],
    "len_iter": lambda t: [len(t.ones(3, 2)), [repr(v) for v in t.tensor([[1, 2], [3, 4]])],
                           [v.item() for v in t.tensor([5.0, 6.0])]],
    "bool": lambda t: [bool(t.tensor([1.0])), bool(t.tensor(0)), bool(t.tensor([True])),
                       bool(t.tensor([[0.0]]))],
    "index": lambda t: [[10, 20, 30][t.tensor(1)], list(range(t.tensor(3))),
                        [10, 20][t.tensor([1])], list(range(t.tensor(1), t.tensor(4))),
                        "abcd"[t.tensor(2, dtype=t.int32)]],
    "int_float": lambda t: [int(t.tensor(2.7)), float(t.tensor(3)), int(t.tensor([5])),
                            float(t.tensor([1.5])), int(t.tensor(-2.7)), complex(t.tensor(2.0))],
    "format": lambda t: [f"{t.tensor(3.14159):.4f}", f"{t.tensor(3):d}", f"{t.tensor(2.5)}",
                         format(t.tensor(1.5), ""), f"{t.ones(2)}", f"{t.tensor(7):>4}",
                         f"{t.tensor(True)}"],
}


@pytest.mark.parametrize("name", sorted(CONVERSIONS))
def test_conversions(name):
    check_same(CONVERSIONS[name])


CONVERSION_ERRORS = {
    "item_multi": lambda t: t.ones(2).item(),
    "item_empty": lambda t: t.ones(0).item(),
    "numpy_requires_grad": lambda t: t.ones(2, requires_grad=True).numpy(),
    "array_requires_grad": lambda t: np.asarray(t.ones(2, requires_grad=True)),
    "len_0d": lambda t: len(t.tensor(1.0)),
    "iter_0d": lambda t: list(t.tensor(1.0)),
    "bool_ambiguous": lambda t: bool(t.ones(2)),
    "bool_empty": lambda t: bool(t.ones(0)),
    "if_ambiguous": lambda t: 1 if t.tensor([1, 2]) > 0 else 0,
    "index_float": lambda t: [1, 2][t.tensor(1.0)],
    "index_multi": lambda t: [1, 2][t.tensor([0, 1])],
    "int_multi": lambda t: int(t.ones(2)),
    "float_multi": lambda t: float(t.ones(3)),
    "format_multi": lambda t: f"{t.ones(2):.2f}",
}


@pytest.mark.parametrize("name", sorted(CONVERSION_ERRORS))
def test_conversion_errors(name):
    check_error(CONVERSION_ERRORS[name], match_message=True)


# -- printing ----------------------------------------------------------------------------------

REPRS = {
    "ints": lambda t: t.tensor([1, 2, 3]), "int_2d": lambda t: t.tensor([[1, -20], [300, 4]]),
    "floats": lambda t: t.tensor([1.5, 2.0, -3.25]),
    "integral_floats": lambda t: t.tensor([1.0, 2.0]),
    "big": lambda t: t.tensor([1e10, 1.0]), "small": lambda t: t.tensor([1e-5, 1.0]),
    "sci": lambda t: t.tensor([1e-8, 1e8]),
    "nan_inf": lambda t: t.tensor([float("nan"), float("inf"), -float("inf"), 1.5]),
    "0d_float": lambda t: t.tensor(3.5), "0d_int": lambda t: t.tensor(3),
    "0d_bool": lambda t: t.tensor(True), "bool": lambda t: t.tensor([True, False]),
    "empty": lambda t: t.tensor([]), "empty_2d": lambda t: t.ones(0, 3),
    "empty_int": lambda t: t.ones(0, dtype=t.int64),
    "empty_f64": lambda t: t.ones(0, dtype=t.float64),
    "empty_f64_2d": lambda t: t.ones(2, 0, dtype=t.float64),
    "requires_grad": lambda t: t.tensor([1.0, 2.0], requires_grad=True),
    "requires_grad_0d": lambda t: t.tensor(1.0, requires_grad=True),
    "requires_grad_f64": lambda t: t.tensor([1.0], dtype=t.float64, requires_grad=True),
    "grad_fn": lambda t: t.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn_sum": lambda t: (t.tensor([1.0, 2.0], requires_grad=True) * 2).sum(),
    "grad_fn_f64": lambda t: t.tensor([1.0, 2.0], requires_grad=True).double(),
    "f64": lambda t: t.tensor([1.0, 2.0], dtype=t.float64),
    "f64_0d": lambda t: t.tensor(2.0, dtype=t.float64),
    "f16": lambda t: t.tensor([1.0, 2.5], dtype=t.float16),
    "f16_0d": lambda t: t.tensor(1.5, dtype=t.float16),
    "bf16": lambda t: t.tensor([1.0, 2.5], dtype=t.bfloat16),
    "i32": lambda t: t.tensor([1, 2], dtype=t.int32),
    "i32_0d": lambda t: t.tensor(2, dtype=t.int32),
    "i16": lambda t: t.tensor([1, 2], dtype=t.int16),
    "i8": lambda t: t.tensor([1, 2], dtype=t.int8),
    "u8": lambda t: t.tensor([1, 2], dtype=t.uint8),
    "c64": lambda t: t.tensor([1 + 2j, 3 - 1j]),
    "c128": lambda t: t.tensor([1 + 2j], dtype=t.complex128),
    "summarized": lambda t: t.arange(2000).float(), "3d": lambda t: t.arange(24).reshape(2, 3, 4),
    "neg_floats": lambda t: t.tensor([[-1.5, 2.25], [3.0, -4.125]]),
    "wrapped": lambda t: t.arange(30.0) / 7, "large_ints": lambda t: t.tensor([123456789, 1]),
}


@pytest.mark.parametrize("name", sorted(REPRS))
def test_repr(name):
    check_same(lambda t: [repr(REPRS[name](t)), str(REPRS[name](t))])


PRINTOPTIONS = {
    "precision": ({"precision": 2}, lambda t: t.tensor([1.23456, 2.0])),
    "threshold": ({"threshold": 5, "edgeitems": 2}, lambda t: t.arange(10)),
    "sci_mode": ({"sci_mode": True}, lambda t: t.tensor([1.5, 2.0])),
    "linewidth": ({"linewidth": 20}, lambda t: t.arange(12.0)),
}


@pytest.mark.parametrize("name", sorted(PRINTOPTIONS))
def test_set_printoptions(name):
    opts, make = PRINTOPTIONS[name]

    def fn(t):
        t.set_printoptions(**opts)
        try:
            return repr(make(t))
        finally:
            t.set_printoptions(profile="default")
            t.set_printoptions(sci_mode=None)
    check_same(fn)
    check_same(lambda t: repr(make(t)))  # restored


# -- dtype / device moves ----------------------------------------------------------------------

CASTS = ["float", "double", "long", "int", "half", "bool", "short", "byte", "char", "bfloat16"]


@pytest.mark.parametrize("method", CASTS)
def test_cast_methods(method):
    check_same(lambda t: _desc(getattr(t.tensor(F), method)()))


TO = {
    "dtype": lambda t, x: x.to(t.float64), "int": lambda t, x: x.to(t.int64),
    "device_str": lambda t, x: x.to("cpu"), "device": lambda t, x: x.to(t.device("cpu")),
    "other": lambda t, x: x.to(t.ones(1, dtype=t.float64)),
    "device_and_dtype": lambda t, x: x.to("cpu", t.float64),
    "kwargs": lambda t, x: x.to(device="cpu", dtype=t.float16),
    "type_dtype": lambda t, x: x.type(t.float64),
    "type_str": lambda t, x: x.type("torch.IntTensor"),
    "type_as": lambda t, x: x.type_as(t.ones(1, dtype=t.int32)),
}


@pytest.mark.parametrize("name", sorted(TO))
def test_to(name):
    check_same(lambda t: _desc(TO[name](t, t.tensor(F))))


def test_to_identity_and_copy():
    def fn(t):
        x = t.tensor(F)
        return [x.to(t.float32) is x, x.to("cpu") is x, x.cpu() is x, x.float() is x,
                x.to(t.float32, copy=True) is x, x.to(x) is x]
    check_same(fn)


def test_autograd_through_casts():
    def fn(t):
        a = t.tensor([1.5, 2.0], requires_grad=True)
        b = a.double()
        (b ** 2).sum().backward()
        c = t.tensor([1.5, 2.0], dtype=t.float64, requires_grad=True)
        (c.to(t.float32) * 3).sum().backward()
        d = t.tensor([1.5], requires_grad=True)
        return [_desc(b), _desc(a.grad), _desc(c.grad), _desc(d.long()), _desc(d.half()),
                _desc(d.to("cpu", t.float64))]
    check_same(fn)


def test_legacy_type_strings():
    check_same(lambda t: [t.ones(1, dtype=d).type() for d in (
        t.float32, t.float64, t.float16, t.bfloat16, t.int64, t.int32, t.int16, t.int8, t.uint8,
        t.bool)])


def test_type_errors():
    check_error(lambda t: t.ones(1).type("torch.Foo"))


# -- copying, pickling, constructors ------------------------------------------------------------

def test_deepcopy():
    def fn(t):
        a = t.tensor([1.0, 2.0], requires_grad=True)
        a.grad = t.tensor([3.0, 4.0])
        b = copy.deepcopy(a)
        b.data.add_(1)
        shared = [t.ones(2)] * 2
        c = copy.deepcopy(shared)
        return [_desc(a), _desc(b), _desc(b.grad), b.is_leaf, b is a, c[0] is c[1],
                _desc(copy.copy(t.tensor([1.0, 2.0])))]
    check_same(fn)


def test_deepcopy_nonleaf_error():
    check_error(lambda t: copy.deepcopy(t.tensor([1.0], requires_grad=True) * 2),
                match_message=True)


def test_pickle_round_trip():
    def fn(t):
        out = []
        for a in (t.tensor([1.0, 2.0]), t.tensor([1, 2], dtype=t.int32),
                  t.tensor([1.0], requires_grad=True), t.tensor(True),
                  t.tensor([1.5], dtype=t.bfloat16), t.tensor([1.5], dtype=t.float16),
                  t.ones(0, 2), t.tensor([1 + 1j])):
            b = pickle.loads(pickle.dumps(a))
            out.append((_desc(b), tuple(b.shape), b.is_leaf))
        out.append([repr(pickle.loads(pickle.dumps(v)))
                    for v in (t.float64, t.device("cpu"), t.Size([2, 3]))])
        return out
    check_same(fn)


CONSTRUCTORS = {
    "list": lambda t: t.Tensor([1, 2]), "nested": lambda t: t.Tensor([[1, 2], [3, 4]]),
    "sizes": lambda t: t.Tensor(2, 3).zero_(), "empty": lambda t: t.Tensor(),
    "numpy": lambda t: t.Tensor(np.array([1, 2], np.int64)),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_tensor_constructor(name):
    check_same(lambda t: [_desc(CONSTRUCTORS[name](t)), tuple(CONSTRUCTORS[name](t).shape),
                          isinstance(CONSTRUCTORS[name](t), t.Tensor)])


def test_tensor_constructor_error():
    check_error(lambda t: t.Tensor("abc"), match_message=True)


# -- dtype utilities -----------------------------------------------------------------------------

DTYPE_UTILS = {
    "result_type": lambda t: [str(t.result_type(*args)) for args in (
        (t.ones(2, dtype=t.int32), 1.0), (t.ones(2, dtype=t.int32), t.tensor(1, dtype=t.int64)),
        (t.ones(2, dtype=t.uint8), -1), (t.tensor(1.0), t.ones(2, dtype=t.int32)), (2, 3.0),
        (t.ones(2, dtype=t.float16), t.tensor(1.0, dtype=t.float64)), (t.tensor([True]), 2),
        (t.tensor([1]), 1j), (t.tensor(1, dtype=t.int8), t.tensor(1, dtype=t.uint8)))],
    "promote_types": lambda t: [str(t.promote_types(a, b))
                                for a in (t.uint8, t.int8, t.int32, t.float16, t.bfloat16, t.bool,
                                          t.complex64)
                                for b in (t.int8, t.int64, t.float16, t.bfloat16, t.float64,
                                          t.bool)],
    "can_cast": lambda t: [t.can_cast(a, b)
                           for a in (t.uint8, t.int32, t.float32, t.bool, t.complex64)
                           for b in (t.int8, t.float16, t.bool, t.complex128)],
    "finfo": lambda t: [(f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution,
                         f.dtype, repr(f))
                        for f in (t.finfo(), t.finfo(t.float64), t.finfo(t.float16),
                                  t.finfo(t.bfloat16), t.finfo(t.complex64))],
    "iinfo": lambda t: [(i.bits, i.min, i.max, i.dtype, repr(i))
                        for i in (t.iinfo(t.int64), t.iinfo(t.uint8), t.iinfo(t.int8),
                                  t.iinfo(t.int32), t.iinfo(t.int16))],
}


@pytest.mark.parametrize("name", sorted(DTYPE_UTILS))
def test_dtype_utils(name):
    check_same(DTYPE_UTILS[name])


DTYPE_ERRORS = {
    "finfo_int": lambda t: t.finfo(t.int32),
    "iinfo_float": lambda t: t.iinfo(t.float32),
    "iinfo_bool": lambda t: t.iinfo(t.bool),
    "default_int": lambda t: t.set_default_dtype(t.int64),
}


@pytest.mark.parametrize("name", sorted(DTYPE_ERRORS))
def test_dtype_errors(name):
    check_error(DTYPE_ERRORS[name], match_message=name != "finfo_int")


def _default_dtype_probe(t):
    return [str(t.get_default_dtype()), str(t.tensor(1.5).dtype), str(t.ones(2).dtype),
            str(t.tensor([1, 2]).dtype), str((t.tensor([1, 2]) / 2).dtype),
            str(t.arange(3.0).dtype), str(t.zeros(1).dtype),
            str(t.tensor(1.5, dtype=t.float32).dtype), str((t.ones(2, dtype=t.int32) * 1.5).dtype),
            str(t.tensor([1, 2]).sin().dtype), str(t.Tensor([1]).dtype),
            str(t.full((1,), 2.0).dtype), str((t.tensor([1, 2]) + 0.5).dtype)]


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_set_default_dtype(dtype):
    check_same(_default_dtype_probe)  # warm the op caches with the float32 default first

    def fn(t):
        t.set_default_dtype(getattr(t, dtype))
        try:
            return _default_dtype_probe(t)
        finally:
            t.set_default_dtype(t.float32)
    check_same(fn)
    check_same(_default_dtype_probe)  # restored, and the caches follow
