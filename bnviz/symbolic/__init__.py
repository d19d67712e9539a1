"""SymPy side of the graphs, in three modules by responsibility.

* :mod:`bnviz.symbolic.printing`: how symbols print (their names, ``NOTATION``, ``latex`` / ``text``);
* :mod:`bnviz.symbolic.symbols`: the symbols the graphs are written in (``i``, ``j``, ``m``, ``eps``, ``vector``,
  ``scalar``, the ∂L/∂… placeholders, unevaluated ``add`` / ``mul`` / ``rename``);
* :mod:`bnviz.symbolic.derivation`: the symbolic chain rule, the general-m reduction, ``evaluate``.

Import the module you use (``from bnviz.symbolic import printing as P, symbols as S``).
"""
