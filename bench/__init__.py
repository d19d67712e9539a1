"""bnviz's benchmarks: tools that drive the UI and time the library, outside the library.

* ``python -m bench``: the server-side rerun of every page (AppTest,
  :mod:`bench.apptest`), BN forward+backward in NumPy vs PyTorch and the
  network sweep (:mod:`bench.kernels`); a Markdown table (:mod:`bench.report`).
* ``python -m bench.browser``: a real ``streamlit run`` server driven by
  Debian's headless Chromium, per lesson: sidebar slider and stepping, page
  updated and idle, beside the server-side time (:mod:`bench.browser`).

Measurements, not tests: they print figures and never fail on a slow one.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The repository root (holds app.py and pages/)."""
