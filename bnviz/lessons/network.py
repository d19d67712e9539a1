"""One training step of the real network, layer by layer: forward, loss, backward, Adam.

The network is the network page's (:mod:`bnviz.nets`): ``(affine → [BN] →
activation) × L → affine → softmax loss`` on a batch of scikit-learn's
digits. Values come from :func:`bnviz.nets.forward` / :func:`bnviz.nets.backward`
(the one implementation of each layer); formulas from the layers' SymPy
derivations. Each step's ``code`` recomputes its values in plain NumPy.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from functools import lru_cache

import numpy as np
import sympy as sp

from bnviz import nets
from bnviz.i18n import t
from bnviz.limits import check_train_work
from bnviz.ops import bn as bn_ops
from bnviz.ops import layers
from bnviz.settings import Settings
from bnviz.steps import Step, Walkthrough
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S

Array = np.ndarray

DEFAULT = nets.NetConfig(weight_scale=2e-2)
"""The page's default network: cs231n's 5 × 100 ReLU net with BN, weight scale 2e-2, Adam 1e-3, batch 50."""


def config(hidden: tuple[int, ...] = DEFAULT.hidden, activation: str = DEFAULT.activation, bn: bool = DEFAULT.bn,
           weight_scale: float | None = DEFAULT.weight_scale, lr: float = DEFAULT.lr, batch: int = DEFAULT.batch,
           steps: int = DEFAULT.steps, seed: int = 0) -> nets.NetConfig:
    """The page's controls as a checked :class:`bnviz.nets.NetConfig` (training work bounded by bnviz.limits)."""
    check_train_work(steps, hidden, batch)
    return nets.check_config(replace(DEFAULT, hidden=tuple(int(w) for w in hidden), activation=activation, bn=bn,
                                     weight_scale=weight_scale, lr=lr, batch=batch, steps=steps, seed=seed))


B = sp.Symbol("B", integer=True, positive=True)
"""The batch size in this lesson's formulas."""
BN = sp.Function("BN")
"""Batch normalisation as a function of a layer's matrix (its element-wise definition is printed beside it)."""


def layer_symbols() -> dict[str, sp.MatrixSymbol]:
    """Layer ℓ's matrices (and the output layer's), shaped like the affine derivation's A, W, b, G;
    the gradients ∂L/∂M named by :func:`bnviz.symbolic.symbols.grad_matrix`."""
    sym = layers.derivations().symbols
    (nn, dd), cc = sym["A"].shape, sym["W"].shape[1]
    out = {}
    for name, tex, shape in (("H_prev", r"H_{\ell-1}", (nn, dd)), ("W", r"W_{\ell}", (dd, cc)),
                             ("b", r"b_{\ell}", (1, cc)), ("W_next", r"W_{\ell+1}", (dd, cc)),
                             ("H_L", r"H_{L}", (nn, dd)), ("W_out", r"W_{L+1}", (dd, cc)),
                             ("b_out", r"b_{L+1}", (1, cc)), ("Z", r"Z_{\ell}", (nn, cc)),
                             ("A", r"A_{\ell}", (nn, cc)), ("H", r"H_{\ell}", (nn, dd)),
                             ("Z_next", r"Z_{\ell+1}", (nn, cc))):
        out[name] = sp.MatrixSymbol(tex, *shape)
    for name in ("H", "Z", "Z_next", "W"):
        out[f"d{name}"] = S.grad_matrix(out[name])
    return out


def layer_affine(bn: bool) -> sp.Basic:
    """Z_ℓ = H_{ℓ−1} W_ℓ (+ 1 b_ℓ without BN: before BN, β takes the bias's role): the affine derivation's
    S = A·W + 1·b with layer ℓ's matrices substituted."""
    sym, ls = layers.derivations().symbols, layer_symbols()
    affine = layers.derivations().affine
    if bn:
        affine = affine.xreplace({sym["b"]: sp.ZeroMatrix(*sym["b"].shape)}).doit()
    return affine.xreplace({sym["A"]: ls["H_prev"], sym["W"]: ls["W"], sym["b"]: ls["b"]})


