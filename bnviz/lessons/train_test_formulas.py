"""The train-vs-test lesson's formula lines (``bnviz.lessons.train_test``), every one printed from SymPy.

The batch statistics come from BN's one derivation (``ops.bn``), the four update rules from
``ops.running``, test mode and its backward pass from ``ops.testmode``.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from bnviz.ops import bn as bn_ops
from bnviz.ops import running, testmode
from bnviz.symbolic import printing as P
from bnviz.symbolic import symbols as S

Y_TRAIN, Y_TEST = S.vector("y_train", r"y^{\mathrm{train}}"), S.vector("y_test", r"y^{\mathrm{test}}")
"""BN's output in training mode (batch statistics) and in test mode (running estimates)."""


def _rule_lines(convention: str) -> tuple[str, ...]:
    r = running.RUN_SYM
    rules = running.update_rules()[convention]
    lines = [P.latex(P.Update(r[k], rules[k])) for k in running.STATE[convention]]
    if convention == "caffe":
        lines += [f"{P.latex(r[k])} = {P.latex(rules[k])}" for k in ("mean", "var")]
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
        "forward.batches": (f"{P.latex(r['mu_b'])} = {P.latex(mu_b)}", f"{P.latex(r['var_b'])} = {P.latex(var_b)}"),
        "forward.cs231n": _rule_lines("cs231n"),
        "forward.pytorch": _rule_lines("pytorch"),
        "forward.keras": _rule_lines("cs231n"),
        "forward.caffe": _rule_lines("caffe"),
        "forward.test": (f"{P.latex(y_sym)} = {P.latex(y_test)}",),
        "forward.gap": (P.eq(Y_TRAIN[S.i], y_train), P.eq(S.add(Y_TRAIN[S.i], -Y_TEST[S.i]), gap)),
        "backward.test": (f"{P.latex(g['xhat'])} = {P.latex(test.back.chain['xhat'])}",
                          f"{P.latex(g['x'])} = {P.latex(test.back.chain['x'])} = "
                          f"{P.latex(test.expanded['x'])}",
                          f"{P.latex(g['gamma'])} = {P.latex(test.back.chain['gamma'])}"),
    }
