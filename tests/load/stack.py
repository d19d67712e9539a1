"""Start and stop what the load tests run against: one Streamlit process, or scripts/serve.sh
(N replicas behind nginx). Each runs in its own process group, logs to files and is stopped with
SIGTERM to that group (then SIGKILL): bench.server's helpers, the ones the benchmark and the browser
tests use."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bench.server import free_port, start, streamlit_command, wait_healthy
from bench.server import stop as stop_group

ROOT = Path(__file__).resolve().parents[2]


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Stack:
    """replicas=0: one `streamlit run` on a free port; replicas=N: scripts/serve.sh with N replicas.

    url: where learners connect; replica_pids: {"127.0.0.1:PORT": pid}; run_dir: logs and pid files.
    """

    def __init__(self, run_dir: Path, replicas: int = 0, startup_s: float = 120.0) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.replicas = replicas
        self.startup_s = startup_s
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.replica_pids: dict[str, int] = {}

    def __enter__(self) -> Stack:
        if self.replicas:
            cmd = ["bash", str(ROOT / "scripts/serve.sh"), "--replicas", str(self.replicas), "--port",
                   str(self.port), "--listen", "127.0.0.1", "--run-dir", str(self.run_dir)]
        else:
            cmd = streamlit_command(self.port)
        self.proc = start(cmd, self.run_dir / "stack.log", env={**os.environ, "PYTHON": sys.executable})
        try:
            wait_healthy(self.proc, self.url, self.log, self.startup_s, poll=0.5)
        except Exception:
            self.stop()
            raise
        if self.replicas:
            for pid_file in sorted(self.run_dir.glob("replica-*.pid")):
                port = pid_file.stem.split("-", 1)[1]
                self.replica_pids[f"127.0.0.1:{port}"] = int(pid_file.read_text())
        else:
            self.replica_pids[f"127.0.0.1:{self.port}"] = self.proc.pid
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def log(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in sorted(self.run_dir.glob("*.log")))

    def kill_replica(self, addr: str) -> None:
        """Kill one replica at once (SIGKILL: a crash, not a clean shutdown)."""
        os.kill(self.replica_pids[addr], signal.SIGKILL)

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_group(self.proc)
        for pid in self.replica_pids.values():  # replicas share the group; make sure none is left
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc = None
