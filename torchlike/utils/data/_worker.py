"""DataLoader worker processes: the loop each worker runs, worker info, error transport.

JAX cannot run in a forked child (its runtime threads do not survive ``fork``; the first JAX call
deadlocks), so a worker never touches JAX: it runs in *host mode*, where torchlike's collation,
TensorDataset and the transforms of :mod:`torchlike.vision.transforms` build numpy-backed tensors,
which pickle as numpy arrays and become device arrays in the main process, once per batch. The
main process uses host mode too while it fetches the samples of a batch that default collation
will move to the device (one transfer per batch instead of several per sample). A watchdog
thread turns the deadlock of a dataset that runs a tensor operation in a worker anyway into a
clear error in the main process instead of a hang.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import random
import sys
import threading
import time
import traceback

import jax.numpy as jnp
import numpy as np

from ..._tensor import Tensor

__all__ = ["WorkerInfo", "get_worker_info", "host_samples", "host_tensor", "in_host_mode"]

# Seconds a worker may spend inside JAX before it is declared deadlocked (a module attribute, so
# tests can shorten it before the workers fork).
JAX_WATCHDOG_S = 5.0
# How often a blocked ``get`` wakes up to check that the other side is still alive.
POLL_S = 0.2


class _State:
    """This process's data-loading state: ``info`` is None in the main process; ``worker`` is True
    in a worker process; ``host`` is True while samples are made for a DataLoader (in a worker, or
    in the main process during a fetch that default collation will move to the device)."""

    info = None
    worker = False
    host = False


_state = _State()


def in_host_mode() -> bool:
    """True while tensors must stay numpy-backed (a worker, or a DataLoader fetch)."""
    return _state.host


def host_tensor(arr: np.ndarray):
    """A Tensor around host array ``arr``: numpy-backed in host mode (samples a DataLoader is
    about to collate), a device array otherwise."""
    return Tensor._wrap(arr if _state.host else jnp.asarray(arr))


@contextlib.contextmanager
def host_samples(enabled: bool = True):
    """Make samples numpy-backed inside the block (one device transfer per batch, not per
    sample: default collation stacks them on the host)."""
    old = _state.host
    _state.host = old or enabled
    try:
        yield
    finally:
        _state.host = old


class WorkerInfo:
    """torchlike implementation of torch's ``WorkerInfo`` (``id``, ``num_workers``, ``seed``,
    ``dataset``); its attributes cannot be reassigned."""

    __initialized = False

    def __init__(self, **kwargs) -> None:
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{self.__class__.__name__}({items})"


def get_worker_info():
    """torchlike implementation of :func:`torch.utils.data.get_worker_info`: the
    :class:`WorkerInfo` in a worker process, None in the main process."""
    return _state.info


class _KeyErrorMessage(str):
    """A KeyError shows ``repr`` of its message: keep the traceback readable."""

    def __repr__(self) -> str:
        return self


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback."""

    def __init__(self, where: str) -> None:
        exc_type = sys.exc_info()[0]
        self.exc_name = exc_type.__name__
        try:
            pickle.dumps(exc_type)
        except Exception:  # noqa: BLE001 - a class local to a function cannot be pickled
            exc_type = RuntimeError  # re-raised as RuntimeError, still naming the original
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(*sys.exc_info()))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:  # noqa: BLE001 - the class wants other constructor arguments
            raise RuntimeError(msg) from None
        raise exc


class IterableEnd:
    """Sent by a worker whose IterableDataset iterator is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class WorkerFatal:
    """Sent by a worker's watchdog before the worker exits."""

    def __init__(self, msg: str) -> None:
        self.msg = msg


RESUME = "resume"  # a persistent worker starts a new epoch (and acknowledges with RESUME)


def _jax_dirs() -> tuple:
    import jax
    import jaxlib
    return tuple(os.path.dirname(m.__file__) + os.sep for m in (jax, jaxlib))


