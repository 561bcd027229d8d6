"""``awe recipe bias|flat``: classification, SOF files, parameters, progress, exit codes."""

from __future__ import annotations

import subprocess

from astropy.io import fits

from awe.cli import main


def parameter(header: fits.Header, name: str) -> str:
    number = 1
    while f"HIERARCH ESO PRO REC1 PARAM{number} NAME" in header:
        if header[f"HIERARCH ESO PRO REC1 PARAM{number} NAME"] == name:
            return header[f"HIERARCH ESO PRO REC1 PARAM{number} VALUE"]
        number += 1
    raise KeyError(name)


def test_bias_from_files_with_parameters(small_night, tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["recipe", "bias", *map(str, small_night.bias_files), "--out", str(out),
                   "--nifu=3", "--combine=median", "--hisigmabadpix=4.5"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert f"{out / 'MASTER_BIAS-03.fits'}" in captured.out
    assert "muse_bias: 1 IFU(s), 1 product file(s) and 1 preview(s)" in captured.out
    assert "1/1 IFUs" in captured.err
    header = fits.getheader(out / "MASTER_BIAS-03.fits")
    assert parameter(header, "combine") == "median"
    assert parameter(header, "hisigmabadpix") == "4.5"
    assert parameter(header, "nifu") == "3"


def test_flat_from_a_sof_with_merged_products(small_night, bias_run, tmp_path, capsys):
    sof = tmp_path / "flat.sof"
    lines = [f"{path} FLAT" for path in small_night.flat_files]
    lines += [f"{bias_run.out / 'MASTER_BIAS-05.fits'} MASTER_BIAS",
              f"{bias_run.out / 'MASTER_BIAS-06.fits'} MASTER_BIAS",
              "# a comment line", "",
              f"{small_night.bias_files[0]} BIAS  # not an input of muse_flat"]
    sof.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    status = main(["recipe", "flat", "--sof", str(sof), "--out", str(out), "--merge",
                   "--nifu=5", "--normalize=false"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "ignoring" in captured.err and "category BIAS" in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["MASTER_FLAT-05.png", "MASTER_FLAT.fits",
                                                     "TRACE_TABLE.fits"]
    with fits.open(out / "MASTER_FLAT.fits") as hdul:
        assert [hdu.name for hdu in hdul] == ["PRIMARY", "CHAN05.DATA", "CHAN05.DQ",
                                              "CHAN05.STAT"]
        assert parameter(hdul[0].header, "normalize") == "false"
        assert parameter(hdul[0].header, "merge") == "true"
        assert hdul[0].header["HIERARCH ESO PRO REC1 CAL1 NAME"] == "MASTER_BIAS-05.fits"


def test_errors_exit_one_with_the_message(small_night, tmp_path, capsys):
    status = main(["recipe", "bias", *map(str, small_night.bias_files[:2]), "--out",
                   str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 1
    assert "awe: RecipeError: recipe muse_bias: expected at least 3 BIAS file(s)" \
        in captured.err
    assert main(["recipe", "bias", "--out", str(tmp_path)]) == 1
    assert "no input files" in capsys.readouterr().err
    status = main(["recipe", "bias", *map(str, small_night.bias_files), "--lsigma=often"])
    assert status == 1
    assert "parameter lsigma: expected a number >= 0, found 'often'" in capsys.readouterr().err


def test_command_line_in_a_real_process(small_night, tmp_path, python):
    out = tmp_path / "out"
    process = subprocess.run([python, "-m", "awe.cli", "recipe", "bias",
                              *map(str, small_night.bias_files), "--out", str(out),
                              "--nifu", "7"], capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    assert process.stderr.startswith("awe recipe bias: 1/1 IFUs (IFU  7 done")
    assert process.stdout.splitlines()[0] == str(out / "MASTER_BIAS-07.fits")
    assert sorted(p.name for p in out.iterdir()) == ["MASTER_BIAS-07.fits",
                                                     "MASTER_BIAS-07.png"]
