"""DataLoader worker processes (num_workers > 0) against num_workers=0 and torch's DataLoader."""

import os
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import torchlike
import torchlike.utils.data as lud
import torchlike.vision
from torchlike.utils.data import _worker

# torch's forked workers trip JAX's fork warning (they never call into JAX).
pytestmark = pytest.mark.filterwarnings(r"ignore:os\.fork\(\) was called:RuntimeWarning")


def _np(batch):
    """A batch (nested lists/tuples/dicts of tensors) as nested Python values, for comparison."""
    if isinstance(batch, (torch.Tensor, torchlike.Tensor)):
        return (str(batch.dtype), batch.numpy().tolist())
    if isinstance(batch, dict):
        return {k: _np(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch).__name__, [_np(b) for b in batch]
    return batch


class Squares:
    """A map-style dataset of (float32 array, int, dict) samples; no tensors, no JAX."""

    def __len__(self):
        return 23

    def __getitem__(self, i):
        return np.full((2, 2), i * i, np.float32), i, {"half": i / 2, "name": f"s{i}"}


class Boom:
    def __init__(self, exc=ValueError):
        self.exc = exc

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise self.exc("bad sample 5")
        return i


def _lists(loader):
    return [_np(b) for b in loader]


def _raises(exc, loader):
    """The exception that iterating ``loader`` raises; its workers are shut down at once (torch's
    iterator, left to the garbage collector, waits 5 s for each worker)."""
    it = iter(loader)
    with pytest.raises(exc) as e:
        list(it)
    shutdown = getattr(it, "_shutdown_workers", None) or it._shutdown
    shutdown()
    return e.value


@pytest.mark.parametrize("kwargs", [
    {"batch_size": 4},
    {"batch_size": 4, "drop_last": True},
    {"batch_size": None},
    {"batch_size": 5, "shuffle": True},
    {"batch_size": 3, "in_order": False},
    {"batch_size": 4, "prefetch_factor": 1},
])
def test_workers_match_single_process(kwargs):
    ds = Squares()
    kw0 = {k: v for k, v in kwargs.items() if k not in ("prefetch_factor", "in_order")}
    torchlike.manual_seed(3)
    want = _lists(lud.DataLoader(ds, num_workers=0, **kw0))
    torchlike.manual_seed(3)
    got = _lists(lud.DataLoader(ds, num_workers=2, **kwargs))
    if kwargs.get("in_order") is False:
        got, want = sorted(got, key=repr), sorted(want, key=repr)
    assert got == want
    if not kwargs.get("shuffle"):  # same values, dtypes and structure as torch's workers
        kwt = {k: v for k, v in kwargs.items() if k != "in_order"}
        t = _lists(tud.DataLoader(ds, num_workers=2, **kwt))
        assert sorted(t, key=repr) == sorted(got, key=repr)


def test_generator_shuffle_and_tensor_dataset():
    x = torchlike.arange(60.0).reshape(30, 2)
    ds = lud.Subset(lud.TensorDataset(x, torchlike.arange(30)), list(range(3, 30)))
    runs = []
    for nw in (0, 2, 0):
        g = torchlike.Generator().manual_seed(7)
        runs.append(_lists(lud.DataLoader(ds, batch_size=4, shuffle=True, generator=g,
                                          num_workers=nw)))
    assert runs[0] == runs[1] == runs[2]
    batch = next(iter(lud.DataLoader(ds, batch_size=4, num_workers=2)))
    assert batch[0].device == torchlike.device("cpu") and batch[0].dtype == torchlike.float32
    assert (batch[0][:, 0] == 2 * batch[1]).all()


class Shards(tud.IterableDataset, lud.IterableDataset):
    """Each worker yields its share of range(start, end), as torch's docs do it."""

    def __init__(self, start, end, info):
        self.start, self.end, self.info = start, end, info

    def __iter__(self):
        w = self.info()
        if w is None:
            return iter(range(self.start, self.end))
        per = -(-(self.end - self.start) // w.num_workers)
        lo = self.start + w.id * per
        return iter(range(lo, min(lo + per, self.end)))


@pytest.mark.parametrize("batch_size,drop_last", [(None, False), (2, False), (2, True)])
def test_iterable_sharding_matches_torch(batch_size, drop_last):
    t = tud.DataLoader(Shards(3, 14, tud.get_worker_info), num_workers=2, batch_size=batch_size,
                       drop_last=drop_last)
    lo = lud.DataLoader(Shards(3, 14, lud.get_worker_info), num_workers=2,
                        batch_size=batch_size, drop_last=drop_last)
    assert _lists(lo) == _lists(t)
    single = lud.DataLoader(Shards(3, 14, lud.get_worker_info), batch_size=batch_size,
                            drop_last=drop_last)
    assert sorted(_np(v) for b in lo for v in (b if batch_size else [b])) == sorted(
        _np(v) for b in single for v in (b if batch_size else [b]))


class Info:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        w = lud.get_worker_info()
        return np.array([w.id, w.num_workers, w.seed, torchlike.initial_seed(),
                         int(type(w.dataset) is Info), int(os.environ.get("INIT_ID", "-1"))])


def _init(worker_id):
    os.environ["INIT_ID"] = str(worker_id)


def test_worker_info_seeds_and_init_fn():
    assert lud.get_worker_info() is None
    g = torchlike.Generator().manual_seed(11)
    rows = [r.tolist() for b in lud.DataLoader(Info(), batch_size=1, num_workers=2,
                                                worker_init_fn=_init, generator=g) for r in b]
    base = torchlike.empty((), dtype=torchlike.int64).random_(
        generator=torchlike.Generator().manual_seed(11)).item()
    # round-robin: batch k comes from worker k % 2; seed = base_seed + worker id, as in torch
    assert rows == [[k % 2, 2, base + k % 2, base + k % 2, 1, k % 2] for k in range(4)]
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        _worker.WorkerInfo(id=0).id = 1


@pytest.mark.parametrize("exc", [ValueError, KeyError, IndexError])
def test_worker_error_is_reraised_like_torch(exc):
    t_msg = str(_raises(exc, tud.DataLoader(Boom(exc), batch_size=2, num_workers=2)))
    l_msg = str(_raises(exc, lud.DataLoader(Boom(exc), batch_size=2, num_workers=2)))
    head = f"Caught {exc.__name__} in DataLoader worker process 0.\nOriginal Traceback"
    assert t_msg.startswith(head) and l_msg.startswith(head)
    assert t_msg.rstrip().splitlines()[-1] == l_msg.rstrip().splitlines()[-1]


def test_init_fn_error_and_dead_worker():
    def bad_init(worker_id):
        raise ZeroDivisionError("init failed")
    with pytest.raises(ZeroDivisionError, match="Caught ZeroDivisionError in DataLoader worker"):
        list(lud.DataLoader(range(6), batch_size=2, num_workers=2, worker_init_fn=bad_init))

    class LocalError(Exception):  # cannot be pickled: re-raised as RuntimeError, still named
        pass

    def local_init(worker_id):
        raise LocalError("local")
    with pytest.raises(RuntimeError, match="Caught LocalError in DataLoader worker process 0"):
        list(lud.DataLoader(range(6), batch_size=2, num_workers=1, worker_init_fn=local_init))

    class Dies:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            os._exit(3)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) .*\) exited unexpectedly"):
        list(lud.DataLoader(Dies(), num_workers=1))


