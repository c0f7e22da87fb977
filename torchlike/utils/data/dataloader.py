"""torchlike implementation of :class:`torch.utils.data.DataLoader`, with worker processes."""

from __future__ import annotations

import itertools
import multiprocessing
import queue
import warnings

from . import _worker
from ._collate import default_collate, default_convert
from ._worker import ExceptionWrapper, IterableEnd, WorkerFatal, get_worker_info
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


class _InfiniteNone:
    """The index sampler of an IterableDataset: each task is "the next item/batch"."""

    def __iter__(self):
        return itertools.repeat(None)


class DataLoader:
    """torchlike implementation of :class:`torch.utils.data.DataLoader`.

    Differences: forked workers (torch's default on Linux) never run JAX (it cannot run in a
    forked process): collation, TensorDataset and the transforms of
    :mod:`torchlike.vision.transforms` build numpy-backed tensors there, which become device arrays
    in the main process once per batch; a forked worker that calls into JAX anyway (a tensor
    operation in the dataset) is stopped with a clear error instead of deadlocking (with
    ``multiprocessing_context="spawn"`` or ``"forkserver"`` workers can run tensor operations).
    Each worker seeds ``random``, torchlike and numpy with ``base_seed + worker_id`` as torch does,
    but numpy's seed is derived differently. ``pin_memory`` is accepted and has no effect.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None:
            if num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got num_workers={num_workers}")
            methods = multiprocessing.get_all_start_methods()
            if isinstance(multiprocessing_context, str):
                if multiprocessing_context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={multiprocessing_context!r}")
                multiprocessing_context = multiprocessing.get_context(multiprocessing_context)
            elif not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context "
                                f"object or a string specifying the start method, but got "
                                f"multiprocessing_context={multiprocessing_context}")
        self.dataset = dataset
        self.num_workers = num_workers
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._iterable = isinstance(dataset, IterableDataset)
        self._iterator = None
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self._auto_collation = batch_sampler is not None or (self._iterable and
                                                             batch_size is not None)
        self.collate_fn = collate_fn or (default_collate if self._auto_collation
                                         else default_convert)

    def _index_sampler(self):
        if self._iterable:
            return _InfiniteNone()
        return self.batch_sampler if self._auto_collation else self.sampler

    def _base_seed(self) -> int:
        # NOTE: drawn for every new iterator, workers or not, as torch does: the generator then
        # advances alike and shuffles agree whatever num_workers is.
        from ... import empty, int64
        return empty((), dtype=int64).random_(generator=self.generator).item()

    def __iter__(self):
        if self.num_workers == 0:
            self._base_seed()  # drawn and unused, as in torch (see _base_seed)
            return self._single_process()
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset()
            return self._iterator
        return _MultiProcessIter(self)

    def _single_process(self):
        # Host-mode samples only where the collate_fn is ours: it moves them to the device.
        host = self.collate_fn in (default_collate, default_convert)
        fetcher = _worker._Fetcher(self.dataset, self._iterable, self._auto_collation,
                                   self.collate_fn, self.drop_last, self.batch_size, host)
        for index in self._index_sampler():
            try:
                data = fetcher.fetch(index)
            except StopIteration:
                return
            yield data

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)


def _prepare_host(dataset, depth: int = 0) -> None:
    """Give the datasets that hold tensors (TensorDataset, also inside Subset, ConcatDataset,
    StackDataset, ChainDataset) their numpy copies before the workers fork."""
    prepare = getattr(dataset, "_prepare_host", None)
    if callable(prepare):
        prepare()
    if depth > 8:
        return
    inner = [getattr(dataset, "dataset", None)]
    datasets = getattr(dataset, "datasets", None)
    if isinstance(datasets, dict):
        inner += list(datasets.values())
    elif isinstance(datasets, (list, tuple)):
        inner += list(datasets)
    for d in inner:
        if d is not None:
            _prepare_host(d, depth + 1)


class _MultiProcessIter:
    """The iterator over a DataLoader with workers: indices are drawn here, in the main process,
    sent round-robin to the workers, and the results are delivered in index order."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._n = loader.num_workers
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        self._prefetch = loader.prefetch_factor
        self._shutdown_done = True  # until the workers exist
        base_seed = loader._base_seed()
        ctx = loader.multiprocessing_context or multiprocessing.get_context("fork")
        self._result_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._index_queues, self._workers = [], []
        self._shutdown_done = False  # from here on, __del__ stops what was started
        bs = loader.batch_size if loader._iterable else None
        forked = ctx.get_start_method() == "fork"
        if forked:
            _prepare_host(loader.dataset)
        for wid in range(self._n):
            iq = ctx.Queue()
            iq.cancel_join_thread()
            w = ctx.Process(target=_worker.worker_loop, daemon=True, args=(
                loader.dataset, loader._iterable, iq, self._result_queue, self._done_event,
                loader._auto_collation, loader.collate_fn, loader.drop_last, bs, base_seed,
                loader.worker_init_fn, wid, self._n, forked, _worker.JAX_WATCHDOG_S))
            with warnings.catch_warnings():
                # JAX warns on every fork; the workers never call into JAX (see _worker).
                warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called",
                                        category=RuntimeWarning)
                w.start()
            self._index_queues.append(iq)
            self._workers.append(w)
        self._reset(first=True)

    def _reset(self, first: bool = False) -> None:
        self._sampler_iter = iter(self._loader._index_sampler())
        self._send_idx = self._rcvd_idx = 0
        self._task_info: dict = {}  # idx -> (worker,) while pending, (worker, data) once here
        self._active = [True] * self._n
        self._cycle = itertools.cycle(range(self._n))
        if not first:  # a persistent iterator starts a new epoch: drop what the last one left
            for q in self._index_queues:
                q.put(_worker.RESUME)
            acks = 0
            while acks < self._n:
                idx, data = self._get()
                if idx == _worker.RESUME:
                    acks += 1
                elif isinstance(data, WorkerFatal):
                    self._fatal(data)
        for _ in range(self._prefetch * self._n):
            self._put_index()

    def _put_index(self) -> None:
        for _ in range(self._n):
            wid = next(self._cycle)
            if self._active[wid]:
                break
        else:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        self._index_queues[wid].put((self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._send_idx += 1

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._active[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)  # delivered, or its worker is done
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._deliver(info[1])
            idx, data = self._get()
            if isinstance(data, WorkerFatal):
                self._fatal(data)
            if isinstance(data, IterableEnd):
                self._active[data.worker_id] = False
                del self._task_info[idx]
                continue
            if idx != self._rcvd_idx:
                if self._in_order:
                    self._task_info[idx] += (data,)
                    continue
                del self._task_info[idx]
                return self._deliver(data)
            del self._task_info[idx]
            self._rcvd_idx += 1
            return self._deliver(data)

    def _deliver(self, data):
        self._put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _fatal(self, data: WorkerFatal):
        self._shutdown()
        raise RuntimeError(data.msg)

    def _get(self):
        """The next (idx, data) from any worker, watching the workers and the timeout."""
        waited = 0.0
        while True:
            step = _worker.POLL_S
            if self._timeout > 0:
                step = min(step, self._timeout - waited)
            try:
                return self._result_queue.get(timeout=step)
            except queue.Empty:
                waited += step
            dead = [w for w in self._workers if not w.is_alive()]
            if dead:
                try:  # a dying worker's last message (the watchdog's report) may be in flight
                    return self._result_queue.get(timeout=_worker.POLL_S)
                except queue.Empty:
                    pass
                self._shutdown()
                pids = ", ".join(str(w.pid) for w in dead)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
            if self._timeout > 0 and waited >= self._timeout:
                self._shutdown()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _shutdown(self) -> None:
        if self._shutdown_done:
            return
        self._shutdown_done = True
        self._done_event.set()
        for q in self._index_queues:
            q.put(None)
        for w in self._workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
                w.join()
        for q in self._index_queues:
            q.close()
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self):
        self._shutdown()
