"""torchlike.utils.data against torch.utils.data (batching, collation, samplers, datasets)."""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import torchlike
import torchlike.utils.data as lud


def _same(a, b):
    """Structural equality of a torch batch and a torchlike batch."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torchlike.Tensor), type(b)
        assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), (type(a), type(b))
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a == b and type(a) is type(b)


Point = collections.namedtuple("Point", "x y")

SAMPLES = {
    "tuple of arrays": lambda i: (np.full((2, 3), i, np.float32), i),
    "dict": lambda i: {"a": np.arange(3) + i, "b": float(i), "s": f"n{i}"},
    "namedtuple": lambda i: Point(np.float64(i), [i, i + 1]),
    "numbers": lambda i: i,
    "bools": lambda i: bool(i % 2),
    "nested list": lambda i: [[i, 2 * i], (np.ones(2, np.int32) * i,)],
}


@pytest.mark.parametrize("kind", list(SAMPLES))
@pytest.mark.parametrize("batch_size,drop_last", [(4, False), (4, True), (10, False)])
def test_default_collate_matches_torch(kind, batch_size, drop_last):
    make = SAMPLES[kind]

    class DS:
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return make(i)
    t_batches = list(tud.DataLoader(DS(), batch_size=batch_size, drop_last=drop_last))
    l_batches = list(lud.DataLoader(DS(), batch_size=batch_size, drop_last=drop_last))
    assert len(t_batches) == len(l_batches)
    assert len(tud.DataLoader(DS(), batch_size=batch_size, drop_last=drop_last)) == len(
        lud.DataLoader(DS(), batch_size=batch_size, drop_last=drop_last))
    for tb, lb in zip(t_batches, l_batches):
        _same(tb, lb)


def test_tensor_dataset_and_shuffle():
    x = torchlike.arange(20).reshape(10, 2)
    y = torchlike.arange(10)
    ds = lud.TensorDataset(x, y)
    assert len(ds) == 10 and ds[3][1].item() == 3
    g = torchlike.Generator().manual_seed(0)
    seen = []
    for xb, yb in lud.DataLoader(ds, batch_size=3, shuffle=True, generator=g):
        assert (xb[:, 0] == 2 * yb).all()
        seen += yb.tolist()
    assert sorted(seen) == list(range(10)) and seen != list(range(10))
    g2 = torchlike.Generator().manual_seed(0)
    again = [v for _, yb in lud.DataLoader(ds, batch_size=3, shuffle=True, generator=g2)
             for v in yb.tolist()]
    assert again == seen
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        lud.TensorDataset(x, torchlike.arange(3))


def test_datasets_and_random_split():
    a, b = list(range(5)), list(range(5, 8))
    cat = lud.ConcatDataset([a, b])
    assert len(cat) == 8 and [cat[i] for i in range(8)] == list(range(8)) and cat[-1] == 7
    sub = lud.Subset(list(range(10)), [2, 4])
    assert len(sub) == 2 and sub[1] == 4
    parts = lud.random_split(range(10), [3, 7], generator=torchlike.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    fr = lud.random_split(range(10), [0.5, 0.3, 0.2])
    assert [len(p) for p in fr] == [len(p) for p in tud.random_split(range(10), [0.5, 0.3, 0.2])]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        lud.random_split(range(10), [3, 3])


def test_samplers():
    assert list(lud.SequentialSampler(range(4))) == [0, 1, 2, 3]
    rs = list(lud.RandomSampler(range(6)))
    assert sorted(rs) == list(range(6))
    assert len(list(lud.RandomSampler(range(6), replacement=True, num_samples=20))) == 20
    bs = list(lud.BatchSampler(lud.SequentialSampler(range(7)), 3, drop_last=False))
    assert bs == list(tud.BatchSampler(tud.SequentialSampler(range(7)), 3, drop_last=False))
    w = list(lud.WeightedRandomSampler([0.0, 0.0, 1.0], 5))
    assert w == [2] * 5
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        lud.RandomSampler(range(3), num_samples=0)


def test_iterable_dataset():
    class It(lud.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    class TIt(tud.IterableDataset):
        def __iter__(self):
            return iter(range(7))
    _same(list(tud.DataLoader(TIt(), batch_size=3)), list(lud.DataLoader(It(), batch_size=3)))
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        lud.DataLoader(It(), shuffle=True)


def test_loader_argument_errors():
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        lud.DataLoader(range(3), sampler=lud.SequentialSampler(range(3)), shuffle=True)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        lud.DataLoader(range(3), num_workers=-1)


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (2, 3, False),
                                                  (9, 3, True), (7, 4, False)])
def test_distributed_sampler(n, replicas, drop_last):
    from torch.utils.data.distributed import DistributedSampler as TDS

    from torchlike.utils.data.distributed import DistributedSampler as LDS
    for rank in range(replicas):
        t = TDS(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        lo = LDS(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        assert list(lo) == list(t) and len(lo) == len(t)
    shards = [list(LDS(range(n), num_replicas=replicas, rank=r, seed=3, drop_last=drop_last))
              for r in range(replicas)]
    flat = sorted(i for s in shards for i in s)
    assert len(flat) == len(shards[0]) * replicas and set(flat) <= set(range(n))
    if not drop_last:
        assert set(flat) == set(range(n))
    s = LDS(range(n), num_replicas=replicas, rank=0, seed=3, drop_last=drop_last)
    assert list(s) == shards[0]
    s.set_epoch(1)
    assert n < 4 or list(s) != shards[0]


def test_distributed_sampler_errors():
    from torchlike.utils.data.distributed import DistributedSampler as LDS
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        LDS(range(4), num_replicas=3, rank=3)
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        LDS(range(4))
