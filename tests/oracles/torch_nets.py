"""The network lesson's MLP written again in PyTorch (float64): the oracle for ``bnviz.nets``.

Independent of bnviz by construction: it imports nothing from bnviz and
receives only plain data (the initial weight arrays, the batch index order,
the samples, numbers and names). Forward and backward are torch's own
(``F.batch_norm``, ``F.cross_entropy``, autograd), the updates are
``torch.optim.Adam`` / ``torch.optim.SGD``.

The running averages are the one thing bnviz defines differently from
PyTorch, so they are written here from the rule as the lesson states it:
cs231n's update ``running = momentum·running + (1 − momentum)·batch`` with the
*biased* batch variance, starting from the first batch's statistics. (PyTorch's
own buffers start at 0 and 1 and use the unbiased variance.) Test mode then
uses torch's ``F.batch_norm(training=False)`` with those averages.

Parameter names follow the plain-data convention W1..W(L+1), b where no BN
follows, gamma/beta per BN layer; W: (fan_in, fan_out).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

Array = np.ndarray


@dataclass
class TorchRun:
    """What :func:`train` returns.

    losses:  the training loss of each step (before its update)
    running: name ("mean1", "var1", ...) -> (width,) running average after the last step
    evals:   step -> (mean validation loss, accuracy) in test mode, for each requested step
    params:  name -> final parameter array
    """

    losses: list[float] = field(default_factory=list)
    running: dict[str, Array] = field(default_factory=dict)
    evals: dict[int, tuple[float, float]] = field(default_factory=dict)
    params: dict[str, Array] = field(default_factory=dict)


class TorchMLP:
    """``(affine → [BN] → activation) × L → affine``; BN where ``gamma{l}`` is given."""

    def __init__(self, params: dict[str, Array], activation: str, eps: float) -> None:
        self.t = {k: torch.tensor(np.array(v), dtype=torch.float64, requires_grad=True) for k, v in params.items()}
        self.depth = sum(k.startswith("W") for k in params) - 1
        self.act = {"relu": torch.relu, "sigmoid": torch.sigmoid}[activation]
        self.eps = eps
        self.running: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def bn(self, n: int) -> bool:
        return f"gamma{n}" in self.t

    def scores(self, x: torch.Tensor, training: bool) -> tuple[torch.Tensor, list[tuple[torch.Tensor, ...]]]:
        """Class scores, and per BN layer the batch's (mean, biased variance) in training mode."""
        t, stats, h = self.t, [], x
        for n in range(1, self.depth + 1):
            z = h @ t[f"W{n}"]
            if f"b{n}" in t:
                z = z + t[f"b{n}"]
            if self.bn(n):
                if training:
                    zd = z.detach()
                    stats.append((zd.mean(dim=0), zd.var(dim=0, unbiased=False)))
                    z = F.batch_norm(z, None, None, t[f"gamma{n}"], t[f"beta{n}"], training=True, eps=self.eps)
                else:
                    rm, rv = self.running[n]
                    z = F.batch_norm(z, rm, rv, t[f"gamma{n}"], t[f"beta{n}"], training=False, eps=self.eps)
            h = self.act(z)
        last = self.depth + 1
        return h @ t[f"W{last}"] + t[f"b{last}"], stats

    def keep_running(self, stats: list[tuple[torch.Tensor, ...]], momentum: float) -> None:
        """The lesson's rule: start at the first batch's statistics, then cs231n's update."""
        layers = [n for n in range(1, self.depth + 1) if self.bn(n)]
        for n, (mean, var) in zip(layers, stats, strict=True):
            if n not in self.running:
                self.running[n] = (mean.clone(), var.clone())
            rm, rv = self.running[n]
            self.running[n] = (momentum * rm + (1 - momentum) * mean, momentum * rv + (1 - momentum) * var)


def train(params: dict[str, Array], order: Array, x: Array, y: Array, *, activation: str, eps: float,
          momentum: float, optimizer: str, lr: float, x_val: Array | None = None, y_val: Array | None = None,
          eval_at: tuple[int, ...] = ()) -> TorchRun:
    """Train from ``params`` on the batches ``x[order[s]]`` (order: (steps, batch) indices).

    x: (n, D), y: (n,) labels; with x_val/y_val, evaluates in test mode after
    each step count in ``eval_at`` (0: before any update, when the running
    averages are the first batch's statistics).
    """
    net = TorchMLP(params, activation, eps)
    opt = (torch.optim.Adam(net.t.values(), lr=lr) if optimizer == "adam"
           else torch.optim.SGD(net.t.values(), lr=lr))
    tx, ty = torch.tensor(np.array(x), dtype=torch.float64), torch.tensor(np.array(y))
    out = TorchRun()

    def evaluate(step: int) -> None:
        if step in eval_at and x_val is not None:
            with torch.no_grad():
                s, _ = net.scores(torch.tensor(np.array(x_val), dtype=torch.float64), training=False)
                yv = torch.tensor(np.array(y_val))
                out.evals[step] = (float(F.cross_entropy(s, yv)), float((s.argmax(dim=1) == yv).double().mean()))

    for step, idx in enumerate(torch.tensor(np.array(order)), start=1):
        opt.zero_grad()
        s, stats = net.scores(tx[idx], training=True)
        if step == 1:  # the averages start at the first batch's statistics, before any update
            net.keep_running(stats, 1.0)
            evaluate(0)
        loss = F.cross_entropy(s, ty[idx])
        loss.backward()
        opt.step()
        net.keep_running(stats, momentum)
        out.losses.append(float(loss.detach()))
        evaluate(step)
    out.running = {f"{w}{n}": v.numpy().copy() for n, pair in net.running.items() for w, v in zip(("mean", "var"),
                                                                                                  pair, strict=True)}
    out.params = {k: v.detach().numpy().copy() for k, v in net.t.items()}
    return out


def bn_path_terms(x: Array, gamma: Array, beta: Array, dout: Array, eps: float) -> dict[str, Array]:
    """The terms of BN's dx by autograd, one path at a time (x: (m, D), dout: (m, D)).

    Each term lets x reach the loss through one route only, the others
    detached: ``xhat`` through the numerator of x̂ = (x − μ)/√(σ²+ε); ``var``
    through σ² = mean((x − μ)²); ``mu`` through μ = mean(x) (everything
    downstream of μ live); ``mu_via_var``: through μ into σ² only. Also
    ``dx``: the full gradient, by ``F.batch_norm``.
    """
    g, b, d = (torch.tensor(np.array(a), dtype=torch.float64) for a in (gamma, beta, dout))

    def grad(route: str) -> Array:
        tx = torch.tensor(np.array(x), dtype=torch.float64, requires_grad=True)
        xd = tx.detach()
        if route == "dx":
            y = F.batch_norm(tx, None, None, g, b, training=True, eps=eps)
        else:
            mu = tx.mean(dim=0) if route in ("mu", "mu_via_var") else xd.mean(dim=0)
            x_var = tx if route == "var" else xd
            mu_var = mu if route in ("mu", "mu_via_var") else mu.detach()
            var = ((x_var - mu_var) ** 2).mean(dim=0)
            x_num = tx if route == "xhat" else xd
            mu_num = mu if route == "mu" else mu.detach()
            var_den = var if route in ("var", "mu", "mu_via_var") else var.detach()
            y = g * (x_num - mu_num) / torch.sqrt(var_den + eps) + b
        (y * d).sum().backward()
        return tx.grad.numpy().copy()

    return {route: grad(route) for route in ("xhat", "var", "mu", "mu_via_var", "dx")}