def _watchdog(main_ident: int, result_queue, worker_id: int, limit: float) -> None:
    dirs, step, stuck = _jax_dirs(), 0.1, 0.0
    while True:
        time.sleep(step)
        frame = sys._current_frames().get(main_ident)
        if frame is None:
            return
        in_jax = any(f.f_code.co_filename.startswith(dirs) for f, _ in traceback.walk_stack(frame))
        stuck = stuck + step if in_jax else 0.0
        if stuck >= limit:
            stack = "".join(traceback.format_stack(frame)[-15:])
            result_queue.put((None, WorkerFatal(
                f"DataLoader worker process {worker_id} is blocked in JAX: JAX cannot run in a "
                f"forked worker process (a tensor operation ran in the dataset, a transform or "
                f"collate_fn). Return numpy arrays, Python numbers or the tensors that "
                f"torchlike.vision.transforms build, or pass multiprocessing_context='spawn' "
                f"or 'forkserver' to the DataLoader, or use num_workers=0. Worker stack:\n"
                f"{stack}")))
            result_queue.close()
            result_queue.join_thread()
            os._exit(1)


def _seed_worker(seed: int, base_seed: int, worker_id: int) -> None:
    from ... import _random
    random.seed(seed)
    _random.manual_seed(seed)  # NOTE: numpy-only (no JAX): the key is built on the host
    # NOTE: torch seeds numpy from its own hash of (base_seed, worker_id); numpy's SeedSequence
    # gives distinct, reproducible streams too, but not torch's values.
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))


class _Fetcher:
    """Turns one task (a batch of indices, one index, or None for an IterableDataset) into data.

    ``host``: make the samples numpy-backed (see :func:`host_samples`), for a collate_fn that
    moves them to the device (or in a worker, where everything stays on the host)."""

    def __init__(self, dataset, iterable, auto_collation, collate_fn, drop_last, batch_size,
                 host):
        self.dataset, self.iterable = dataset, iterable
        self.auto_collation, self.collate_fn = auto_collation, collate_fn
        self.drop_last, self.batch_size = drop_last, batch_size
        self.host = host
        self.it = None

    def fetch(self, index):
        with host_samples(self.host):
            samples = self._samples(index)
        return self.collate_fn(samples)

    def _samples(self, index):
        if self.iterable:
            if self.it is None:
                self.it = iter(self.dataset)
            if not self.auto_collation:
                return next(self.it)
            batch = []
            for x in self.it:
                batch.append(x)
                if len(batch) == self.batch_size:
                    break
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                raise StopIteration
            return batch
        if not self.auto_collation:
            return self.dataset[index]
        getitems = getattr(self.dataset, "__getitems__", None)
        return getitems(index) if getitems is not None else [self.dataset[i] for i in index]


def worker_loop(dataset, iterable, index_queue, result_queue, done_event, auto_collation,
                collate_fn, drop_last, batch_size, base_seed, init_fn, worker_id, num_workers,
                forked, watchdog_s) -> None:
    """The body of one worker process (``forked``: started by fork, so JAX is off limits)."""
    seed = base_seed + worker_id
    _state.worker = _state.host = True
    _state.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    if forked:
        threading.Thread(target=_watchdog, args=(threading.get_ident(), result_queue, worker_id,
                                                 watchdog_s), daemon=True).start()
    parent = os.getppid()
    where = f"in DataLoader worker process {worker_id}"
    init_error = None
    try:
        _seed_worker(seed, base_seed, worker_id)
        if init_fn is not None:
            init_fn(worker_id)
    except Exception:  # noqa: BLE001 - reported in the main process with the first task
        init_error = ExceptionWrapper(where)
    fetcher = _Fetcher(dataset, iterable, auto_collation, collate_fn, drop_last, batch_size, True)
    ended = False
    try:
        while True:
            try:
                task = index_queue.get(timeout=POLL_S)
            except queue.Empty:
                # NOTE: the main process may be unable to send None: when its iterator is
                # garbage-collected, the index queues can be finalized (their feeder threads
                # stopped) before the iterator's __del__ runs; the event always gets through.
                if done_event.is_set() or os.getppid() != parent:  # main is done or gone
                    break
                continue
            if task is None:
                break
            if task == RESUME:
                fetcher.it, ended = None, False
                result_queue.put((RESUME, None))
                continue
            if done_event.is_set() or ended:
                continue
            idx, index = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    data, ended = IterableEnd(worker_id), True
                except Exception:  # noqa: BLE001 - every error goes to the main process
                    data = ExceptionWrapper(where)
            result_queue.put((idx, data))
            del data
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        result_queue.cancel_join_thread()
        result_queue.close()
