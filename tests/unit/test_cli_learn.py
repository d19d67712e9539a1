"""The command line's learn-by-doing options: derive --ablate / --exercises, train --ablate."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest

from bnviz import ablation, cli, gradcheck
from bnviz.settings import Settings


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("name", ablation.ABLATIONS)
def test_derive_ablate_json(capsys, name):
    code, out, err = run(capsys, "derive", "--m", "6", "--d", "2", "--seed", "4", "--ablate", name, "--format", "json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    ab = doc["ablation"]
    assert ab["removed"] == name
    dx_true = np.array(doc["backward"]["dx"])
    removed = np.array(ab["dx"]) - dx_true
    if name in ("xhat", "var", "mu"):  # the removed part is the graph's path term, as the JSON lists it
        np.testing.assert_allclose(-removed, np.array(doc["backward"]["paths"][name]), atol=1e-15, rtol=0)
        assert ab["rel_error"] > 1e-3 and not ab["harmless"]
    else:
        assert np.max(np.abs(removed)) < 1e-12 and ab["harmless"]
        assert ab["rel_error"] < gradcheck.THRESHOLD
    assert ab["rel_error_true"] < gradcheck.THRESHOLD


def test_derive_without_ablate_has_no_key(capsys):
    code, out, _ = run(capsys, "derive", "--format", "json")
    assert code == 0 and "ablation" not in json.loads(out)


def test_refusals_are_one_line(capsys):
    code, out, err = run(capsys, "derive", "--norm", "layer", "--ablate", "mu", "--format", "json")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "--ablate" in err
    code, out, err = run(capsys, "derive", "--ablate", "gamma")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_derive_exercises(capsys):
    code, out, _ = run(capsys, "derive", "--exercises", "--format", "ipynb", "--lang", "zh")
    assert code == 0
    nb = nbformat.reads(out, as_version=4)
    assert sum(c.source.startswith("answer_") for c in nb.cells) > 10
    code, md, _ = run(capsys, "derive", "--exercises", "--format", "md")
    assert code == 0 and "## Answers" in md
    code, plain, _ = run(capsys, "derive", "--format", "md")
    assert "## Answers" not in plain
    assert Settings().m == 8


def test_train_ablate(capsys):
    args = ("train", "--steps", "20", "--hidden", "16x2", "--batch", "20", "--seed", "1", "--json")
    code, out, err = run(capsys, *args, "--ablate", "mu")
    assert code == 0, err
    broken = json.loads(out)
    assert broken["config"]["ablate"] == "mu"
    _, out, _ = run(capsys, *args)
    true = json.loads(out)
    assert true["config"]["ablate"] is None
    assert broken["curves"]["train_loss"][0] == true["curves"]["train_loss"][0]  # the same start
    assert broken["curves"]["val_loss"][-1] != true["curves"]["val_loss"][-1]  # a different backward
