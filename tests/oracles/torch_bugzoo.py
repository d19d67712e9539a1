"""The bug zoo's experiments written again in PyTorch (float64): the oracle for ``bnviz.nets.bugs``.

Independent of bnviz by construction: it imports nothing from bnviz and receives only plain data (the
trained parameter and running-average arrays, the samples and labels, batch index orders, dropout
keep-masks, numbers). BN is torch's own ``torch.batch_norm`` (the ATen op: ``F.batch_norm`` refuses a
batch of one, which is the point of one experiment), the loss ``F.cross_entropy``, gradients autograd,
the head's updates ``torch.optim.SGD``.

The running averages are the rule the lesson states (cs231n's, ``running = momentum·running +
(1 − momentum)·batch`` with the biased batch variance, starting from the first batch's statistics when
there is no previous estimate), written here from that statement.

Network: ``(affine (no bias) → BN → ReLU) × 2 → affine``; parameters W1, gamma1, beta1, W2, gamma2, beta2,
W3, b3 (W: (fan_in, fan_out)); running mean1, var1, mean2, var2.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

Array = np.ndarray


def _t(a) -> torch.Tensor:
    return torch.tensor(np.array(a), dtype=torch.float64)


def bn(z: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float,
       running: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
    """torch's BN: training mode (batch statistics) if ``running`` is None, else test mode with them."""
    if running is None:
        return torch.batch_norm(z, gamma, beta, None, None, True, 0.0, eps, False)
    return torch.batch_norm(z, gamma, beta, running[0], running[1], False, 0.0, eps, False)


class Net:
    def __init__(self, params: dict[str, Array], running: dict[str, Array], eps: float) -> None:
        self.p = {k: _t(v) for k, v in params.items()}
        self.running = {k: _t(v) for k, v in running.items()}
        self.eps = eps

    def stats(self, n: int, running: dict | None) -> tuple | None:
        return None if running is None else (running[f"mean{n}"], running[f"var{n}"])

    def hidden(self, x: torch.Tensor, running: dict | None, mask: torch.Tensor | None = None,
               q: float = 1.0) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(h2, [z1, z2]): the last hidden layer's output and both BN inputs."""
        p = self.p
        z1 = x @ p["W1"]
        h1 = torch.relu(bn(z1, p["gamma1"], p["beta1"], self.eps, self.stats(1, running)))
        if mask is not None:
            h1 = h1 * mask / q
        z2 = h1 @ p["W2"]
        h2 = torch.relu(bn(z2, p["gamma2"], p["beta2"], self.eps, self.stats(2, running)))
        return h2, [z1, z2]

    def scores(self, x: torch.Tensor, running: dict | None, head: dict | None = None) -> torch.Tensor:
        h2, _ = self.hidden(x, running)
        head = head or self.p
        return h2 @ head["W3"] + head["b3"]


def accuracy(net: Net, x: Array, y: Array, batch: int, running: dict | None | str = "trained",
             head: dict | None = None) -> float:
    """Accuracy over consecutive batches of ``batch``; running: "trained", None (training mode) or a dict."""
    r = net.running if running == "trained" else running
    xt, yt = _t(x), torch.tensor(np.array(y))
    hits = 0
    for s in range(0, len(y), batch):
        hits += int((net.scores(xt[s:s + batch], r, head).argmax(dim=1) == yt[s:s + batch]).sum())
    return hits / len(y)


def loss(net: Net, x: Array, y: Array, running: dict) -> float:
    return float(F.cross_entropy(net.scores(_t(x), running), torch.tensor(np.array(y))))


def batch_means(net: Net, x: Array, batch: int) -> list[Array]:
    """Layer 1's batch mean (100,) of each consecutive batch (training mode)."""
    xt = _t(x)
    return [(xt[s:s + batch] @ net.p["W1"]).mean(dim=0).numpy() for s in range(0, len(x), batch)]


