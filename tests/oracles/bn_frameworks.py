"""Running-statistics rules of Keras/TensorFlow, cs231n and Caffe, transcribed from their
documentation and source for the tests (independent of bnviz). Plain loops, float64.

* Keras ``BatchNormalization`` (keras/src/layers/normalization/batch_normalization.py):
  ``moving_mean = moving_mean * momentum + mean * (1 - momentum)``, same for the variance,
  with the batch variance of ``ops.moments`` (biased); initializers ``zeros`` and ``ones``;
  ``momentum=0.99``, ``epsilon=1e-3``.
* cs231n assignment 2 ``batchnorm_forward``: ``running_mean = momentum * running_mean +
  (1 - momentum) * sample_mean`` (biased ``np.var``), both starting at ``np.zeros``;
  ``momentum=0.9``, ``eps=1e-5``.
* Caffe ``BatchNormLayer::Forward_cpu``: ``blobs_[2] = blobs_[2] * moving_average_fraction + 1``;
  ``blobs_[0] = mean + moving_average_fraction * blobs_[0]`` (caffe_cpu_axpby(…, 1, mean,
  λ, blobs_[0])); variance likewise with ``bias_correction_factor = m > 1 ? m / (m - 1) : 1``;
  at test time ``scale_factor = blobs_[2] == 0 ? 0 : 1 / blobs_[2]`` times the sums.
"""

from __future__ import annotations

import numpy as np


def keras(batches: list[np.ndarray], momentum: float = 0.99) -> tuple[np.ndarray, np.ndarray]:
    """Moving mean and variance after each batch (batches: list of (m, D)). Returns (K, D) each."""
    d = batches[0].shape[1]
    mm, mv = np.zeros(d), np.ones(d)
    means, variances = [], []
    for b in batches:
        mm = mm * momentum + b.mean(axis=0) * (1 - momentum)
        mv = mv * momentum + b.var(axis=0) * (1 - momentum)
        means.append(mm.copy())
        variances.append(mv.copy())
    return np.array(means), np.array(variances)


def cs231n(batches: list[np.ndarray], momentum: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    d = batches[0].shape[1]
    rm, rv = np.zeros(d), np.zeros(d)
    means, variances = [], []
    for b in batches:
        rm = momentum * rm + (1 - momentum) * b.mean(axis=0)
        rv = momentum * rv + (1 - momentum) * b.var(axis=0)
        means.append(rm.copy())
        variances.append(rv.copy())
    return np.array(means), np.array(variances)


def caffe(batches: list[np.ndarray], fraction: float = 0.999) -> tuple[np.ndarray, np.ndarray]:
    d = batches[0].shape[1]
    blob0, blob1, blob2 = np.zeros(d), np.zeros(d), 0.0
    means, variances = [], []
    for b in batches:
        m = b.shape[0]
        blob2 = blob2 * fraction + 1
        blob0 = b.mean(axis=0) + fraction * blob0
        correction = m / (m - 1) if m > 1 else 1.0
        blob1 = correction * b.var(axis=0) + fraction * blob1
        scale = 0.0 if blob2 == 0 else 1.0 / blob2
        means.append(blob0 * scale)
        variances.append(blob1 * scale)
    return np.array(means), np.array(variances)
