"""XML change → regenerate → connect: the schema evolves; a removed attribute is refused.

Each step runs in its own process, with a copy of the ``muse`` package (its ``muse.xml`` edited
and ``generated.py`` regenerated) first on ``PYTHONPATH`` and ``AWE_TARGET=muse.datamodel``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import muse

ROOT = Path(muse.__file__).resolve().parent.parent
CLIENT = Path(__file__).with_name("datamodel_client.py")
BIAS_CHIPS = '<list name="raw_chips" class="RawBiasChip" doc="the raw bias extensions combined"/>'
NOTE = ('    <attribute name="evo_note" type="str" default="none" length="32" '
        'doc="a note added by the evolution test"/>\n')
EXTRA = ('  <class name="EvoExtra" base="DBObject">\n    <doc>A class added by the evolution '
         'test.</doc>\n    <attribute name="label" type="str" length="32" doc="a label"/>\n'
         '  </class>\n')


def _run(copy: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{copy}{os.pathsep}{ROOT}",
           "AWE_TARGET": "muse.datamodel"}
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env,
                          cwd=copy, timeout=300, check=False)


def _edit(copy: Path, old: str, new: str) -> None:
    xml = copy / "muse" / "datamodel" / "muse.xml"
    text = xml.read_text(encoding="utf-8")
    assert old in text
    xml.write_text(text.replace(old, new, 1), encoding="utf-8")
    generated = _run(copy, "-m", "muse.datamodel.generate")
    assert generated.returncode == 0, generated.stderr


def test_add_then_remove_an_attribute(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(ROOT / "muse", copy / "muse",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    url = f"sqlite:///{tmp_path / 'evolution.sqlite'}"
    store = str(tmp_path / "store")
    written = _run(copy, str(CLIENT), url, store, "write")
    assert written.returncode == 0, written.stdout + written.stderr

    _edit(copy, '<datamodel version="1.0.0">', '<datamodel version="1.1.0">')
    _edit(copy, f"{BIAS_CHIPS}\n", f"{BIAS_CHIPS}\n{NOTE}")
    _edit(copy, "\n  <!-- ===== science products", f"\n{EXTRA}\n  <!-- ===== science products")
    assert "evo_note = persistent(" in (copy / "muse/datamodel/generated.py").read_text()
    evolved = _run(copy, str(CLIENT), url, store, "read")
    assert evolved.returncode == 0, evolved.stdout + evolved.stderr
    assert json.loads(evolved.stdout.splitlines()[-1]) == {
        "version": "1.1.0", "ifu": 3, "evo_note": "none", "extras": 1}

    _edit(copy, '<datamodel version="1.1.0">', '<datamodel version="1.2.0">')
    _edit(copy, NOTE, "")
    refused = _run(copy, str(CLIENT), url, store, "read")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    message = refused.stdout.strip()
    assert message.startswith("SchemaEvolutionError: ")
    assert "evo_note" in message and "awe_master_bias" in message
