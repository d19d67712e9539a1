"""The benchmark's helpers work on a tiny configuration (structure only: nothing here is timed against a budget).

PyTorch is imported at the top: without it this module fails to collect (the
kernel comparison is half of what it checks), it never passes quietly.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench import apptest, kernels, report
from bench.browser import __main__ as browser_main
from bench.browser import measure
from bench.browser import report as browser_report
from bench.machine import machine_info
from bnviz import nets


def test_discover_and_select_pages() -> None:
    pages = apptest.discover_pages()
    assert pages, "pages/ has no page"
    assert all(p.suffix == ".py" and p.parent.name == "pages" for p in pages)
    first = pages[0]
    assert apptest.select_pages(pages, None) == pages
    assert apptest.select_pages(pages, [first.stem]) == [first]
    assert apptest.select_pages(pages, [f"pages/{first.name}"]) == [first]
    assert apptest.select_pages(pages, ["no_such_page"]) == []


def test_time_page_tiny() -> None:
    """A few γ-change reruns of the first page give positive median/p95 (default settings)."""
    page = apptest.discover_pages()[0]
    res = apptest.time_page(page, "default", reruns=3, warmup=1)
    assert res.error == "", res.error
    assert res.toggled == "gamma"
    assert res.reruns == 3
    assert 0 < res.median_ms <= res.p95_ms <= res.max_ms
    assert res.verdict in ("OK", "OVER")


def test_time_page_reports_a_broken_page(tmp_path: Path) -> None:
    """A page that raises is an ERROR row, not a crash; without γ the page's own slider is changed, without any
    slider the reruns are plain."""
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text(
        "import streamlit as st\n"
        "st.navigation([st.Page(f'pages/{n}.py', default=n == 'ok') for n in ('ok', 'bad', 'plain')]).run()\n"
    )
    (tmp_path / "pages" / "ok.py").write_text("import streamlit as st\nst.slider('k', 0, 10, 10, key='k')\n")
    (tmp_path / "pages" / "bad.py").write_text("raise ValueError('boom')\n")
    (tmp_path / "pages" / "plain.py").write_text("import streamlit as st\nst.write('no widgets')\n")
    pages = {p.stem: p for p in apptest.discover_pages(tmp_path)}
    app = tmp_path / "app.py"

    bad = apptest.time_page(pages["bad"], "default", reruns=2, warmup=0, app=app)
    assert bad.verdict == "ERROR" and "boom" in bad.error and bad.reruns == 0

    ok = apptest.time_page(pages["ok"], "max", reruns=2, warmup=0, app=app)
    assert ok.error == "" and ok.toggled == "k" and ok.reruns == 2
    assert "no slider 'm'" in ok.notes

    plain = apptest.time_page(pages["plain"], "default", reruns=2, warmup=0, app=app)
    assert plain.error == "" and plain.toggled == "" and plain.reruns == 2 and plain.median_ms > 0
    assert any("plain reruns" in n for n in plain.notes)


def test_time_kernels_tiny() -> None:
    """NumPy (closed form, staged) and PyTorch per-call times are positive; the ratio is theirs."""
    (k,) = kernels.time_kernels([(4, 2)], repeat=2, min_time=0.01)
    assert (k.m, k.d) == (4, 2)
    assert k.numpy_us > 0 and k.staged_us > 0
    assert k.torch_us is not None and k.torch_us > 0, k.note
    assert k.note == ""
    assert k.ratio == pytest.approx(k.numpy_us / k.torch_us)
    assert k.max_abs_dx is not None and k.max_abs_dx < 1e-12


def test_torch_mlp_is_the_same_network() -> None:
    """The sweep's PyTorch network starts from bnviz's weights: its first loss is bnviz's (float64, 1e-10)."""
    data = nets.digits().subset(100)
    for bn in (False, True):
        cfg = replace(nets.WEIGHT_SWEEP, hidden=(7, 5), bn=bn, weight_scale=0.1)
        model = kernels.torch_mlp(cfg, data.x_train.shape[1], data.classes).train()
        idx = nets.batch_indices(len(data.y_train), cfg.batch, 1, cfg.seed)[0]
        x, y = data.x_train[idx], data.y_train[idx]
        ours, _ = nets.loss_and_grads(nets.init_params(cfg, x.shape[1], data.classes), x, y, cfg)
        theirs = F.cross_entropy(model(torch.from_numpy(np.ascontiguousarray(x))), torch.from_numpy(y)).detach()
        assert theirs.item() == pytest.approx(ours, abs=1e-10)


