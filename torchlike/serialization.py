"""torchlike implementation of :func:`torch.save` / :func:`torch.load` in PyTorch's own file format.

The format (torch >= 1.6): a zip archive (stored, not compressed) holding ``<name>/data.pkl`` (a
protocol-2 pickle), one ``<name>/data/<key>`` record of raw little-endian bytes per storage, and
``version``/``byteorder``/``.format_version``/``.storage_alignment``/``.data/serialization_id``.
In the pickle a tensor is ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, OrderedDict())`` and a storage is a persistent id
``('storage', torch.FloatStorage, key, location, numel)``. torchlike writes those names without
importing torch (a small pickler writes the GLOBAL opcodes itself), so real torch loads our files,
and reads them back with an Unpickler that maps them to torchlike objects.

``weights_only=True`` (the default, as in torch >= 2.6) only admits tensors, containers,
primitive types and a fixed allowlist of globals; anything else raises
``pickle.UnpicklingError``. Saving is atomic: a temporary file in the target directory is renamed
over the destination only when complete.
"""

from __future__ import annotations

import _compat_pickle
import collections
import io
import os
import pickle
import struct
import sys
import tempfile
import uuid
import zipfile

import jax
import jax.numpy as jnp
import numpy as np

from . import _device, _dtype
from ._size import Size
from ._tensor import Tensor

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
_ALIGN = 64

_STORAGE_NAMES = {
    "float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
    "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
    "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage",
    "uint16": "UInt16Storage", "uint32": "UInt32Storage", "uint64": "UInt64Storage",
}
_STORAGE_DTYPES = {v: k for k, v in _STORAGE_NAMES.items()}


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

class _Global:
    """A reference to ``module.name`` written as a pickle GLOBAL without importing ``module``."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce requires a callable
        raise TypeError(f"{self.module}.{self.name} is a pickle reference, not a function")


class _StorageRef:
    __slots__ = ("dtype_name", "key", "location", "numel")

    def __init__(self, dtype_name, key, location, numel) -> None:
        self.dtype_name, self.key, self.location, self.numel = dtype_name, key, location, numel


class _TorchPickler(pickle._Pickler):
    """Pure-Python pickler that writes torch's tensor layout."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, records: list) -> None:
        super().__init__(file, protocol=DEFAULT_PROTOCOL)
        self.records = records

    def save_torch_global(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_Global] = save_torch_global

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", _Global("torch", _STORAGE_NAMES[obj.dtype_name]), obj.key,
                    obj.location, obj.numel)
        return None

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, (Tensor, _device.device, Size)):
            memo = self.memo.get(id(obj))
            if memo is not None:  # shared object: a memo reference (torch's unpickler has no POP)
                self.write(self.get(memo[0]))
                return None
        if isinstance(obj, Tensor):
            return self.save_reduce(obj=obj, *self._reduce_tensor(obj))
        if isinstance(obj, _dtype.dtype):
            return self.save_torch_global(_Global("torch", obj.name))
        if isinstance(obj, _device.device):
            return self.save_reduce(_Global("torch", "device"), (str(obj),), obj=obj)
        if isinstance(obj, Size):
            return self.save_reduce(_Global("torch", "Size"), (tuple(obj),), obj=obj)
        return super().save(obj, save_persistent_id)

    def _reduce_tensor(self, t: Tensor):
        arr = t.detach()._data
        if isinstance(arr, jax.core.Tracer):
            raise RuntimeError("torchlike.save: cannot save a traced tensor (inside compile/jit)")
        dev = t.device
        np_arr = np.ascontiguousarray(np.asarray(arr))
        key = str(len(self.records))
        self.records.append((key, np_arr))
        storage = _StorageRef(t.dtype.name, key, "cpu" if dev.type == "cpu" else str(dev),
                              int(np_arr.size))
        stride = t.stride()
        tensor_args = (storage, 0, tuple(t.shape), tuple(stride), t.requires_grad,
                       collections.OrderedDict())
        rebuild = (_Global("torch._utils", "_rebuild_tensor_v2"), tensor_args)
        if _is_parameter(t):
            # torch: _rebuild_parameter(data, requires_grad, backward_hooks)
            inner = _ReducedTensor(rebuild)
            return (_Global("torch._utils", "_rebuild_parameter"),
                    (inner, t.requires_grad, collections.OrderedDict()))
        return rebuild


class _ReducedTensor:
    """A tensor already reduced to (callable, args), nested inside a Parameter's reduction."""

    __slots__ = ("rv",)

    def __init__(self, rv) -> None:
        self.rv = rv

    def __reduce__(self):
        return self.rv


def _is_parameter(t) -> bool:
    nn = sys.modules.get("torchlike.nn.parameter")
    return nn is not None and isinstance(t, nn.Parameter)


