"""torchlike implementation of torch's tensor printing (torch/_tensor_str.py).

``format_tensor`` turns a numpy array of a tensor's values plus its torch dtype name into exactly
the text ``repr(torch_tensor)`` gives in torch 2.13: the same choice between integer-like,
fixed-point and scientific notation for floats, the same column widths, line wrapping,
summarisation with ``...``, and the same ``dtype=`` / ``device=`` / ``grad_fn=`` suffixes.

Torch formats every element with Python's own float/int formatting (via ``Tensor.item()`` and
``tolist()``), so this module does the same on Python scalars taken from numpy. It imports only
numpy and the standard library, so the rest of the package can use it without any cycle.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "PRINT_OPTS",
    "PrintOptions",
    "format_scalar",
    "format_tensor",
    "get_printoptions",
    "printoptions",
    "set_printoptions",
]


@dataclasses.dataclass
class PrintOptions:
    """The global knobs of ``torch.set_printoptions`` (same names and defaults)."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = PrintOptions()

# ``profile`` presets; an unknown profile name is silently ignored, as in torch.
_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set the print options, like ``torch.set_printoptions``.

    A profile is applied first and explicit arguments override it. As in torch, ``sci_mode`` is
    always assigned, so omitting it goes back to automatic notation.
    """
    if profile is not None:
        for name, value in _PROFILES.get(profile, {}).items():
            setattr(PRINT_OPTS, name, value)
    explicit = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems,
                "linewidth": linewidth}
    for name, value in explicit.items():
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current options, as keyword arguments that ``set_printoptions`` accepts."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options (torch._tensor_str.printoptions)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---------------------------------------------------------------------------------------------
# Values: bring the caller's array to the exact values the torch dtype stores.

_NUMPY_STORAGE = {"float16": np.float16, "float32": np.float32, "float64": np.float64,
                  "complex64": np.complex64, "complex128": np.complex128}


def _kind(dtype_name: str) -> str:
    """'bool', 'complex', 'float' (incl. bfloat16 and float8 kinds) or 'int'."""
    if dtype_name == "bool":
        return "bool"
    if dtype_name.startswith("complex"):
        return "complex"
    if dtype_name.startswith(("float", "bfloat")):
        return "float"
    return "int"


def _round_to_bfloat16(values: np.ndarray) -> np.ndarray:
    """Round to the nearest bfloat16 (ties to even), kept in float32; exact inputs are unchanged."""
    f32 = np.asarray(values, dtype=np.float32)
    bits = f32.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return np.where(np.isnan(f32), f32, rounded.view(np.float32))


def _as_stored(values: Any, dtype_name: str) -> np.ndarray:
    """Floats and complex come back as float64/complex128 holding exactly the stored values."""
    kind = _kind(dtype_name)
    if kind == "bool":
        return np.asarray(values).astype(bool)
    if kind == "int":
        array = np.asarray(values)
        return array if array.dtype.kind in "iu" else array.astype(np.int64)
    if dtype_name == "bfloat16":
        return _round_to_bfloat16(values).astype(np.float64)
    array = np.asarray(values, dtype=_NUMPY_STORAGE.get(dtype_name))
    return array.astype(np.complex128 if kind == "complex" else np.float64)


# ---------------------------------------------------------------------------------------------
# The per-tensor formatter (torch's _Formatter): one width and one notation for all elements.


class _Formatter:
    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            self.max_width = max([1, *(len(str(v)) for v in flat.tolist())])
            return
        # Only nonzero finite values decide the notation and width; nan/inf never widen a column.
        shown = flat[np.isfinite(flat) & (flat != 0)]
        if shown.size == 0:
            return
        lo, hi = float(np.abs(shown).min()), float(np.abs(shown).max())
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        precision = PRINT_OPTS.precision
        for value in shown.tolist():
            if self.sci_mode:
                width = len(f"{value:.{precision}e}")
            elif self.int_mode:
                width = len(f"{value:.0f}") + 1  # room for the trailing "." of "3."
            else:
                width = len(f"{value:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value: Any) -> str:
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return " " * (self.max_width - len(text)) + text


_Formatters = tuple[_Formatter, "_Formatter | None"]  # (real, imag); imag only for complex


def _element_str(value: Any, formatters: _Formatters) -> str:
    real_fmt, imag_fmt = formatters
    if imag_fmt is None:
        return real_fmt.format(value)
    real = real_fmt.format(value.real)
    imag = (imag_fmt.format(value.imag) + "j").lstrip()
    return real + imag if imag[0] in "+-" else real + "+" + imag


# ---------------------------------------------------------------------------------------------
# Layout: summarised data for the formatter, then nested brackets with wrapping.


def _summarized(values: np.ndarray) -> np.ndarray:
    """The elements that will be shown when summarising (torch's get_summarized_data)."""
    edge = PRINT_OPTS.edgeitems
    if values.ndim == 0:
        return values
    if values.ndim == 1:
        # values[-0:] is the whole vector, so edgeitems=0 keeps everything here, as in torch.
        if values.shape[0] > 2 * edge:
            return np.concatenate((values[:edge], values[-edge:]))
        return values
    if not edge:
        return np.empty([0] * values.ndim, dtype=values.dtype)
    rows = range(values.shape[0])
    if values.shape[0] > 2 * edge:
        rows = [*rows[:edge], *rows[-edge:]]
    return np.stack([_summarized(values[i]) for i in rows])


def _vector_str(values: np.ndarray, indent: int, summarize: bool, fmts: _Formatters) -> str:
    # Every element of a line takes its width plus ", " (plus "j" and the imag part for complex).
    element_length = fmts[0].max_width + 2
    if fmts[1] is not None:
        element_length += fmts[1].max_width + 1
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and values.shape[0] > 2 * edge:
        head = [_element_str(v, fmts) for v in values[:edge].tolist()]
        tail = [_element_str(v, fmts) for v in values[-edge:].tolist()]
        data = [*head, " ...", *tail]
    else:
        data = [_element_str(v, fmts) for v in values.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(values: np.ndarray, indent: int, summarize: bool, fmts: _Formatters) -> str:
    if values.ndim == 0:
        return _element_str(values.item(), fmts)
    if values.ndim == 1:
        return _vector_str(values, indent, summarize, fmts)
    edge, count = PRINT_OPTS.edgeitems, values.shape[0]
    if summarize and count > 2 * edge:
        slices = [_nested_str(values[i], indent + 1, summarize, fmts) for i in range(edge)]
        slices.append("...")
        slices += [_nested_str(values[i], indent + 1, summarize, fmts)
                   for i in range(count - edge, count)]
    else:
        slices = [_nested_str(values[i], indent + 1, summarize, fmts) for i in range(count)]
    # Sub-blocks are separated by one blank line less than their depth: rows by none, etc.
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _body_str(values: np.ndarray, kind: str, indent: int) -> str:
    """The bracketed contents of a non-empty tensor (torch's _tensor_str)."""
    summarize = values.size > PRINT_OPTS.threshold
    shown = _summarized(values) if summarize else values
    if kind == "complex":
        fmts: _Formatters = (_Formatter(shown.real, True), _Formatter(shown.imag, True))
    else:
        fmts = (_Formatter(shown, kind == "float"), None)
    return _nested_str(values, indent, summarize, fmts)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ", suffix" items, moving one to a new line when it would pass the line width."""
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1  # torch's own (slightly generous) count
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(parts) + ")"


def format_tensor(
    values: np.ndarray,
    dtype_name: str,
    *,
    default_dtype_name: str = "float32",
    device: str | None = None,
    grad_fn_name: str | None = None,
    requires_grad: bool = False,
    prefix: str = "tensor(",
) -> str:
    """Return what ``repr()`` of a torch tensor with these values and attributes prints.

    ``values`` holds the tensor's elements (bfloat16 as float32 values); ``dtype_name`` is the
    torch dtype without ``torch.``; ``default_dtype_name`` is ``torch.get_default_dtype()``.
    ``prefix`` may span lines ("Parameter containing:\\ntensor("): continuation lines are
    indented by the length of its last line.
    """
    head, newline, opener = prefix.rpartition("\n")
    indent = len(opener)
    kind = _kind(dtype_name)
    array = _as_stored(values, dtype_name)
    suffixes = []
    if device is not None and device.split(":")[0] != "cpu":
        suffixes.append(f"device='{device}'")
    dtype_suffix = f"dtype=torch.{dtype_name}"
    if array.size == 0:
        # Nothing shows the dtype, so everything but the default float dtype names it.
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if dtype_name != default_dtype_name:
            suffixes.append(dtype_suffix)
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
        default_complex = "complex128" if default_dtype_name == "float64" else "complex64"
        if dtype_name not in (default_dtype_name, default_complex, "int64", "bool"):
            suffixes.append(dtype_suffix)
        body = _body_str(array, kind, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return head + newline + _add_suffixes(opener + body, suffixes, indent)


def format_scalar(value: Any, dtype_name: str, format_spec: str = "") -> str:
    """``format()`` of a 0-d tensor: torch formats its ``item()`` with the given spec."""
    return format(_as_stored(value, dtype_name).item(), format_spec)