def data_lines() -> tuple[str, ...]:
    """The input: a batch X of B digits (64 pixels each) and their labels t_i."""
    x = sp.MatrixSymbol("X", B, 64)
    return (P.relations(P.element_of(x, P.real_matrices(B, 64)),
                        P.element_of(layers.TARGETS[S.i], sp.Range(10))),)


def statistic() -> sp.Expr:
    """The statistic the last step shows per weight matrix: ‖∂L/∂W_ℓ‖ / ‖W_ℓ‖."""
    ls = layer_symbols()
    return P.Norm(ls["dW"]) / P.Norm(ls["W"])


@lru_cache(maxsize=2)
def activation_chain(activation: str) -> dict[str, sp.Basic]:
    """Element-wise h = f(a) and the chain rule ∂L/∂a = ∂L/∂h · f′(a), derived by SymPy.

    The chain rule is SymPy's derivative of the surrogate ∂L/∂h · f(a) (L is linear in h near the point),
    first with f unknown ("chain"), then with f′ replaced by the derived derivative of the activation
    ("concrete", in a, h = f(a) and g = ∂L/∂h). a and h stand for the elements (A_ℓ)_{ij}, (H_ℓ)_{ij}.
    Keys: a, h, g, da, f (the unknown f(a)), act (f's definition), chain, concrete.
    """
    d, ls = layers.derivations(), layer_symbols()
    a, h = S.element(ls["A"], S.i, S.j, real=True), S.element(ls["H"], S.i, S.j, real=True)
    g, da = S.grad_element(h, real=True), S.grad_element(a, real=True)
    f = sp.Function("f")
    act = (d.relu if activation == "relu" else d.sigmoid).subs(layers.Z, a)
    chain = sp.diff(g * f(a), a)
    if activation == "relu":
        dact = d.drelu.subs(layers.Z, a)
    else:  # σ′ written in σ itself, σ = H_{ℓ,ij}
        dact = d.dsigmoid.subs(layers.SIG, h)
    concrete = chain.subs(sp.Derivative(f(a), a), dact)
    if sp.expand(concrete - g * dact) == 0:  # shown as ∂L/∂h times f′, in that order
        concrete = sp.Mul(g, dact, evaluate=False)
    return {"a": a, "h": h, "g": g, "da": da, "f": f(a), "act": act, "chain": chain, "concrete": concrete}


def _activation_lines(activation: str) -> tuple[str, str]:
    c = activation_chain(activation)
    return P.relations(P.eq(c["h"], c["f"]), P.eq(c["f"], c["act"])), P.eq(c["da"], c["chain"], c["concrete"])


def _bn_renamed() -> dict[sp.Basic, sp.Basic]:
    """BN's x, y renamed to layer ℓ's Z_ℓ, A_ℓ (column by column: element i of a column), by substitution."""
    ls = layer_symbols()
    z, a = (S.vector(f"net_{k}", P.latex(ls[k])) for k in ("Z", "A"))
    return {bn_ops.X: z, bn_ops.Y: a, bn_ops.GRAD["x"]: S.vector("net_dZ", P.partial_name(ls["Z"])), S.m: B}


