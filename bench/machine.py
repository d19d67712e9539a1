"""The machine a figure was taken on: CPUs, thread counts, versions, load average."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

import numpy as np


def version(dist: str) -> str:
    """The installed version of ``dist``, or ``"not installed"``."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def numpy_threads() -> int:
    """Threads NumPy's BLAS uses (threadpoolctl if present, else the CPU count).

    BN itself is element-wise and reductions, which NumPy runs on one thread
    whatever this says; the number only sets PyTorch's thread count.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    counts = [int(info["num_threads"]) for info in threadpool_info() if info.get("user_api") == "blas"]
    return max(counts) if counts else os.cpu_count() or 1


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (noise on a shared machine), None where unknown."""
    return [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None


def machine_info() -> dict[str, Any]:
    """CPU, thread counts, library versions and the 1-minute load average."""
    load = load_average()
    return {
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy_threads": numpy_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "streamlit": version("streamlit"),
        "torch": version("torch"),
        "platform": platform.platform(),
        "load_1min": load[0] if load else None,
    }