def _write_zip(buf, name: str, pkl: bytes, records: list) -> None:
    """Write the archive to ``buf``, a seekable binary file positioned at its start."""
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        def put(rel: str, data: bytes, align: bool = False) -> None:
            info = zipfile.ZipInfo(f"{name}/{rel}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            if align:  # pad the local header's extra field so the data starts 64-byte aligned
                start = buf.tell() + 30 + len(info.filename.encode())
                pad = (-(start + 4)) % _ALIGN
                info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            z.writestr(info, data)
        put("data.pkl", pkl)
        put(".format_version", b"1")
        put(".storage_alignment", b"64")
        put("byteorder", b"little")
        for key, arr in records:
            put(f"data/{key}", arr.astype(arr.dtype.newbyteorder("<")).tobytes(), align=True)
        put("version", b"3\n")
        put(".data/serialization_id", uuid.uuid4().hex.encode().ljust(40, b"0")[:40])


def save(obj, f, pickle_module=pickle, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False):
    """torchlike implementation of :func:`torch.save` (PyTorch's zip format; atomic for paths)."""
    if pickle_module is not pickle:
        raise ValueError("torchlike.save: only the standard pickle module is supported")
    if not _use_new_zipfile_serialization:
        raise ValueError("torchlike.save: the legacy (pre-1.6) format is not supported; torch "
                         "reads the zip format written by default")
    records: list = []
    pkl = io.BytesIO()
    _TorchPickler(pkl, records).dump(obj)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        name = os.path.splitext(os.path.basename(path))[0] or "archive"
        d = os.path.dirname(os.path.abspath(path))
        # NOTE: the archive streams into ".<basename>.<random>.tmp" next to the target, which
        # os.replace swaps in only once complete and fsynced. A process killed meanwhile leaves
        # the previous file intact plus that hidden .tmp leftover (never removed automatically:
        # it may belong to a concurrent save).
        fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                _write_zip(out, name, pkl.getvalue(), records)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
    else:
        buf = io.BytesIO()  # file objects need not be seekable
        _write_zip(buf, "archive", pkl.getvalue(), records)
        f.write(buf.getvalue())


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

_SAFE_GLOBALS: dict = {}


def add_safe_globals(safe_globals: list) -> None:
    """torchlike implementation of :func:`torch.serialization.add_safe_globals`."""
    for g in safe_globals:
        if isinstance(g, tuple):
            g, name = g
        else:
            name = f"{g.__module__}.{g.__qualname__}"
        _SAFE_GLOBALS[name] = g


def get_safe_globals() -> list:
    return list(_SAFE_GLOBALS.values())


class _StorageType:
    __slots__ = ("dtype",)

    def __init__(self, dtype_name: str) -> None:
        self.dtype = getattr(_dtype, dtype_name)


def _check_storage_bounds(numel: int, offset, size, stride) -> None:
    """Reject a view reaching outside its storage (a crafted file could otherwise read memory
    past the buffer), with the errors torch raises for the same files."""
    size, stride, offset = [int(s) for s in size], [int(s) for s in stride], int(offset)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: sizes={size}, "
                           f"strides={stride}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {size}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={size} and "
                           f"strides={stride}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if 0 not in size and offset + 1 + sum((n - 1) * s for n, s in zip(size, stride)) > numel:
        raise RuntimeError("Trying to resize storage that is not resizable")


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    arr, device = storage
    _check_storage_bounds(arr.size, storage_offset, size, stride)
    itemsize = arr.dtype.itemsize
    if len(size) == 0:
        view = arr[storage_offset:storage_offset + 1].reshape(())
    else:
        view = np.lib.stride_tricks.as_strided(arr[storage_offset:], shape=tuple(size),
                                               strides=tuple(s * itemsize for s in stride))
    t = Tensor._wrap(jnp.asarray(np.array(view)) if device is None
                     else jax.device_put(np.array(view), _device.to_jax(device)))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks, *args):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad, backward_hooks)
    if state:
        p.__dict__.update(state if isinstance(state, dict) else state[0] or {})
    return p


def _rebuild_from_type_v2(func, new_type, args, state):
    """torch writes this for a tensor carrying Python attributes (``t.note = ...``)."""
    if new_type is not Tensor:
        raise pickle.UnpicklingError(f"torchlike.load: tensor subclass {new_type!r} is not "
                                     f"supported")
    t = func(*args)
    if isinstance(state, tuple):  # (__dict__ state, __slots__ state)
        state = {**(state[0] or {}), **(state[1] or {})}
    for k, v in (state or {}).items():
        setattr(t, k, v)
    return t


def _rebuild_device(s):
    return _device.device(s)


def _torch_global(module: str, name: str):
    """The torchlike object for a global that torch wrote, or None."""
    if module == "torch._utils":
        return {"_rebuild_tensor_v2": _rebuild_tensor_v2, "_rebuild_parameter": _rebuild_parameter,
                "_rebuild_parameter_with_state": _rebuild_parameter_with_state}.get(name)
    if module == "torch._tensor" and name == "_rebuild_from_type_v2":
        return _rebuild_from_type_v2
    if module == "torch":
        if name == "Tensor":
            return Tensor
        if name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        if name == "device":
            return _rebuild_device
        if name == "Size":
            return Size
        d = getattr(_dtype, name, None)
        if isinstance(d, _dtype.dtype):
            return d
    return None


