"""Deep-link entry for /bugzoo on a server's first run: runs the app (see ui/first_visit.py)."""

from ui.first_visit import run_app

run_app()