@lru_cache(maxsize=4)
def formulas(activation: str, bn: bool) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Generic (layer ℓ) formulas for each kind of step, derived by SymPy. Cached per network kind.

    The affine layer's definition and gradients are :func:`bnviz.ops.layers.derivations`' (S = A·W + 1·b and the
    matrix-calculus gradients of tr(Gᵀ S)), with its matrices renamed to layer ℓ's by substitution.
    """
    d = layers.derivations()
    nb = bn_ops.bn_derivation()
    sym, ls = d.symbols, layer_symbols()
    grads = {k: g for k, (_, g) in d.affine_grads.items()}
    z_def = layer_affine(bn)
    lines_fwd = [P.eq(ls["Z"], z_def)]
    if bn:
        rn = _bn_renamed()
        y_i, xhat_i = S.rename(bn_ops.SYM["y"][S.i], rn), bn_ops.SYM["xhat"][S.i]
        lines_fwd += [P.eq(ls["A"], BN(ls["Z"])),
                      P.relations(P.eq(y_i, nb.definitions["y"]),
                                  P.eq(xhat_i, S.rename(bn_ops.display_form(nb.definitions["xhat"]), rn)))]
    else:
        lines_fwd.append(P.eq(ls["A"], ls["Z"]))
    act_line, chain_line = _activation_lines(activation)
    lines_fwd.append(act_line)
    dh = grads["A"].xreplace({sym["G"]: ls["dZ_next"], sym["W"]: ls["W_next"]})
    dw = grads["W"].xreplace({sym["G"]: ls["dZ"], sym["A"]: ls["H_prev"]})
    back = [P.eq(ls["dH"], dh), chain_line]
    if bn:
        rn = _bn_renamed()
        back.append(P.eq(S.rename(bn_ops.GRAD["x"][S.i], rn), S.rename(nb.dx_closed, rn)))
    back.append(P.eq(ls["dW"], dw))
    # Adam (a definition, built in SymPy so it prints like the rest)
    g, m1, v1, w, lr, b1, b2, eps, tt = sp.symbols("g m v w eta beta_1 beta_2 epsilon t")
    adam = (P.Update(m1, S.add(b1 * m1, (1 - b1) * g)), P.Update(v1, S.add(b2 * v1, (1 - b2) * g**2)),
            P.Update(w, w - lr * (m1 / (1 - b1**tt)) / (sp.sqrt(v1 / (1 - b2**tt)) + eps)))
    out_def = d.affine.xreplace({sym["A"]: ls["H_L"], sym["W"]: ls["W_out"], sym["b"]: ls["b_out"]})
    dscores = S.grad_element(layers.SCORES[S.i, S.j])
    return {
        "data": (data_lines(), ()),
        "forward.layer": (tuple(lines_fwd), ()),
        "forward.output": ((P.eq(sym["S"], out_def), P.eq(layers.PROBS[S.i, S.j], d.softmax)), ()),
        "forward.loss": ((P.eq(layers.LOSS, d.loss.subs(layers.N, B)),), ()),
        "backward.output": ((P.eq(dscores, d.dscores.subs(layers.N, B)),), ()),
        "backward.layer": (tuple(back), ()),
        "update": (tuple(P.latex(u) for u in adam), ()),
        "statistics": ((P.latex(statistic()),), ()),
    }


def _rms(g: Array) -> Array:
    """Root mean square over the batch, per unit: (B, width) -> (width,)."""
    return np.sqrt((g**2).mean(axis=0))


def _act_code(activation: str, a: str) -> str:
    return f"np.maximum({a}, 0)" if activation == "relu" else f"1 / (1 + np.exp(-{a}))"


def _dact_code(activation: str, a: str, h: str) -> str:
    return f"({a} > 0)" if activation == "relu" else f"{h} * (1 - {h})"


def first_batch(cfg: nets.NetConfig) -> tuple[Array, Array]:
    """The batch the walkthrough trains on: x (B, 64) standardised pixels and labels (B,)."""
    data = nets.digits()
    idx = nets.batch_indices(len(data.y_train), cfg.batch, 1, cfg.seed)[0]
    return data.x_train[idx], data.y_train[idx]


@lru_cache(maxsize=16)
def network_walkthrough(cfg: nets.NetConfig, lang: str = "en") -> Walkthrough:
    """One step of training ``cfg`` on its first batch, as steps (cached: treat it as read-only).

    The network does not use the sidebar's batch; its seed is ``cfg.seed``.
    """
    data = nets.digits()
    params = nets.init_params(cfg, data.x_train.shape[1], data.classes)
    idx = nets.batch_indices(len(data.y_train), cfg.batch, 1, cfg.seed)[0]
    x, labels = first_batch(cfg)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = nets.backward(nets.forward(params, x, cfg, labels), cfg)
        flat = nets.Flat(params)
        before = {k: v.copy() for k, v in flat.params.items()}
        nets.optimizer(cfg).step(flat.vector, flat.gather(p.grads))
    forms = formulas(cfg.activation, cfg.bn)
    L = cfg.depth
    act = cfg.activation
    steps: list[Step] = []

    def add(key: str, kind: str, phase: str, values: dict[str, Array], code: str, **fields) -> None:
        lines, local = forms[kind]
        steps.append(Step(key, phase, t(f"step.network.{kind}.title", lang, **fields), lines, local,
                          t(f"step.network.{kind}.note", lang, **fields), values, kind, code))

    add("data", "data", "forward", {"labels": labels.astype(float)}, "h0 = x")
    for n in range(1, L + 1):
        c_aff, c_bn, c_act = p.caches[n - 1]
        z = c_aff[0] @ params[f"W{n}"] + (params[f"b{n}"] if f"b{n}" in params else 0.0)
        h = p.caches[n][0][0] if n < L else p.caches[L][0]  # the next layer's input
        a = p.pre[n - 1]
        vals = {f"z{n}_mean": z.mean(axis=0), f"z{n}_std": z.std(axis=0), f"a{n}_mean": a.mean(axis=0),
                f"a{n}_std": a.std(axis=0), f"h{n}_mean": h.mean(axis=0)}
        if cfg.bn:
            code = (f"z{n} = h{n - 1} @ W{n}\nmu{n} = z{n}.mean(axis=0)\nvar{n} = z{n}.var(axis=0)\n"
                    f"xhat{n} = (z{n} - mu{n}) / np.sqrt(var{n} + eps)\na{n} = gamma{n} * xhat{n} + beta{n}\n")
        else:
            code = f"z{n} = h{n - 1} @ W{n} + b{n}\na{n} = z{n}\n"
        code += (f"h{n} = {_act_code(act, f'a{n}')}\n"
                 f"z{n}_mean, z{n}_std = z{n}.mean(axis=0), z{n}.std(axis=0)\n"
                 f"a{n}_mean, a{n}_std = a{n}.mean(axis=0), a{n}.std(axis=0)\nh{n}_mean = h{n}.mean(axis=0)")
        add(f"forward.layer.{n}", "forward.layer", "forward", vals, code, n=n)
    probs = layers.softmax(p.scores)
    add("forward.output", "forward.output", "forward", {"scores": p.scores, "p": probs},
        f"scores = h{L} @ W{L + 1} + b{L + 1}\np = np.exp(scores - scores.max(axis=1, keepdims=True))\n"
        "p /= p.sum(axis=1, keepdims=True)")
    add("forward.loss", "forward.loss", "forward",
        {"p_true": probs[np.arange(len(labels)), labels], "L": np.asarray(p.loss)},
        "onehot = np.eye(10)[labels]\np_true = p[np.arange(B), labels]\nL = -np.log(p_true).mean()",
        loss=f"{p.loss:.4f}")
    add("backward.output", "backward.output", "backward", {"dscores": p.dscores},
        f"dscores = (p - onehot) / B\ndW{L + 1} = h{L}.T @ dscores\ndb{L + 1} = dscores.sum(axis=0)")
    dh = p.dscores @ params[f"W{L + 1}"].T
    for n in range(L, 0, -1):
        da = p.dpre[n - 1]
        c_aff = p.caches[n - 1][0]
        dz = (da if not cfg.bn else layers.batchnorm_backward(da, p.caches[n - 1][1])[0])
        up = "dscores" if n == L else f"dz{n + 1}"
        vals = {f"dh{n}_rms": _rms(dh), f"da{n}_rms": _rms(da), f"dz{n}_rms": _rms(dz)}
        code = f"dh{n} = {up} @ W{n + 1}.T\nda{n} = dh{n} * {_dact_code(act, f'a{n}', f'h{n}')}\n"
        if cfg.bn:
            vals.update({f"dgamma{n}": p.grads[f"gamma{n}"], f"dbeta{n}": p.grads[f"beta{n}"]})
            code += (f"dgamma{n} = (da{n} * xhat{n}).sum(axis=0)\ndbeta{n} = da{n}.sum(axis=0)\n"
                     f"dxhat{n} = da{n} * gamma{n}\n"
                     f"dz{n} = (B * dxhat{n} - dxhat{n}.sum(axis=0) - xhat{n} * (dxhat{n} * xhat{n}).sum(axis=0))"
                     f" / (B * np.sqrt(var{n} + eps))\n")
        else:
            code += f"dz{n} = da{n}\ndb{n} = dz{n}.sum(axis=0)\n"
        code += (f"dW{n} = h{n - 1}.T @ dz{n}\n"
                 f"dh{n}_rms, da{n}_rms, dz{n}_rms = (np.sqrt((g ** 2).mean(axis=0)) for g in (dh{n}, da{n}, dz{n}))")
        add(f"backward.layer.{n}", "backward.layer", "backward", vals, code, n=n)
        dh = dz @ params[f"W{n}"].T
        del c_aff
    weights = [f"W{n}" for n in range(1, L + 2)]
    grad_ratio = np.array([np.linalg.norm(p.grads[k]) / np.linalg.norm(before[k]) for k in weights])
    update_ratio = np.array([np.linalg.norm(flat.params[k] - before[k]) / np.linalg.norm(before[k]) for k in weights])
    names = ", ".join(weights)
    add("update", "update", "backward", {"update_ratio": update_ratio},
        f"grads = dict(zip([{', '.join(repr(k) for k in weights)}], [{', '.join('d' + k for k in weights)}]))\n"
        + (f"new = {{k: w - lr * g / (np.abs(g) + 1e-8) for k, w, g in zip(grads, [{names}], grads.values())}}\n"
           if cfg.optimizer == "adam" else
           f"new = {{k: w - lr * g for k, w, g in zip(grads, [{names}], grads.values())}}\n")
        + f"update_ratio = np.array([np.linalg.norm(new[k] - w) / np.linalg.norm(w) "
        f"for k, w in zip(grads, [{names}])])", lr=cfg.lr)
    sat = nets.saturation_share(p.pre, act)
    pre_list = ", ".join(f"a{n}" for n in range(1, L + 1))
    sat_code = (f"saturation = np.array([((1 / (1 + np.exp(-a))) * (1 - 1 / (1 + np.exp(-a))) < {nets.SATURATION_TAU})"
                f".mean() for a in [{pre_list}]])"
                if act == "sigmoid" else
                f"saturation = np.array([(a.max(axis=0) <= 0).mean() for a in [{pre_list}]])")
    add("statistics", "statistics", "backward", {"grad_ratio": grad_ratio, "saturation": sat},
        f"grad_ratio = np.array([np.linalg.norm(g) / np.linalg.norm(w) for g, w in zip("
        f"[{', '.join('d' + k for k in weights)}], [{names}])])\n{sat_code}", what=t(f"page.network.sat_{act}", lang))
    record = {"seed": cfg.seed, "network": asdict(cfg), "batch_indices": idx.tolist()}
    setup = [
        "import numpy as np",
        "from bnviz import nets",
        "",
        f"cfg = nets.{cfg!r}",
        "data = nets.digits()",
        "params = nets.init_params(cfg)",
        "idx = nets.batch_indices(len(data.y_train), cfg.batch, 1, cfg.seed)[0]",
        "x, labels = data.x_train[idx], data.y_train[idx]",
        "B, eps, lr = x.shape[0], cfg.eps, cfg.lr",
        *(f"{k} = params[{k!r}]" for k in params),
    ]
    labels_map = {"labels": "t", "scores": "s", "p": "p", "p_true": "p(t)", "update_ratio": "‖ΔW‖/‖W‖",
                  "grad_ratio": "‖∂L/∂W‖/‖W‖", "saturation": t(f"page.network.sat_{act}", lang), "dscores": "∂L/∂s"}
    for n in range(1, L + 1):
        mean, std, rms = (lambda v, w=w: t(f"page.network.label.{w}", lang, v=v) for w in ("mean", "std", "rms"))
        labels_map.update({f"z{n}_mean": mean(f"Z{n}"), f"z{n}_std": std(f"Z{n}"), f"a{n}_mean": mean(f"A{n}"),
                           f"a{n}_std": std(f"A{n}"), f"h{n}_mean": mean(f"H{n}"), f"dh{n}_rms": rms(f"∂L/∂H{n}"),
                           f"da{n}_rms": rms(f"∂L/∂A{n}"), f"dz{n}_rms": rms(f"∂L/∂Z{n}"), f"dgamma{n}": f"∂L/∂γ{n}",
                           f"dbeta{n}": f"∂L/∂β{n}"})
    return Walkthrough("network", t("page.network.title", lang), lang, record, tuple(steps), "\n".join(setup),
                       labels_map)


def walkthrough(settings: Settings, lang: str = "en", **params) -> Walkthrough:
    """The course builder: the page's network (``config`` keywords; seed from the sidebar by default)."""
    params.setdefault("seed", settings.seed)
    return network_walkthrough(config(**params), lang)