# torch's weights_only allowlist outside the torch namespace (nothing more: a file loads in
# torchlike exactly when it loads in torch)
_SAFE_BUILTINS = {("collections", "OrderedDict"): collections.OrderedDict,
                  ("collections", "Counter"): collections.Counter,
                  ("builtins", "set"): set, ("builtins", "complex"): complex,
                  ("builtins", "bytearray"): bytearray}


# Never loadable under weights_only, even when allowlisted (as in torch).
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")
_UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will "
    "likely succeed, but it can result in arbitrary code execution. Do it only if you got the "
    "file from a trusted source.")
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default "
    "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _weights_only_error(module: str, name: str) -> pickle.UnpicklingError:
    """torch's error (class and message) for a global refused by ``weights_only=True``."""
    if module in _BLOCKED_MODULES:
        return pickle.UnpicklingError(
            f"Weights only load failed. {_UNSAFE_MESSAGE}\n\n\nTrying to load unsupported "
            f"GLOBAL {module}.{name} whose module {module} is blocked.{_DOCS_MESSAGE}")
    full = name if module == "builtins" else f"{module}.{name}"
    return pickle.UnpicklingError(
        "Weights only load failed. This file can still be loaded, to do so you have two options, "
        "\x1b[1mdo those steps only if you trust the source of the checkpoint\x1b[0m. "
        f"\n\t(1) {_UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` "
        "please check the recommended steps in the following error message.\n\tWeightsUnpickler "
        f"error: Unsupported global: GLOBAL {full} was not an allowed global by default. Please "
        f"use `torch.serialization.add_safe_globals([{full}])` or the "
        f"`torch.serialization.safe_globals([{full}])` context manager to allowlist this global "
        f"if you trust this class/function.{_DOCS_MESSAGE}")


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf: zipfile.ZipFile, prefix: str, map_location,
                 weights_only: bool) -> None:
        super().__init__(file)
        self.zf, self.prefix, self.map_location = zf, prefix, map_location
        self.weights_only = weights_only
        self.loaded: dict = {}

    def find_class(self, module: str, name: str):
        # NOTE: protocol 2 (torch's and ours) spells Python 2 names (__builtin__.set); map them
        # as the stdlib's find_class does (harmless for newer protocols, which never use them).
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        g = _torch_global(module, name)
        if g is not None:
            return g
        if (module, name) in _SAFE_BUILTINS:
            return _SAFE_BUILTINS[(module, name)]
        if module == "_codecs" and name == "encode":  # protocol 2 writes bytes this way
            import _codecs
            return _codecs.encode
        full = f"{module}.{name}"
        if self.weights_only and module in _BLOCKED_MODULES:
            raise _weights_only_error(module, name)
        if full in _SAFE_GLOBALS:
            return _SAFE_GLOBALS[full]
        if self.weights_only:
            raise _weights_only_error(module, name)
        if module == "torch" or module.startswith("torch."):
            module = "torchlike" + module[len("torch"):]
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"unsupported storage type {stype!r} (untyped storages "
                                         f"are not supported yet)")
        cached = self.loaded.get(key)
        if cached is None:
            raw = self.zf.read(f"{self.prefix}data/{key}")
            np_dt = stype.dtype.np.newbyteorder("<")
            cached = np.frombuffer(raw, dtype=np_dt).astype(stype.dtype.np)
            self.loaded[key] = cached
        return cached, _map_location(location, self.map_location)


def _map_location(location: str, map_location):
    """torch's map_location rules: None keeps the saved device, a str/device moves every storage,
    a dict maps location strings, a callable is not supported (raises)."""
    if map_location is None:
        target = location
    elif isinstance(map_location, (str, _device.device)):
        target = str(map_location)
    elif isinstance(map_location, dict):
        target = map_location.get(location, location)
        target = str(target)
    else:
        raise TypeError("torchlike.load: map_location must be None, a string, a torch.device or "
                        "a dict; callables are not supported")
    dev = _device.device(target)
    if dev.type == "cuda" and not _device.gpu_devices():
        raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                           "torch.cuda.is_available() is False. If you are running on a CPU-only "
                           "machine, please use torch.load with map_location=torch.device('cpu') "
                           "to map your storages to the CPU.")
    return None if dev.type == "cpu" and map_location is None else dev


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args):
    """torchlike implementation of :func:`torch.load` (``weights_only=True`` by default)."""
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError("torchlike.load: only the standard pickle module is supported")
    if mmap:
        raise ValueError("torchlike.load: mmap=True is not supported")
    if pickle_load_args:
        raise TypeError(f"torchlike.load: unsupported arguments {sorted(pickle_load_args)}")
    weights_only = True if weights_only is None else weights_only
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            data = fh.read()
    else:
        data = f.read()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise RuntimeError("torchlike.load: not a PyTorch zip checkpoint (the legacy pre-1.6 "
                           "format is not supported)")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        pkl_name = next((n for n in zf.namelist() if n.endswith("data.pkl")
                         and n.count("/") == 1), None)
        if pkl_name is None:
            raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
        prefix = pkl_name[:-len("data.pkl")]
        up = _Unpickler(io.BytesIO(zf.read(pkl_name)), zf, prefix, map_location, weights_only)
        return up.load()
