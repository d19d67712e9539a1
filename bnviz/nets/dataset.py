"""The data the network lesson trains on: scikit-learn's digits, a fixed split, and the batch order.

x_train: (1437, 64), x_val: (360, 64), standardised with the training split's mean and std.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

Array = np.ndarray

VAL_SIZE = 360
SPLIT_SEED = 0


@dataclass(frozen=True)
class Digits:
    """scikit-learn's digits, standardised with the training split's mean and std.

    x_train: (1437, 64), y_train: (1437,) labels 0..9; x_val: (360, 64), y_val: (360,)
    """

    x_train: Array
    y_train: Array
    x_val: Array
    y_val: Array

    @property
    def classes(self) -> int:
        return 10

    def subset(self, n: int) -> Digits:
        """The first ``n`` training samples (all if n <= 0), the same validation set."""
        if n <= 0 or n >= len(self.y_train):
            return self
        return Digits(self.x_train[:n], self.y_train[:n], self.x_val, self.y_val)


@lru_cache(maxsize=1)
def digits() -> Digits:
    """The fixed split: a permutation seeded with ``SPLIT_SEED``; the first 360 are validation."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    x, y = raw.data.astype(np.float64) / 16.0, raw.target.astype(np.int64)
    perm = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    val, tr = perm[:VAL_SIZE], perm[VAL_SIZE:]
    mean = x[tr].mean(axis=0)
    std = x[tr].std(axis=0)
    std[std == 0] = 1.0
    x = (x - mean) / std
    for a in (x, y):
        a.setflags(write=False)
    return Digits(x[tr], y[tr], x[val], y[val])



def batch_indices(n: int, batch: int, steps: int, seed: int) -> Array:
    """(steps, batch) sample indices: each epoch a fresh permutation of 0..n-1 (``default_rng(seed + 1)``),
    cut into batches; a batch never straddles two epochs (the remainder is dropped)."""
    batch = min(batch, n)
    per_epoch = n // batch
    rng = np.random.default_rng(seed + 1)
    epochs = -(-steps // per_epoch)
    out = [rng.permutation(n)[: per_epoch * batch].reshape(per_epoch, batch) for _ in range(epochs)]
    return np.concatenate(out)[:steps]
