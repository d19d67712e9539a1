"""The learner's settings: one frozen dataclass for everything the sidebar sets.

The sidebar binds each field to a URL query parameter of the same name
(Streamlit's ``bind="query-params"``), so a copied URL reopens the same view;
``LIMITS`` and the ``*_CHOICES`` tuples are the widgets' bounds and options.
"""

from __future__ import annotations

from dataclasses import dataclass

DISTRIBUTIONS = ("normal", "shifted", "uniform", "skewed", "custom")
EPS_CHOICES = (0.0, 1e-12, 1e-8, 1e-5, 1e-3, 1e-2, 1e-1, 1.0)
UPSTREAMS = ("random", "ones", "softmax", "custom")

LIMITS: dict[str, tuple[float, float]] = {
    "m": (1, 512),
    "d": (1, 16),
    "gamma": (-5.0, 5.0),
    "beta": (-5.0, 5.0),
    "eps": (0.0, 1.0),
    "seed": (0, 2**31 - 1),
}
"""Inclusive ranges of the numeric settings (the sidebar's slider bounds)."""


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
