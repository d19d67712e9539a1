"""Loaded by the benchmark's server only (``bench.browser`` puts this folder first on its PYTHONPATH).

Every script run of the server (``ScriptRunner._run_script``: the page script and Streamlit's post-run work)
appends one line ``<wall ms> <thread CPU ms>`` to the file named by ``BNVIZ_BENCH_RUNS``: the server's own
rerun time, which the browser cannot see apart from its own work. Nothing happens without that variable.
"""

import os
import time

_RUNS = os.environ.get("BNVIZ_BENCH_RUNS")

if _RUNS:
    from streamlit.runtime.scriptrunner import script_runner

    _run_script = script_runner.ScriptRunner._run_script

    def _timed(self, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return _run_script(self, *args, **kwargs)
        finally:
            line = f"{(time.perf_counter() - wall) * 1e3:.2f} {(time.thread_time() - cpu) * 1e3:.2f}\n"
            with open(_RUNS, "a", encoding="utf-8") as out:
                out.write(line)

    script_runner.ScriptRunner._run_script = _timed