def test_format_table_and_json() -> None:
    rows = [
        apptest.RerunResult("p", "default", 50.0, reruns=20, median_ms=10.0, p95_ms=20.0, max_ms=30.0,
                            toggled="gamma"),
        apptest.RerunResult("p", "max", 150.0, reruns=20, median_ms=100.0, p95_ms=200.0, max_ms=300.0,
                            toggled="gamma"),
        apptest.RerunResult("q", "default", 50.0, error="ValueError: boom"),
    ]
    rows_k = [kernels.KernelResult(8, 3, 10.0, 100.0, torch_us=5.0, torch_threads=2, ratio=2.0,
                                   staged_ratio=20.0, max_abs_dx=1e-16),
              kernels.KernelResult(512, 16, 50.0, 200.0, note="torch not installed")]
    machine = machine_info()
    assert machine["cpu_count"] and machine["numpy_threads"] >= 1
    table = report.format_table(machine, rows, rows_k)
    assert "| p | default (m=8, D=3) | 20 | 10.0 | 20.0 | 30.0 | 50 | OK |" in table
    assert "| p | max (m=512, D=16) | 20 | 100.0 | 200.0 | 300.0 | 150 | OVER |" in table
    assert "ERROR: ValueError: boom" in table
    assert "torch not installed" in table

    data = json.loads(report.to_json({"machine": machine, "reruns": rows, "kernels": rows_k}))
    assert [r["verdict"] for r in data["reruns"]] == ["OK", "OVER", "ERROR"]
    assert data["reruns"][2]["p95_ms"] is None
    assert math.isclose(data["kernels"][0]["ratio"], 2.0)


def _frame(t: float, direction: str, msg: object) -> dict:
    return {"t": t, "dir": direction, "data": base64.b64encode(msg.SerializeToString()).decode()}


def test_browser_decode_pairs_reruns_with_script_finished() -> None:
    """Times come from the frames Streamlit's protos decode: server = rerun sent → last script_finished;
    updated = the last change (mutation or frame, heartbeats excepted) after the input."""
    rerun = BackMsg()
    rerun.rerun_script.query_string = "m=9"
    beat = BackMsg()
    beat.app_heartbeat = True
    delta = ForwardMsg()
    delta.delta.new_element.markdown.body = "x"
    done = ForwardMsg()
    done.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
    record = {"input": 100.0, "mut": 260.0, "now": 700.0, "longtasks": [[90.0, 80.0], [150.0, 60.0], [200.0, 55.0]],
              "frames": [_frame(110.0, "out", rerun), _frame(150.0, "in", delta), _frame(240.0, "in", done),
                         _frame(400.0, "out", beat)]}
    res = measure.decode(record)
    assert res.reruns == 1 and res.finished == ["FINISHED_SUCCESSFULLY"]
    assert res.server_ms == pytest.approx(130.0)
    assert res.updated_ms == pytest.approx(160.0)  # the mutation at 260; the heartbeat at 400 is not a change
    assert res.long_task_ms == pytest.approx(115.0)  # the task that started before the input is not counted
    assert res.changed and (res.frames_in, res.frames_out) == (2, 1)

    quiet = measure.decode({"input": 100.0, "mut": 50.0, "now": 600.0, "longtasks": [], "frames": []})
    assert quiet.reruns == 0 and quiet.server_ms is None and not quiet.changed and quiet.updated_ms == 0.0


def test_browser_summary_and_table() -> None:
    series = measure.Series("graph", "step", "client-side stepper", [
        measure.Interaction("step", "next", float(v), None, 0, 0.0, True, main_cpu_ms=v / 2)
        for v in range(10, 110, 10)])
    row = browser_report.summary(series)
    assert row["n"] == 10 and row["updated_ms"]["median"] == pytest.approx(55.0)
    assert row["updated_ms"]["p95"] == pytest.approx(95.5) and row["verdict"] == "OK"
    assert row["server_ms"]["median"] is None and row["reruns"] == {"median": 0.0, "max": 0}
    assert row["main_cpu_ms"]["median"] == pytest.approx(27.5)
    assert row["run_ms"]["median"] is None  # no rerun, no server run
    slider = browser_report.summary(measure.Series("graph", "slider", "sidebar slider", [
        measure.Interaction("slider", "ArrowRight", 200.0, 150.0, 1, 0.0, True, run_ms=float(v)) for v in (40, 60)]))
    assert slider["run_ms"]["median"] == pytest.approx(50.0) and slider["server_ms"]["median"] == 150.0
    machine = {"cpu": "x", "cpu_count": 2, "python": "3", "streamlit": "1", "chromium": "9", "viewport": "1x1",
               "lang": "en", "quiet_ms": 400.0, "load_start": [1.0, 2.0, 3.0], "load_end": None}
    table = browser_report.format_table({"machine": machine, "series": [row]})
    p95 = f"{row['updated_ms']['p95']:.0f}"  # 95.49999…: the table rounds what numpy gives
    cpu95 = f"{row['main_cpu_ms']['p95']:.0f}"
    assert f"| graph | step | 10 | 55 | {p95} | — | — | — | — | 0 (max 0) | 0 | 0 | 28 | {cpu95} | 100 | OK |" in table
    assert "Chromium 9" in table and "1.00, 2.00, 3.00 / ?" in table


def test_browser_cli_rejects_bad_options_before_starting_anything(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--viewport", "big"], ["--lessons", "graph,nope"], ["--n", "0"]):
        with pytest.raises(SystemExit) as exc:
            browser_main.main(argv)
        assert exc.value.code == 2
    assert "nope" in capsys.readouterr().err
