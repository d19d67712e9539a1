"""``python -m bnviz``: the command line (see :mod:`bnviz.cli`)."""

from bnviz.cli import main

raise SystemExit(main())
