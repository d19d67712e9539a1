"""Oracles: independent implementations (PyTorch, float64) the tests check bnviz against.

Nothing here imports bnviz; an oracle receives plain data (arrays, numbers, strings).
"""