def one_sample(net: Net, x: Array, y: int) -> tuple[Array, Array, Array]:
    """(scores (10,), layer 1's x̂ (100,), [‖∂L/∂W1‖, ‖∂L/∂W2‖, ‖∂L/∂W3‖]) for one sample in training mode."""
    p = {k: v.clone().requires_grad_(True) for k, v in net.p.items()}
    xt = _t(x).reshape(1, -1)
    z1 = xt @ p["W1"]
    xhat1 = torch.batch_norm(z1, None, None, None, None, True, 0.0, net.eps, False)
    h1 = torch.relu(bn(z1, p["gamma1"], p["beta1"], net.eps, None))
    h2 = torch.relu(bn(h1 @ p["W2"], p["gamma2"], p["beta2"], net.eps, None))
    s = h2 @ p["W3"] + p["b3"]
    F.cross_entropy(s, torch.tensor([int(y)])).backward()
    norms = np.array([float(p[f"W{n}"].grad.norm()) for n in (1, 2, 3)])
    return s.detach().numpy()[0], xhat1.detach().numpy()[0], norms


def torch_refusal(n: int, c: int) -> str:
    """The message ``F.batch_norm`` raises for an (n, c) input in training mode (n = 1)."""
    try:
        F.batch_norm(torch.zeros(n, c, dtype=torch.float64), None, None, training=True)
    except ValueError as err:
        return str(err)
    return ""


def update(running: dict, stats: list[tuple[torch.Tensor, torch.Tensor]], momentum: float) -> dict:
    """The stated rule; an empty ``running`` starts at these statistics."""
    out = {}
    for n, (mean, var) in enumerate(stats, start=1):
        for name, v in ((f"mean{n}", mean), (f"var{n}", var)):
            out[name] = v.clone() if name not in running else momentum * running[name] + (1 - momentum) * v
    return out


def fine_tune(net: Net, x: Array, y: Array, order: Array, lr: float, mode: str, momentum: float,
              x_val: Array, y_val: Array, last: int = 20) -> tuple[float, float, dict]:
    """The head (W3, b3) trained with SGD over ``order``'s batches, BN per ``mode`` (frozen / updating /
    mismatch, as the lesson states them); (mean batch accuracy of the last ``last`` steps, test accuracy,
    running averages after)."""
    head = {k: net.p[k].clone().requires_grad_(True) for k in ("W3", "b3")}
    opt = torch.optim.SGD(head.values(), lr=lr)
    running = dict(net.running)
    xt, yt = _t(x), torch.tensor(np.array(y))
    hits = []
    for idx in order:
        xb, yb = xt[idx], yt[idx]
        with torch.no_grad():
            h2, (z1, z2) = net.hidden(xb, running if mode == "frozen" else None)
        s = h2 @ head["W3"] + head["b3"]
        opt.zero_grad()
        F.cross_entropy(s, yb).backward()
        opt.step()
        hits.append(float((s.argmax(dim=1) == yb).double().mean()))
        if mode == "updating":
            running = update(running, [(z.mean(dim=0), z.var(dim=0, unbiased=False)) for z in (z1, z2)], momentum)
    test = accuracy(net, x_val, y_val, len(y_val), running, {k: v.detach() for k, v in head.items()})
    return float(np.mean(hits[-last:])), test, running


def dropout_running(net: Net, x: Array, order: Array, masks: Array | None, q: float, momentum: float) -> dict:
    """Running averages of both BN layers over ``order``'s batches in training mode, with inverted
    dropout (keep-masks (steps, batch, 100), scale 1/q) on layer 2's input, or none."""
    xt = _t(x)
    running: dict = {}
    for n, idx in enumerate(order):
        mask = None if masks is None else torch.tensor(masks[n], dtype=torch.float64)
        _, zs = net.hidden(xt[idx], None, mask, q)
        running = update(running, [(z.mean(dim=0), z.var(dim=0, unbiased=False)) for z in zs], momentum)
    return running


def test_variance(net: Net, x: Array) -> Array:
    """(100,) the biased variance of layer 2's BN input over x in test mode (trained statistics), no dropout."""
    p = net.p
    h1 = torch.relu(bn(_t(x) @ p["W1"], p["gamma1"], p["beta1"], net.eps, net.stats(1, net.running)))
    return (h1 @ p["W2"]).var(dim=0, unbiased=False).numpy()
