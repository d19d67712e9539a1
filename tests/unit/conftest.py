"""Shared fixtures for the unit tests of bnviz's core (graph, BN backward, derivation)."""

from __future__ import annotations

import numpy as np
import pytest

from bnviz.ops import bn


@pytest.fixture(scope="session")
def derivation() -> bn.BNDerivation:
    """The symbolic BN derivation (derived once per session; bn_derivation is cached anyway)."""
    return bn.bn_derivation()


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator so that a failure is reproducible."""
    return np.random.default_rng(20240611)
