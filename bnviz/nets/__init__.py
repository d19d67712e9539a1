"""A real network: an MLP with optional BN, trained with Adam on scikit-learn's digits.

The package, by responsibility (each module imports only those above it):

* :mod:`~bnviz.nets.dataset`: :func:`digits` (the 1,797 8×8 images, standardised,
  a fixed 1,437 / 360 split) and :func:`batch_indices` (the batch order);
* :mod:`~bnviz.nets.ablation`: the terms of BN's dx, for a backward with one removed;
* :mod:`~bnviz.nets.model`: :class:`NetConfig`, :func:`init_params`, :func:`forward`,
  :func:`backward`, :func:`loss_and_grads`;
* :mod:`~bnviz.nets.optim`: :class:`Adam`, :class:`SGD`, the flat parameter vector;
* :mod:`~bnviz.nets.threads`: BLAS threads while training;
* :mod:`~bnviz.nets.train`: :func:`train` (a generator of :class:`Progress`), the
  running averages, :func:`train_together`;
* :mod:`~bnviz.nets.experiments`: the reproductions (:func:`fig1`,
  :func:`weight_scale_sweep`, :func:`batch_size_sweep`).

The names below are re-exported so that ``from bnviz import nets; nets.train(...)`` reads as one API.
The PyTorch twin used to check all this is an oracle outside the library: ``tests/oracles/torch_nets.py``.
"""

from bnviz.nets.ablation import ABLATIONS, ablated_dx, path_terms
from bnviz.nets.dataset import SPLIT_SEED, VAL_SIZE, Digits, batch_indices, digits
from bnviz.nets.experiments import (
    BATCH_SWEEP,
    FIG1,
    WEIGHT_SWEEP,
    SweepProgress,
    batch_size_sweep,
    default_scales,
    epochs_to_steps,
    fig1,
    finish,
    percentile_drift,
    weight_scale_sweep,
    weight_sweep_runs,
)
from bnviz.nets.model import (
    ACTIVATIONS,
    LIMITS,
    OPTIMIZERS,
    NetConfig,
    Pass,
    accuracy,
    backward,
    check_config,
    forward,
    init_params,
    loss_and_grads,
)
from bnviz.nets.optim import SGD, Adam, Flat, optimizer
from bnviz.nets.threads import BLAS_THREADS, blas_threads
from bnviz.nets.train import (
    PERCENTILES,
    SATURATION_TAU,
    History,
    Progress,
    numpy_losses,
    record_every,
    run,
    saturation_share,
    start_running,
    train,
    train_together,
    update_running,
)

__all__ = [
    "ABLATIONS", "ACTIVATIONS", "BATCH_SWEEP", "BLAS_THREADS", "FIG1", "LIMITS", "OPTIMIZERS", "PERCENTILES",
    "SATURATION_TAU", "SGD", "SPLIT_SEED", "VAL_SIZE", "WEIGHT_SWEEP", "Adam", "Digits", "Flat", "History",
    "NetConfig", "Pass", "Progress", "SweepProgress", "ablated_dx", "accuracy", "backward", "batch_indices",
    "batch_size_sweep", "blas_threads", "check_config", "default_scales", "digits", "epochs_to_steps", "fig1",
    "finish", "forward", "init_params", "loss_and_grads", "numpy_losses", "optimizer", "path_terms",
    "percentile_drift", "record_every", "run", "saturation_share", "start_running", "train", "train_together",
    "update_running", "weight_scale_sweep", "weight_sweep_runs",
]
