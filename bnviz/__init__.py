"""bnviz: an interactive explainer of Batch Normalization, forward and backward."""

__version__ = "0.1.0"
