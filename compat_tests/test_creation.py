"""Creation functions, Tensor.new_*, and the in-place fillers (zero_/fill_/copy_) against torch."""

import numpy as np
import pytest
from helpers import check, check_error, rand_default

import torchlike

VALUES = {
    "tensor_int_list": lambda t: t.tensor([[1, 2], [3, 4]]),
    "tensor_mixed": lambda t: t.tensor([[1, 2], [3.5, 4]]),
    "tensor_bool": lambda t: t.tensor([True, False]),
    "tensor_bool_int": lambda t: t.tensor([True, 2]),
    "tensor_int_scalar": lambda t: t.tensor(3),
    "tensor_float_scalar": lambda t: t.tensor(3.5),
    "tensor_bool_float": lambda t: t.tensor([True, 1.5]),
    "tensor_complex": lambda t: t.tensor([1 + 2j, 3]),
    "tensor_empty": lambda t: t.tensor([]),
    "tensor_empty_nested": lambda t: t.tensor([[], []]),
    "tensor_tuple": lambda t: t.tensor((1, 2)),
    "tensor_np_int32": lambda t: t.tensor(np.arange(3, dtype=np.int32)),
    "tensor_np_scalar": lambda t: t.tensor(np.float32(2)),
    "tensor_np_float64_in_list": lambda t: t.tensor([np.float64(2.0), 1]),
    "tensor_np_int32_in_list": lambda t: t.tensor([np.int32(2)]),
    "tensor_np_int32_and_int": lambda t: t.tensor([np.int32(2), 1]),
    "tensor_np_bool_in_list": lambda t: t.tensor([np.bool_(True)]),
    "tensor_list_of_arrays": lambda t: t.tensor([np.array([1, 2], np.int32)] * 2),
    "tensor_row_and_array": lambda t: t.tensor([[1, 2], np.array([3, 4])]),
    "tensor_0dim_tensors": lambda t: t.tensor([t.tensor(1.0), t.tensor(2.0)]),
    "tensor_0dim_int_and_float": lambda t: t.tensor([t.tensor(1), 2.5]),
    "tensor_int32_and_int": lambda t: t.tensor([t.tensor(1, dtype=t.int32), 2]),
    "tensor_int32_and_bool": lambda t: t.tensor([t.tensor(1, dtype=t.int32), True]),
    "tensor_f64_and_int": lambda t: t.tensor([t.tensor(1.0, dtype=t.float64), 2]),
    "tensor_half_and_float": lambda t: t.tensor([t.tensor(1.0, dtype=t.float16), 2.5]),
    "tensor_one_elem_tensor": lambda t: t.tensor([t.tensor([1.5])]),
    "tensor_of_tensor": lambda t: t.tensor(t.tensor([1, 2])),
    "tensor_dtype": lambda t: t.tensor([1, 2], dtype=t.float64),
    "tensor_uint8_wrap": lambda t: t.tensor([-1], dtype=t.uint8),
    "tensor_big_int": lambda t: t.tensor([2**40]),
    "tensor_float_to_int": lambda t: t.tensor([1.7, -2.7], dtype=t.int32),
    "as_tensor_list": lambda t: t.as_tensor([1, 2]),
    "as_tensor_np": lambda t: t.as_tensor(np.array([1.0, 2.0])),
    "arange_int": lambda t: t.arange(5),
    "arange_step": lambda t: t.arange(0, 10, 3),
    "arange_float_step": lambda t: t.arange(0, 1, 0.1),
    "arange_float_start": lambda t: t.arange(1, 2.5),
    "arange_negative_step": lambda t: t.arange(0, -1, -0.3),
    "arange_float_end": lambda t: t.arange(5.0),
    "arange_odd": lambda t: t.arange(-1.5, 2.3, 0.7),
    "arange_dtype": lambda t: t.arange(0, 5, dtype=t.float64),
    "arange_tensor_end": lambda t: t.arange(t.tensor(3)),
    "arange_empty": lambda t: t.arange(3, 3),
    "range": lambda t: t.range(0, 1, 0.25),
    "linspace": lambda t: t.linspace(0, 1, 5),
    "linspace_11": lambda t: t.linspace(-3, 7, 11),
    "linspace_odd": lambda t: t.linspace(0.1, 1.7, 7),
    "linspace_1": lambda t: t.linspace(0, 1, 1),
    "linspace_0": lambda t: t.linspace(0, 1, 0),
    "linspace_int": lambda t: t.linspace(0, 10, 5, dtype=t.int64),
    "linspace_f64": lambda t: t.linspace(-2, 3, 13, dtype=t.float64),
    "linspace_long": lambda t: t.linspace(-10, 10, 1000),
    "logspace": lambda t: t.logspace(0, 2, 3),
    "logspace_base2": lambda t: t.logspace(0, 2, 3, base=2),
    "logspace_f64": lambda t: t.logspace(-1, 1, 7, dtype=t.float64),
    "eye": lambda t: t.eye(3),
    "eye_rect": lambda t: t.eye(2, 3),
    "eye_int": lambda t: t.eye(3, dtype=t.int64),
    "eye_0": lambda t: t.eye(0),
    "full_bool": lambda t: t.full((2, 3), True),
    "full_int": lambda t: t.full((2,), 3),
    "full_float": lambda t: t.full((2,), 3.0),
    "full_complex": lambda t: t.full((2,), 1j),
    "full_dtype": lambda t: t.full((2,), 3, dtype=t.float64),
    "full_0dim_int_tensor": lambda t: t.full([2], t.tensor(3)),
    "full_0dim_float_tensor": lambda t: t.full([2], t.tensor(3.0, dtype=t.float64)),
    "full_np_float64": lambda t: t.full((2,), np.float64(3.0)),
    "full_np_int32": lambda t: t.full((2,), np.int32(3)),
    "zeros_varargs": lambda t: t.zeros(2, 3),
    "zeros_tuple": lambda t: t.zeros((2, 3)),
    "zeros_dtype": lambda t: t.zeros([2, 3], dtype=t.int32),
    "ones_scalar": lambda t: t.ones(()),
    "ones_size": lambda t: t.ones(t.Size([2, 1])),
    "empty_shape": lambda t: t.empty(2, 3).zero_(),
    "zeros_like": lambda t: t.zeros_like(t.tensor([1, 2])),
    "ones_like_dtype": lambda t: t.ones_like(t.tensor([1.0, 2]), dtype=t.float64),
    "full_like_int": lambda t: t.full_like(t.tensor([1, 2]), 2.7),
    "full_like_float": lambda t: t.full_like(t.tensor([1.0, 2]), 2),
    "empty_like": lambda t: t.empty_like(t.tensor([[1, 2]])).zero_(),
    "scalar_tensor": lambda t: t.scalar_tensor(3),
    "scalar_tensor_bool": lambda t: t.scalar_tensor(True),
    "new_tensor": lambda t: t.tensor([1, 2]).new_tensor([1.5]),
    "new_tensor_f64": lambda t: t.tensor([1.0], dtype=t.float64).new_tensor([1, 2]),
    "new_tensor_from_tensor": lambda t: t.tensor([1.0, 2.0]).new_tensor(t.tensor([1, 2])),
    "new_zeros": lambda t: t.tensor([1.0, 2]).new_zeros(2, 3),
    "new_zeros_dtype": lambda t: t.tensor([1.0, 2]).new_zeros(2, dtype=t.int32),
    "new_ones": lambda t: t.tensor([1, 2]).new_ones((2,)),
    "new_full": lambda t: t.tensor([1, 2]).new_full((2,), 2.5),
    "new_empty": lambda t: t.tensor([1.0, 2], dtype=t.float64).new_empty(3).zero_(),
    "zero_": lambda t: t.tensor([1.0, 2.0]).zero_(),
    "fill_int": lambda t: t.tensor([1.0, 2.0]).fill_(3),
    "fill_trunc": lambda t: t.tensor([1, 2]).fill_(3.7),
    "fill_0dim": lambda t: t.tensor([1.0, 2.0]).fill_(t.tensor(5)),
    "fill_bool": lambda t: t.tensor([True, False]).fill_(2),
    "fill_function": lambda t: t.fill(t.zeros(2), 4.0),
    "copy_broadcast": lambda t: t.zeros(2, 3).copy_(t.tensor([1, 2, 3])),
    "copy_cast": lambda t: t.zeros(2, 3, dtype=t.int64).copy_(t.tensor([1.7, 2, 3])),
    "copy_number": lambda t: t.zeros(2).copy_(3),
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch warns on range / new_tensor(Tensor)
@pytest.mark.parametrize("name", sorted(VALUES))
def test_values(name):
    check(VALUES[name], [], grad=False)


@pytest.mark.parametrize("name", ["zeros", "ones", "full", "rand_like_free"])
def test_requires_grad_and_device(name):
    fn = {"zeros": lambda t: t.zeros(2, requires_grad=True, device="cpu"),
          "ones": lambda t: t.ones(2, 3, dtype=t.float64, requires_grad=True),
          "full": lambda t: t.full((2,), 1.5, requires_grad=True, device="cpu"),
          "rand_like_free": lambda t: t.zeros_like(t.ones(2), requires_grad=True)}[name]
    import torch
    a, b = fn(torch), fn(torchlike)
    assert b.requires_grad and b.is_leaf and a.requires_grad
    assert b.device.type == "cpu" and str(b.dtype) == str(a.dtype)


ERRORS = {
    "ragged": lambda t: t.tensor([[1, 2], [3]]),
    "ragged_longer": lambda t: t.tensor([[1], [2, 3]]),
    "ragged_deep": lambda t: t.tensor([[[1], [2]], [[3], [4, 5]]]),
    "ragged_array": lambda t: t.tensor([[1, 2], np.array([3, 4, 5])]),
    "scalar_then_list": lambda t: t.tensor([1, [2]]),
    "float_then_list": lambda t: t.tensor([1.0, [2]]),
    "list_then_scalar": lambda t: t.tensor([[1, 2], 3]),
    "str": lambda t: t.tensor("ab"),
    "str_inside": lambda t: t.tensor([[1, 2], [3, "a"]]),
    "none_inside": lambda t: t.tensor([None]),
    "int64_overflow": lambda t: t.tensor([2**63]),
    "int32_overflow": lambda t: t.tensor([2**40], dtype=t.int32),
    "uint8_overflow": lambda t: t.tensor(300, dtype=t.uint8),
    "tensors_inside": lambda t: t.tensor([t.tensor([1, 2]), t.tensor([3, 4])]),
    "int_requires_grad": lambda t: t.zeros(2, dtype=t.int64, requires_grad=True),
    "tensor_int_requires_grad": lambda t: t.tensor([1], requires_grad=True),
    "zeros_negative": lambda t: t.zeros(-1),
    "zeros_negative_tuple": lambda t: t.zeros((2, -1)),
    "ones_negative": lambda t: t.ones(2, -3),
    "empty_negative": lambda t: t.empty(-1),
    "full_negative": lambda t: t.full((-1,), 2),
    "zeros_float_size": lambda t: t.zeros(2.5),
    "zeros_float_in_list": lambda t: t.zeros([2.0, 3]),
    "zeros_float_vararg": lambda t: t.zeros(2, 3.0),
    "new_zeros_negative": lambda t: t.tensor([1, 2]).new_zeros(-1),
    "arange_zero_step": lambda t: t.arange(0, 1, 0),
    "arange_bad_sign": lambda t: t.arange(0, -1, 1),
    "arange_int_zero_step": lambda t: t.arange(1, 4, 0.5, dtype=t.int64),
    "linspace_negative": lambda t: t.linspace(0, 1, -1),
    "eye_negative_n": lambda t: t.eye(-1),
    "eye_negative_m": lambda t: t.eye(2, -1),
    "full_tensor_fill": lambda t: t.full((2,), t.tensor([3.0])),
    "fill_1dim": lambda t: t.tensor([1.0, 2.0]).fill_(t.tensor([5.0])),
    "copy_mismatch": lambda t: t.zeros(2).copy_(t.zeros(3)),
    "copy_too_many_dims": lambda t: t.zeros(3).copy_(t.zeros(2, 3)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(name):
    check_error(ERRORS[name], match_message=True)


# -- in-place fillers: autograd, views, versions ---------------------------------------------------

def test_copy_into_nonleaf_records_grad():
    def fn(t, x, y):
        z = x * 2
        z.copy_(y * 3)
        return z * x
    check(fn, [rand_default(3), rand_default(3)])


def test_copy_broadcast_grad():
    check(lambda t, x, y: (x * 1).copy_(y), [rand_default(2, 3), rand_default(3)])


def test_copy_cast_grad():
    check(lambda t, x, y: (x * 1).copy_(y), [rand_default(3), rand_default(3, dtype=np.float64)])


def test_fill_tensor_value_grad():
    check(lambda t, x, v: (x * 1).fill_(v) * x, [rand_default(3), rand_default()])


def test_zero_grad_flow():
    check(lambda t, x: (x * 2).zero_() + x, [rand_default(3)])


def test_copy_writes_through_view():
    def fn(t, x, y):
        b = x * 1
        b[1].copy_(y)
        return b
    check(fn, [rand_default(2, 3), rand_default(3)])


@pytest.mark.parametrize("fn", [lambda x: x.copy_(x.detach() * 0), lambda x: x.zero_(),
                                lambda x: x.fill_(1.0)])
def test_inplace_on_leaf_requiring_grad_raises(fn):
    check_error(lambda t, x: fn(x.requires_grad_()), [rand_default(3)], match_message=True)


def test_inplace_on_leaf_under_no_grad():
    x = torchlike.ones(3, requires_grad=True)
    with torchlike.no_grad():
        x.copy_(torchlike.tensor([1.0, 2.0, 3.0]))
        x.fill_(2.0)
    assert x.tolist() == [2.0, 2.0, 2.0] and x.requires_grad and x.is_leaf


def test_fill_bumps_version_and_view():
    base = torchlike.zeros(2, 3)
    v = base[0]
    before = base._version
    v.fill_(7.0)
    assert base._version > before
    assert base.tolist() == [[7.0, 7.0, 7.0], [0.0, 0.0, 0.0]]
