"""The train-vs-test lesson's formula lines (``bnviz.lessons.train_test``), every one printed from SymPy.

The batch statistics come from BN's one derivation (``ops.bn``), the four update rules from
``ops.running``, test mode and its backward pass from ``ops.testmode``.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from bnviz import symbolic as S
from bnviz.ops import bn as bn_ops
from bnviz.ops import running, testmode

Y_TRAIN, Y_TEST = S.vector("y_train", r"y^{\mathrm{train}}"), S.vector("y_test", r"y^{\mathrm{test}}")
"""BN's output in training mode (batch statistics) and in test mode (running estimates)."""


def _rule_lines(convention: str) -> tuple[str, ...]:
    r = running.RUN_SYM
    rules = running.update_rules()[convention]
    lines = [S.latex(S.Update(r[k], rules[k])) for k in running.STATE[convention]]
    if convention == "caffe":
        lines += [f"{S.latex(r[k])} = {S.latex(rules[k])}" for k in ("mean", "var")]
    return tuple(lines)


@lru_cache(maxsize=1)
def formulas() -> dict[str, tuple[str, ...]]:
    """step key -> formula lines, every one printed from a SymPy expression. Cached."""
    bn = bn_ops.bn_derivation().definitions
    r = running.RUN_SYM
    batch = {bn_ops.SYM["mu"]: r["mu_b"], bn_ops.SYM["var"]: r["var_b"]}
    mu_b = bn["mu"]
    var_b = S.rename(bn_ops.display_form(bn["var"]), batch)
    test = testmode.test_derivation()
    t_sym = testmode.TEST_SYM
    xhat_test = S.rename(test.definitions["xhat"], {
        t_sym["xc"][S.i]: sp.Add(bn_ops.X[S.i], -t_sym["mu_run"], evaluate=False),
        t_sym["std"]: sp.sqrt(sp.Add(t_sym["var_run"], S.eps, evaluate=False))})
    y_sym, gamma, beta = bn_ops.Y[S.i], bn_ops.SYM["gamma"], bn_ops.SYM["beta"]
    y_test = sp.Add(gamma * xhat_test, beta, evaluate=False)
    xhat_train = S.rename(bn["xhat"], {
        bn_ops.XC[S.i]: sp.Add(bn_ops.X[S.i], -r["mu_b"], evaluate=False),
        bn_ops.SYM["std"]: sp.sqrt(sp.Add(r["var_b"], S.eps, evaluate=False))})
    y_train = S.rename(bn["y"], {bn_ops.XHAT[S.i]: xhat_train})
    gap = sp.Mul(gamma, sp.Add(xhat_train, -xhat_test, evaluate=False), evaluate=False)
    g = {k: v[S.i] if isinstance(v, sp.IndexedBase) else v for k, v in testmode.TEST_GRAD.items()}
    return {
        "forward.batches": (f"{S.latex(r['mu_b'])} = {S.latex(mu_b)}", f"{S.latex(r['var_b'])} = {S.latex(var_b)}"),
        "forward.cs231n": _rule_lines("cs231n"),
        "forward.pytorch": _rule_lines("pytorch"),
        "forward.keras": _rule_lines("cs231n"),
        "forward.caffe": _rule_lines("caffe"),
        "forward.test": (f"{S.latex(y_sym)} = {S.latex(y_test)}",),
        "forward.gap": (S.eq(Y_TRAIN[S.i], y_train), S.eq(S.add(Y_TRAIN[S.i], -Y_TEST[S.i]), gap)),
        "backward.test": (f"{S.latex(g['xhat'])} = {S.latex(test.back.chain['xhat'])}",
                          f"{S.latex(g['x'])} = {S.latex(test.back.chain['x'])} = "
                          f"{S.latex(test.expanded['x'])}",
                          f"{S.latex(g['gamma'])} = {S.latex(test.back.chain['gamma'])}"),
    }
