"""The numbers the train-vs-test page draws for one feature (``train_test.feature_estimates``), checked against
values written out here and against the running statistics recomputed with NumPy from the batches."""

import numpy as np

from bnviz.lessons import train_test as lesson
from bnviz.settings import Settings


def test_feature_estimates_are_the_running_statistics_of_feature_j():
    params = {**lesson.DEFAULTS, "k": 5, "pop_mean": 2.0, "pop_std": 1.5}
    tt = lesson.compute(Settings(m=4, d=3), **params)
    est = lesson.feature_estimates(tt, params, 1)
    assert est.number == 2
    assert est.pop_var == 2.25 and est.pop_text == ("2", "2.25")
    np.testing.assert_array_equal(est.mu_b, tt.batches[:, :, 1].mean(axis=1))
    np.testing.assert_array_equal(est.var_b, tt.batches[:, :, 1].var(axis=1))
    # PyTorch: mean_k = (1 - p) mean_{k-1} + p mu_k from 0, p the momentum (its documented update)
    p, run = params["momentum_pytorch"], 0.0
    for mu in est.mu_b:
        run = (1 - p) * run + p * mu
    assert abs(est.mean["pytorch"][-1] - run) < 1e-12
    assert list(est.final) == list(lesson.SHOWN) and all(v.shape == (5,) for v in est.mean.values())
    mean, var, gap = est.final["pytorch"]
    assert float(mean) == float(f"{run:.6g}") and abs(float(gap) - tt.gaps["pytorch"][-1]) <= 5e-4 * abs(float(gap))
