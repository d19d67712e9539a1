"""SymPy side of the graphs, in three modules by responsibility.

* :mod:`bnviz.symbolic.printing`: how symbols print (their names, ``NOTATION``, ``latex`` / ``text``);
* :mod:`bnviz.symbolic.symbols`: the symbols the graphs are written in (``i``, ``j``, ``m``, ``eps``, ``vector``,
  ``scalar``, the ∂L/∂… placeholders, unevaluated ``add`` / ``mul`` / ``rename``);
* :mod:`bnviz.symbolic.derivation`: the symbolic chain rule, the general-m reduction, ``evaluate``.

Import the module you use (``from bnviz.symbolic import printing as P, symbols as S``). The names below are
re-exported for the one caller not yet moved to the modules (``bnviz/lessons/sync.py``); delete them with it.
"""

from bnviz.symbolic.derivation import reduce_sums
from bnviz.symbolic.printing import Expected, latex
from bnviz.symbolic.symbols import add, i, j, m, mul, rename, vector, via

__all__ = ["Expected", "add", "i", "j", "latex", "m", "mul", "reduce_sums", "rename", "vector", "via"]