class Slow:
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(1)
        return i


def test_timeout_like_torch():
    msgs = [str(_raises(RuntimeError, mod.DataLoader(Slow(), num_workers=1, timeout=0.3)))
            for mod in (tud, lud)]
    assert msgs[0] == msgs[1] == "DataLoader timed out after 0.3 seconds"


def test_shutdown_mid_epoch_and_persistent_workers():
    it = iter(lud.DataLoader(Squares(), batch_size=2, num_workers=2))
    next(it)
    workers = list(it._workers)
    del it
    for w in workers:
        w.join(timeout=5)
        assert not w.is_alive() and w.exitcode == 0
    loader = lud.DataLoader(Squares(), batch_size=4, num_workers=2, persistent_workers=True)
    first = iter(loader)
    next(first)  # leave the epoch unfinished: the next epoch still starts from the beginning
    pids = [w.pid for w in first._workers]
    e1, e2 = _lists(loader), _lists(loader)
    assert e1 == e2 == _lists(lud.DataLoader(Squares(), batch_size=4))
    assert [w.pid for w in loader._iterator._workers] == pids
    loader._iterator._shutdown()
    it_loader = lud.DataLoader(Shards(0, 7, lud.get_worker_info), batch_size=2, num_workers=2,
                               persistent_workers=True)
    assert _lists(it_loader) == _lists(it_loader)
    it_loader._iterator._shutdown()


class UsesJax:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return torchlike.ones(2) * i  # a JAX computation: deadlocks in a forked process


def test_jax_in_forked_worker_is_an_error_not_a_hang(monkeypatch):
    monkeypatch.setattr(_worker, "JAX_WATCHDOG_S", 0.5)
    t0 = time.perf_counter()
    with pytest.raises(RuntimeError, match="DataLoader worker process 0 is blocked in JAX"):
        list(lud.DataLoader(UsesJax(), batch_size=2, num_workers=1))
    assert time.perf_counter() - t0 < 30


def test_spawn_workers_may_use_tensor_ops():
    got = _lists(lud.DataLoader(UsesJax(), batch_size=2, num_workers=1,
                                multiprocessing_context="spawn"))
    assert got == _lists(lud.DataLoader(UsesJax(), batch_size=2))


class ToTensorThenOps:
    """A dataset whose transform output is used like any tensor (in the main process)."""

    def __len__(self):
        return 3

    def __getitem__(self, i):
        x = torchlike.vision.transforms.ToTensor()(np.full((2, 2), i, np.uint8))
        assert x.device == torchlike.device("cpu") and "tensor(" in repr(x)
        return x.to("cpu") * 2, x.sum()


def test_host_mode_samples_behave_like_tensors():
    import jax
    xb, sb = next(iter(lud.DataLoader(ToTensorThenOps(), batch_size=3)))
    assert isinstance(xb._arr, jax.Array) and isinstance(sb._arr, jax.Array)  # moved once
    np.testing.assert_allclose(xb.numpy()[:, 0, 0, 0], np.arange(3) * 2 / 255, rtol=1e-6)
    np.testing.assert_allclose(sb.numpy(), np.arange(3) * 4 / 255, rtol=1e-6)


def test_argument_errors_like_torch():
    cases = [{"num_workers": 0, "multiprocessing_context": "spawn"},
             {"num_workers": 1, "multiprocessing_context": "bogus"},
             {"num_workers": 0, "prefetch_factor": 2},
             {"num_workers": 0, "persistent_workers": True},
             {"num_workers": -1}, {"num_workers": 1, "timeout": -1}]
    for kw in cases:
        with pytest.raises(ValueError) as t:
            tud.DataLoader(range(3), **kw)
        with pytest.raises(ValueError) as lo:
            lud.DataLoader(range(3), **kw)
        assert str(t.value) == str(lo.value)
    loader = lud.DataLoader(range(5), batch_size=2, num_workers=2, pin_memory=True)
    assert len(loader) == 3 and loader.prefetch_factor == 2
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]]
