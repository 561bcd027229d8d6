"""The recipe registry and the ``awe recipe`` command built from it (no recipe runs here)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import subprocess
import sys

import pytest

from awe.cli import main
from common.errors import RecipeError
from muse.recipes.registry import RecipeInput, get, recipes, register

RECIPES = ["bias", "flat", "wavecal", "scibasic", "scipost"]


def awe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "awe.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_every_recipe_is_registered_in_processing_order():
    assert list(recipes()) == RECIPES
    assert [spec.eso_name for spec in recipes().values()] == [f"muse_{n}" for n in RECIPES]


@pytest.mark.parametrize("name", RECIPES)
def test_a_declaration_matches_its_recipe_module(name):
    spec = get(name)
    module = importlib.import_module(f"muse.recipes.{name}")
    assert spec.eso_name == module.RECIPE
    assert spec.inputs[0].tag == module.RAW_CATG
    for entry in (spec.function, spec.run_inputs):
        assert callable(spec.load(entry))
    run_inputs = inspect.signature(spec.load())
    assert list(run_inputs.parameters) == ["inputs", "params", "out_dir", "processes",
                                           "progress"]
    table = {"scipost": "SCIPOST_PARAMETERS"}.get(name, f"{name.upper()}_PARAMETERS")
    assert spec.parameters == getattr(importlib.import_module("muse.recipes.params"), table)


def test_unknown_recipes_and_second_registrations_are_refused():
    with pytest.raises(RecipeError, match="recipe 'sky': unknown; expected one of bias, flat"):
        get("sky")
    bias = get("bias")
    with pytest.raises(RecipeError, match="recipe bias: registered twice"):
        register(dataclasses.replace(bias, eso_name="muse_other"))
    assert register(bias) is bias and get("bias") is bias


def test_input_counts_are_checked_and_described():
    catalog = RecipeInput("LINE_CATALOG", "the arc line list", maximum=1)
    assert catalog.count() == "exactly 1"
    catalog.check(1, "muse_wavecal")
    with pytest.raises(RecipeError, match=r"recipe muse_wavecal: expected exactly 1 "
                                          r"LINE_CATALOG file\(s\) \(the arc line list\), "
                                          r"found 2"):
        catalog.check(2, "muse_wavecal")
    optional = RecipeInput("FILTER_LIST", "filters", minimum=0, maximum=1)
    assert not optional.required and optional.count() == "at most 1"
    optional.check(0, "muse_scipost")
    assert RecipeInput("BIAS", "raw", minimum=3).count() == "at least 3"


def test_awe_help_loads_no_numpy_nor_recipe():
    probe = ("import sys\nfrom awe.cli import main\ntry:\n    main(['--help'])\n"
             "except SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'astropy')"
             " or m in ('muse.recipes.bias', 'muse.recipes.scipost')))")
    process = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             timeout=120)
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines()[-1] == "[]"
    listing = awe("recipe", "--help")
    for name in RECIPES:
        assert f"(muse_{name})" in listing.stdout


@pytest.mark.parametrize("name", RECIPES)
def test_each_recipe_help_lists_inputs_products_and_parameters(name):
    process = awe("recipe", name, "--help")
    assert process.returncode == 0, process.stderr
    text = process.stdout
    spec = get(name)
    for item in spec.inputs:
        need = "required" if item.required else "optional"
        assert any(line.split()[:2] == [item.tag, f"{need},"] for line in text.splitlines())
    for product in spec.products:
        assert any(line.split()[:1] == [product.tag] for line in text.splitlines()
                   if line.startswith("  "))
    flat = " ".join(text.split())
    for parameter in spec.parameters.values():
        assert f"--{parameter.name}" in text
        default = (str(parameter.default).lower() if parameter.kind is bool
                   else str(parameter.default))
        assert f"(default: {default})" in flat
        for choice in parameter.choices:
            assert choice in flat
    assert "``" not in text and ":mod:" not in text and "DESIGN" not in text
    assert f"awe recipe {name} {name}.sof" in text


def test_set_of_frames_files_are_read_as_esorex_reads_them(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["recipe", "bias", "bias.sof", "--out", "out"]) == 1
    assert capsys.readouterr().err == ("awe: RecipeError: bias.sof: cannot read the SOF file "
                                       "([Errno 2] No such file or directory: 'bias.sof')\n")
    (tmp_path / "bias.sof").write_text("# raw frames\nb1.fits BIAS\nb2.fits\n")
    assert main(["recipe", "bias", "bias.sof", "--out", "out"]) == 1
    assert capsys.readouterr().err == ("awe: RecipeError: bias.sof: line 3: expected "
                                       "'PATH TAG', found 'b2.fits'\n")
    (tmp_path / "bias.sof").write_text("b1.fits BIAS\nb2.fits BIAS\nflat.fits FLAT\n")
    assert main(["recipe", "bias", "bias.sof", "--out", "out"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == ["awe recipe bias: ignoring flat.fits: category FLAT is not an input of this "
                   "recipe (expected BIAS)",
                   "awe: RecipeError: recipe muse_bias: expected at least 3 BIAS file(s) (raw "
                   "bias frames), found 2"]
    assert not (tmp_path / "out").exists()
