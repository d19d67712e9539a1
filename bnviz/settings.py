"""The learner's settings: one frozen dataclass for everything the sidebar sets.

The sidebar binds each field to a URL query parameter of the same name
(Streamlit's ``bind="query-params"``), so a copied URL reopens the same view;
``*_CHOICES`` are the widgets' options; their bounds are ``bnviz.limits.LIMITS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bnviz.limits import LIMITS  # noqa: F401 - re-exported; defined with every other limit

DISTRIBUTIONS = ("normal", "shifted", "uniform", "skewed", "custom")
EPS_CHOICES = (0.0, 1e-12, 1e-8, 1e-5, 1e-3, 1e-2, 1e-1, 1.0)
UPSTREAMS = ("random", "ones", "softmax", "custom")


@dataclass(frozen=True)
class Settings:
    """Everything that determines what a page shows.

    m, d:        batch size and number of features (x is (m, d))
    gamma, beta: scale and shift, the same for every feature in the app
    eps:         the ε in √(σ² + ε), one of EPS_CHOICES
    seed:        seed of the random input and upstream gradient
    dist:        input distribution, one of DISTRIBUTIONS
    x_text:      the learner's own x when dist == "custom" (one sample a row)
    upstream:    upstream gradient ∂L/∂y, one of UPSTREAMS
    dout_text:   the learner's own ∂L/∂y when upstream == "custom"
    lang:        "en" or "zh"
    """

    m: int = 8
    d: int = 3
    gamma: float = 1.0
    beta: float = 0.0
    eps: float = 1e-5
    seed: int = 0
    dist: str = "normal"
    x_text: str = ""
    upstream: str = "random"
    dout_text: str = ""
    lang: str = "en"


DEFAULTS = Settings()
