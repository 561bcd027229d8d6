"""Raw headers as the FITS standard and ESO write them, and raw files cut anywhere."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from common.errors import RecipeError
from muse.layout import N_IFUS
from muse.recipes.bias import make_master_bias
from muse.recipes.frames import RawFile

PLACEHOLDER = "placeholder for a CONTINUE card"


def card(text: str) -> bytes:
    return text.ljust(80).encode("ascii")


@pytest.fixture
def eso_cards(small_night, tmp_path) -> Path:
    """A raw BIAS with card layouts the standard allows and ESO writes.

    In the primary header: HIERARCH cards whose strings hold doubled quotes and a slash,
    and a HIERARCH long string over CONTINUE cards. In ``CHAN05``: ``EXTNAME`` itself
    continued over a CONTINUE card; in ``CHAN06``: ``EXTNAME`` in free format with a comment
    holding a quote.
    """
    path = tmp_path / "eso-cards.fits"
    with fits.open(small_night.bias_files[0], do_not_scale_image_data=True) as hdul:
        primary = hdul[0].header
        primary["HIERARCH ESO OBS NAME"] = "Jim's / bias, 'quoted'"
        primary["HIERARCH ESO OBS COMMENT"] = "a long ESO comment " * 8
        primary["HIERARCH ESO TPL NAME"] = ""
        hdul["CHAN05"].header.insert("EXTNAME", ("COMMENT", PLACEHOLDER), after=True)
        chan05 = (hdul["CHAN05"].header.cards["EXTNAME"].image.encode("ascii")
                  + card(f"COMMENT {PLACEHOLDER}"))
        chan06 = hdul["CHAN06"].header.cards["EXTNAME"].image.encode("ascii")
        hdul.writeto(path)
    data = path.read_bytes()
    assert data.count(chan05) == 1
    data = data.replace(chan05, card("EXTNAME = 'CHAN&'") + card("CONTINUE  '05'"))
    assert data.count(chan06) == 1
    data = data.replace(chan06, card("EXTNAME =               'CHAN06'  / the chip's IFU"))
    path.write_bytes(data)
    return path


def test_eso_card_layouts_are_read_as_the_standard_says(eso_cards, small_night, tmp_path):
    raw = RawFile(eso_cards)
    assert raw.ifus() == list(range(1, N_IFUS + 1))
    assert raw.primary["HIERARCH ESO OBS NAME"] == "Jim's / bias, 'quoted'"
    assert raw.primary["HIERARCH ESO OBS COMMENT"] == ("a long ESO comment " * 8).rstrip()
    assert raw.primary["HIERARCH ESO TPL NAME"] == ""
    for ifu in (4, 5, 6):
        chip = raw.location(ifu).open()
        assert chip.extname == f"CHAN{ifu:02d}"
        assert chip.header["ESO OBS NAME"] == "Jim's / bias, 'quoted'"
    with fits.open(eso_cards) as hdul:
        assert hdul[5].header["EXTNAME"] == "CHAN05"
        everything = (slice(None), slice(None))
        assert np.array_equal(chip.values(everything), hdul["CHAN06"].data)
    result = make_master_bias([eso_cards, *small_night.bias_files[1:3]], out_dir=tmp_path / "o",
                              ifus=[5, 6])
    assert sorted(result.units) == [5, 6]


def cut_positions(path: Path) -> list[tuple[int, str]]:
    """Every HDU boundary and a place inside every header and every data part."""
    positions = []
    with fits.open(path) as hdul:
        for index, hdu in enumerate(hdul):
            info = hdu.fileinfo()
            start, data, span = info["hdrLoc"], info["datLoc"], info["datSpan"]
            positions += [(start, f"start of HDU {index}"),
                          (start + 1000, f"inside the header of HDU {index}"),
                          (data - 80, f"before the END block of HDU {index}"),
                          (data, f"end of the header of HDU {index}")]
            if span:
                positions += [(data + 1, f"first data byte of HDU {index}"),
                              (data + span // 2, f"inside the data of HDU {index}"),
                              (data + span - 1, f"last data byte of HDU {index}")]
    return sorted(set(positions), reverse=True)


def test_a_raw_file_cut_anywhere_is_a_clear_error(small_night, tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    files = [Path(shutil.copy(path, folder)) for path in small_night.bias_files[:3]]
    victim = files[1]
    positions = cut_positions(victim)
    assert len(positions) > 6 * 25
    for position, where in positions:  # from the end backwards: each cut shortens the file
        os.truncate(victim, position)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(RecipeError) as error:
                make_master_bias(files, out_dir=tmp_path / "out")
        message = str(error.value)
        assert str(victim) in message, where
        assert "\n" not in message, where
        assert not caught, (where, [str(w.message) for w in caught])
    assert not (tmp_path / "out").exists()
