"""The library does not depend on the UI: importing every module under bnviz/ loads no Streamlit, by any route.

A grep for ``import streamlit`` can be dodged (importlib, a helper that
imports it, a dependency that does); so a fresh interpreter imports every
module of the package (``pkgutil.walk_packages``; ``__main__`` modules, which
run the CLI, excepted) one by one and reports the first after which
``streamlit`` is in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, json, pkgutil, sys
sys.path.insert(0, sys.argv[1])
package = importlib.import_module(sys.argv[2])
imported, culprit = [package.__name__], None
if "streamlit" in sys.modules:
    culprit = package.__name__
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if culprit:
        break
    if info.name.endswith(".__main__"):  # an entry point: importing it runs the CLI
        continue
    importlib.import_module(info.name)
    imported.append(info.name)
    if "streamlit" in sys.modules:
        culprit = info.name
print(json.dumps({"imported": imported, "culprit": culprit}))
"""


def probe(root: Path, package: str) -> dict:
    """Import every module of ``package`` (found under ``root``) in a fresh interpreter.

    Returns {"imported": [module names], "culprit": the first module after whose import Streamlit was
    loaded, or None}.
    """
    out = subprocess.run([sys.executable, "-c", PROBE, str(root), package], cwd=root, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, f"importing {package} failed:\n{out.stderr[-3000:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_no_module_in_bnviz_loads_streamlit() -> None:
    result = probe(ROOT, "bnviz")
    assert result["culprit"] is None, f"importing {result['culprit']} loads streamlit"
    expected = {p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
                for p in (ROOT / "bnviz").rglob("*.py") if p.name != "__main__.py"}
    missing = expected - set(result["imported"])
    assert not missing, f"the probe did not import {sorted(missing)}"


def test_the_probe_finds_a_hidden_streamlit_import(tmp_path: Path) -> None:
    """The check can fail: a module that loads Streamlit through importlib, two levels down, is named."""
    pkg = tmp_path / "fakelib"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "plain.py").write_text("import json\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "sneaky.py").write_text("import importlib\nimportlib.import_module('stream' + 'lit')\n")
    result = probe(tmp_path, "fakelib")
    assert result["culprit"] == "fakelib.sub.sneaky"
