"""DATACUBE_FINAL and IMAGE_FOV from the 24 PIXTABLE_OBJECT of one exposure (``muse_scipost``).

With the parameters of ESO's ``muse_scipost`` that matter for one exposure
(:data:`SCIPOST_PARAMETERS`; defaults are ESO's, ``skymethod`` the on-line ``none``):

1. the pixel tables are checked together: one exposure (same ``DATE-OBS``, not combined),
   one setup (same ``INS.MODE`` and ``DET.READ.CURID``), every IFU 1–24 exactly once,
   positions in ``pix``;
2. each table is mapped and indexed by wavelength slab (:mod:`muse.recipes.cube`);
   tables made by ``muse_scibasic`` carry the flat field's lamp spectrum
   (``PIXTABLE_FLAT_FIELD``, the mean flat value per wavelength bin) and the level their
   flat was normalised by (``ESO DRS MUSE FLAT FLUX LAMP``): the flat-fielded data are
   multiplied by ``L(λ) / level``, ``L`` the mean over the IFUs of spectrum × level (the
   lamp as the IFUs saw it on average), which undoes the lamp's spectrum and each IFU's own
   normalisation and leaves the IFUs' relative throughput to the flat field;
3. slab by slab the rows are flux-calibrated (STD_RESPONSE, EXTINCT_TABLE at the mean
   ``TEL.AIRM``; without a response the cube stays in ``count``) and resampled
   (``resample``: ``drizzle`` with ``pixfrac``, or ``nearest``) onto 0.2″ spaxels (``dx``,
   ``dy``; 0.025″ in NFM) and 1.25 Å planes (``dlambda``) from 4750 Å (4700 nominal AO, 4600
   extended) to 9350 Å, cut by ``lambdamin``/``lambdamax``; empty voxels are NaN;
4. ``skymethod=simple`` subtracts per plane the median of the faintest spaxels
   (``skymodel_fraction`` after ignoring the faintest ``skymodel_ignore``);
5. IMAGE_FOV: the cube collapsed with each ``filter`` (FILTER_LIST, or the built-in
   ``white``), one file per filter, with a PNG preview; sources found in the first image
   give ``QC SCIPOST NDET``, ``FWHMk X/Y`` and ``FWHM NVALID/MEDIAN/MAD``.

Products: ``DATACUBE_FINAL.fits`` (primary header, ``DATA`` and ``STAT``, WCS
``RA---TAN``/``DEC--TAN``/``AWAV``) and ``IMAGE_FOV_0001.fits`` … per filter with
``IMAGE_FOV_0001.png`` …; all are written to temporary names and renamed together, so a
failed run leaves none. Left out: the sky rotation (``INS.DROT.POSANG``; north is up), DAR,
radial-velocity correction, cosmic-ray rejection, ``autocalib``, the ``model`` sky and the
other ``save`` products.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
from astropy.io import fits

from common.errors import RecipeError
from muse.layout import N_IFUS, SPAXEL_ARCSEC
from muse.recipes.basicproc import default_threads
from muse.recipes.cube import (
    CubeGrid,
    FilterImages,
    Kernel,
    index_table,
    mode_lambda_min,
    native_dispersion,
    resample_exposure,
    sky_spaxels,
    subtract_sky,
)
from muse.recipes.cubefile import CubeFile
from muse.recipes.fluxcal import (
    FLUX_UNIT,
    FLUX_UNIT_SQUARED,
    airmass,
    calibration_factor,
    read_curve,
    read_filters,
)
from muse.recipes.fov import source_qc, write_fov_preview
from muse.recipes.params import SCIPOST_PARAMETERS, ParameterValue, resolve
from muse.recipes.pixtable import FLAT_FIELD_EXTNAME, FLAT_LEVEL_KEY, PixTable
from muse.recipes.products import (
    PendingFiles,
    UnitResult,
    hierarch,
    product_header,
    write_hdus,
)
from muse.recipes.runner import Progress

__all__ = [
    "CUBE_CATG",
    "IMAGE_CATG",
    "RAW_CATG",
    "RECIPE",
    "SCIPOST_PARAMETERS",
    "ScipostResult",
    "make_scipost",
    "run_inputs",
]

RECIPE = "muse_scipost"
RAW_CATG = "PIXTABLE_OBJECT"
CUBE_CATG = "DATACUBE_FINAL"
IMAGE_CATG = "IMAGE_FOV"
NFM_SPAXEL_ARCSEC = 0.025
SLAB_PLANES = 64

_SQUARED = {FLUX_UNIT: FLUX_UNIT_SQUARED, "count": "count**2"}
# card keywords of the input that describe one IFU's table, not the exposure
_DROP_FROM_INPUT = ("ESO DRS MUSE PIXTABLE", "ESO DRS MUSE FLAT", "ESO PRO ", "ESO DET CHIP",
                    "ESO DET OUT", "ESO QC ")


@dataclass(frozen=True)
class ScipostResult:
    """What ``make_scipost`` wrote: every file, the products by name, QC and attributes.

    ``products`` maps ``DATACUBE_FINAL`` and ``IMAGE_FOV <filter>`` / ``PREVIEW <filter>``
    to their files; ``qc`` is keyed by ESO names without ``ESO QC ``. As every recipe's
    result (:class:`~muse.recipes.products.RecipeOutcome`) it has one unit, the exposure
    (its ``DATE-OBS``).
    """

    recipe: str
    files: tuple[Path, ...]
    products: dict[str, Path]
    qc: dict[str, float | int]
    attributes: dict[str, object] = field(default_factory=dict)
    unit_kind: ClassVar[str] = "exposure"

    @property
    def exposure(self) -> str:
        """The exposure the products are of: the ``DATE-OBS`` of its pixel tables."""
        return str(self.attributes.get("DATE_OBS", ""))

    @property
    def units(self) -> dict[int | str, UnitResult]:
        """The one exposure's files, QC and attributes, keyed by its name."""
        return {self.exposure: UnitResult(unit=self.exposure, qc=self.qc,
                                          attributes=self.attributes, files=self.products)}


def _pixfrac(text: str) -> tuple[float, float, float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not 1 <= len(values) <= 3 or not all(0.0 < v <= 10.0 for v in values):
        raise RecipeError(f"recipe {RECIPE}: parameter pixfrac: expected 1 to 3 comma-"
                          f"separated numbers in (0, 10], found {text!r}")
    if len(values) == 1:
        return values[0], values[0], values[0]
    if len(values) == 2:
        return values[0], values[0], values[1]
    return values[0], values[1], values[2]


def _check_exposure(tables: Sequence[PixTable]) -> None:
    first = tables[0]
    reference = {key: first.header.get(key) for key in ("DATE-OBS", "HIERARCH ESO INS MODE",
                                                         "HIERARCH ESO DET READ CURID")}
    if reference["DATE-OBS"] is None:
        raise RecipeError(f"{first.path}: keyword 'DATE-OBS' is missing")
    by_ifu: dict[int, PixTable] = {}
    for table in tables:
        for key, expected in reference.items():
            found = table.header.get(key)
            if found != expected:
                what = "exposure" if key == "DATE-OBS" else "instrument setup"
                raise RecipeError(f"{table.path}: keyword '{key.removeprefix('HIERARCH ')}': "
                                  f"expected {expected!r} as {first.path.name} (one {what}), "
                                  f"found {found!r}")
        exposures = int(table.keyword("COMBINED", 1) or 1)
        if exposures > 1 or table.keyword("EXP2 FIRST") is not None:
            raise RecipeError(f"{table.path}: a pixel table of {max(exposures, 2)} combined "
                              f"exposures; expected the pixel tables of one exposure")
        catg = table.header.get("HIERARCH ESO PRO CATG", RAW_CATG)
        if catg != RAW_CATG:
            raise RecipeError(f"{table.path}: keyword 'ESO PRO CATG': expected {RAW_CATG}, "
                              f"found {catg!r}")
        for column in ("xpos", "ypos"):
            if table.units[column] != "pix":
                raise RecipeError(f"{table.path}: extension {column}: expected BUNIT 'pix' "
                                  f"(positions not yet on the sky), found "
                                  f"{table.units[column]!r}")
        if table.ifu in by_ifu:
            raise RecipeError(f"{table.path}: IFU {table.ifu} given twice, also in "
                              f"{by_ifu[table.ifu].path}")
        by_ifu[table.ifu] = table
    missing = sorted(set(range(1, N_IFUS + 1)) - set(by_ifu))
    if missing:
        raise RecipeError(f"exposure {reference['DATE-OBS']} ({first.path.name}…): expected "
                          f"the pixel tables of IFUs 1-{N_IFUS}, missing IFU "
                          f"{', '.join(str(i) for i in missing)}")


def _limits(table: PixTable, key: str, column: str) -> tuple[float, float]:
    low, high = table.keyword(f"LIMITS {key} LOW"), table.keyword(f"LIMITS {key} HIGH")
    if isinstance(low, int | float) and isinstance(high, int | float):
        return float(low), float(high)
    values = table.native(column)
    table.release()
    return float(np.nanmin(values)), float(np.nanmax(values))


def _number(table: PixTable, key: str, what: str) -> float:
    value = table.header.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecipeError(f"{table.path}: keyword '{key.removeprefix('HIERARCH ')}': "
                          f"expected {what}, found {value!r}")
    return float(value)


def _lamp_factors(tables: Sequence[PixTable], wavelengths: np.ndarray) -> list[np.ndarray]:
    """Per table, the factor at ``wavelengths`` that undoes the flat field's lamp (see above)."""
    with_lamp = [table for table in tables if table.flat_field is not None]
    if not with_lamp:
        return [np.ones_like(wavelengths) for _ in tables]
    if len(with_lamp) != len(tables):
        bare = next(table for table in tables if table.flat_field is None)
        raise RecipeError(f"{bare.path}: no {FLAT_FIELD_EXTNAME} extension, but "
                          f"{with_lamp[0].path.name} has one: expected pixel tables of one "
                          "kind")
    levels = [_number(table, hierarch(FLAT_LEVEL_KEY), "the flat's positive level (count)")
              for table in tables]
    for table, level in zip(tables, levels, strict=True):
        if not level > 0:
            raise RecipeError(f"{table.path}: keyword 'ESO {FLAT_LEVEL_KEY}': expected the "
                              f"flat's positive level (count), found {level!r}")
    lamp = np.mean([np.interp(wavelengths, *table.flat_field) * level
                    for table, level in zip(tables, levels, strict=True)], axis=0)
    return [lamp / level for level in levels]


def _wcs_cards(grid: CubeGrid, ra: float, dec: float, dx: float, dy: float,
               spectral: bool) -> list[tuple[str, object, str]]:
    cards: list[tuple[str, object, str]] = [
        ("WCSAXES", 3 if spectral else 2, "Number of coordinate axes"),
        ("CTYPE1", "RA---TAN", "Gnomonic projection"),
        ("CTYPE2", "DEC--TAN", "Gnomonic projection"),
        ("CUNIT1", "deg", "Unit of the first axis"),
        ("CUNIT2", "deg", "Unit of the second axis"),
        # the pointing is at position 0 of the pixel tables: voxel i has its centre at
        # x0 + i step, so position 0 is the 1-based pixel 1 - x0 / step
        ("CRPIX1", 1.0 - grid.x0 / grid.step_x, "Reference pixel along x"),
        ("CRPIX2", 1.0 - grid.y0 / grid.step_y, "Reference pixel along y"),
        ("CRVAL1", ra, "[deg] RA at the reference pixel"),
        ("CRVAL2", dec, "[deg] DEC at the reference pixel"),
        ("CD1_1", -dx / 3600.0, "Coordinate transformation matrix element"),
        ("CD1_2", 0.0, "Coordinate transformation matrix element"),
        ("CD2_1", 0.0, "Coordinate transformation matrix element"),
        ("CD2_2", dy / 3600.0, "Coordinate transformation matrix element"),
    ]
    if spectral:
        cards += [("CTYPE3", "AWAV", "Air wavelength"),
                  ("CUNIT3", "Angstrom", "Unit of the spectral axis"),
                  ("CRPIX3", 1.0, "Reference pixel along the spectral axis"),
                  ("CRVAL3", grid.lambda0, "[Angstrom] Wavelength of the first plane"),
                  ("CD3_3", grid.dlambda, "[Angstrom] Step of the spectral axis"),
                  ("CD1_3", 0.0, "Coordinate transformation matrix element"),
                  ("CD2_3", 0.0, "Coordinate transformation matrix element"),
                  ("CD3_1", 0.0, "Coordinate transformation matrix element"),
                  ("CD3_2", 0.0, "Coordinate transformation matrix element")]
    cards += [("RADESYS", "FK5", "Reference frame"), ("EQUINOX", 2000.0, "Standard FK5")]
    return cards


def _extension_header(name: str, unit: str, wcs: list[tuple[str, object, str]]
                      ) -> fits.Header:
    """The header of the ``DATA`` or ``STAT`` extension; ``unit`` is the data's BUNIT."""
    header = fits.Header()
    header["EXTNAME"] = (name, "This extension contains data values" if name == "DATA"
                         else "This extension contains data variance")
    header["BUNIT"] = (unit if name == "DATA" else _SQUARED[unit],
                       "Data unit" if name == "DATA" else "Variance unit")
    header["HDUCLASS"] = ("ESO", "class name (ESO format)")
    header["HDUDOC"] = ("DICD", "document with class description")
    header["HDUVERS"] = ("DICD version 6", "version number (according to spec v2.5.1)")
    header["HDUCLAS1"] = ("IMAGE", "Image data format")
    if name == "DATA":
        header["HDUCLAS2"] = ("DATA", "this extension contains the data itself")
        header["ERRDATA"] = ("STAT", "pointer to the variance extension")
    else:
        header["HDUCLAS2"] = ("ERROR", "this extension contains the error data")
        header["HDUCLAS3"] = ("MSE", "the extension contains variances (sigma**2)")
        header["SCIDATA"] = ("DATA", "pointer to the data extension")
    for key, value, comment in wcs:
        header[key] = (value, comment)
    return header


def _qc_card(key: str, value: object, comment: str) -> fits.Card:
    # cut to what the 80 characters leave, as ESO's pipeline does (astropy would warn)
    room = 80 - len(fits.Card(hierarch(key), value).image.rstrip()) - 3
    return fits.Card(hierarch(key), value, comment[:max(room, 0)])


def make_scipost(pixtables: Iterable[Path | str], *, extinct_table: Path | str | None = None,
                 std_response: Path | str | None = None, filter_list: Path | str | None = None,
                 out_dir: Path | str, params: Mapping[str, object] | None = None,
                 progress: Progress | None = None, nthreads: int | None = None,
                 slab_planes: int = SLAB_PLANES) -> ScipostResult:
    """Make DATACUBE_FINAL and IMAGE_FOV of one exposure's 24 pixel tables into ``out_dir``.

    ``params`` are ``muse_scipost`` parameters (:data:`SCIPOST_PARAMETERS`); ``nthreads``
    OpenMP threads resample (default: all cores); ``slab_planes`` planes are resampled at a
    time. Bad inputs raise :class:`RecipeError` naming the file and leave no product;
    ``progress(done, total, what)`` is called per slab.
    """
    resolved = resolve(SCIPOST_PARAMETERS, params, RECIPE)
    pixfrac = _pixfrac(str(resolved["pixfrac"]))
    filter_names = [name.strip() for name in str(resolved["filter"]).split(",") if name.strip()]
    if not filter_names:
        raise RecipeError(f"recipe {RECIPE}: parameter filter: expected at least one name")
    paths = [Path(p) for p in pixtables]
    if not paths:
        raise RecipeError(f"recipe {RECIPE}: expected the {N_IFUS} {RAW_CATG} of one "
                          f"exposure, found none")
    threads = nthreads if nthreads is not None else default_threads()
    tables: list[PixTable] = []
    try:
        for path in paths:
            tables.append(PixTable.open(path))
        return _run(tables, resolved, pixfrac, filter_names, extinct_table, std_response,
                    filter_list, Path(out_dir), progress, threads, slab_planes)
    finally:
        for table in tables:
            table.close()


def _run(tables: list[PixTable], params: dict[str, ParameterValue],
         pixfrac: tuple[float, float, float], filter_names: list[str],
         extinct_table: Path | str | None, std_response: Path | str | None,
         filter_list: Path | str | None, out_dir: Path, progress: Progress | None,
         threads: int, slab_planes: int) -> ScipostResult:
    _check_exposure(tables)
    tables.sort(key=lambda table: table.ifu)
    first = tables[0]
    mode = str(first.header.get("HIERARCH ESO INS MODE", "WFM-NOAO-N"))
    response = read_curve(std_response, ("lambda", "response")) if std_response else None
    extinction = read_curve(extinct_table, ("LAMBDA", "EXTINCTION")) if extinct_table else None
    filters = read_filters(filter_list, filter_names)
    flux_calibrated = response is not None
    exptime = _number(first, "EXPTIME", "the exposure time (s)") if flux_calibrated else 1.0
    airmass_value = airmass(first.header, first.path) if extinction is not None else 1.0
    ra = _number(first, "RA", "the pointing RA (deg)")
    dec = _number(first, "DEC", "the pointing DEC (deg)")
    native = NFM_SPAXEL_ARCSEC if mode.startswith("NFM") else SPAXEL_ARCSEC
    dx = float(params["dx"]) or native
    dy = float(params["dy"]) or dx
    dlambda = float(params["dlambda"]) or 1.25
    x_limits = [_limits(t, "X", "xpos") for t in tables]
    y_limits = [_limits(t, "Y", "ypos") for t in tables]
    lambda_limits = [_limits(t, "LAMBDA", "lambda") for t in tables]
    low = max(mode_lambda_min(mode), float(params["lambdamin"]),
              min(low for low, _ in lambda_limits))
    high = min(9350.0, float(params["lambdamax"]), max(high for _, high in lambda_limits))
    try:
        grid = CubeGrid.around((min(v[0] for v in x_limits), max(v[1] for v in x_limits)),
                               (min(v[0] for v in y_limits), max(v[1] for v in y_limits)),
                               (low, high), step_x=dx / native, step_y=dy / native,
                               dlambda=dlambda)
    except ValueError as error:
        raise RecipeError(f"exposure {first.header['DATE-OBS']}: {error} (data, lambdamin, "
                          f"lambdamax and mode {mode})") from None
    nearest = params["resample"] == "nearest"
    drops, factors = [], []
    lamps = _lamp_factors(tables, grid.wavelengths)
    for table, lamp in zip(tables, lamps, strict=True):
        try:
            dispersion = native_dispersion(table)
        except ValueError as error:
            raise RecipeError(f"{table.path}: {error}") from None
        half = 0.0 if nearest else 0.5 * pixfrac[2] * dispersion / dlambda
        slab_planes = max(slab_planes, int(2 * half) + 2)
        drops.append((dispersion, half))
        factors.append(lamp * calibration_factor(
            grid.wavelengths, exptime=exptime, dispersion=dispersion, response=response,
            extinction=extinction, airmass_value=airmass_value))
    indexes = []
    for number, (table, (dispersion, half)) in enumerate(zip(tables, drops, strict=True),
                                                         start=1):
        indexes.append(index_table(table, grid, slab_planes, half, dispersion))
        if progress is not None:
            progress(number, len(tables), f"indexed {table.path.name}")
    unit = FLUX_UNIT if flux_calibrated else "count"
    wcs3 = _wcs_cards(grid, ra, dec, dx, dy, spectral=True)
    raw = [(table.path.name, RAW_CATG) for table in tables]
    calibrations = [(Path(p).name, catg) for p, catg in ((std_response, "STD_RESPONSE"),
                                                         (extinct_table, "EXTINCT_TABLE"),
                                                         (filter_list, "FILTER_LIST")) if p]
    source = fits.Header([card for card in first.header.cards
                          if not card.keyword.startswith(_DROP_FROM_INPUT)
                          and card.keyword != "EXTNAME"])
    images = FilterImages(grid, filters)
    with PendingFiles(out_dir) as pending:
        cube_path = pending.temporary(f"{CUBE_CATG}.fits")
        cube = CubeFile(cube_path, grid.shape, source,
                        _extension_header("DATA", unit, wcs3),
                        _extension_header("STAT", unit, wcs3))
        try:
            empty = resample_exposure(tables, indexes, factors, grid,
                                      Kernel(nearest=nearest, pixfrac=pixfrac), cube, images,
                                      slab_planes=slab_planes, nthreads=threads,
                                      progress=progress)
            sky_spectrum = None
            if params["skymethod"] == "simple":
                white = next(iter(images.images().values()))[0]
                try:
                    sky = sky_spaxels(white, float(params["skymodel_fraction"]),
                                      float(params["skymodel_ignore"]))
                except ValueError as error:
                    raise RecipeError(f"exposure {first.header['DATE-OBS']}: {error}") from None
                sky_spectrum = subtract_sky(cube, grid, sky, images, slab_planes=slab_planes,
                                            progress=progress)
            fov = images.images()
            detection = fov[filter_names[0]][0]
            weights = images.weights[filter_names[0]]
            qc = source_qc(detection, dx_arcsec=dx, dy_arcsec=dy, wavelength=float(
                np.sum(weights * grid.wavelengths) / max(np.sum(weights), 1e-30)))
            qc_cards = [_qc_card(f"QC {key}", value, comment) for key, value, comment in qc]

            def header_for(catg: str, pipefile: str, extra: Sequence[fits.Card] = ()
                           ) -> fits.Header:
                header = product_header(source, catg=catg, recipe=RECIPE, raw=raw,
                                        calibrations=calibrations, params=params,
                                        ncombined=1, pipefile=pipefile)
                header[hierarch("PRO SCIENCE")] = True
                header.extend([*extra, *qc_cards])
                return header

            cube.close(header_for(CUBE_CATG, f"{CUBE_CATG}.fits"))
        except BaseException:
            cube.abort()
            raise
        products = {CUBE_CATG: out_dir / f"{CUBE_CATG}.fits"}
        wcs2 = _wcs_cards(grid, ra, dec, dx, dy, spectral=False)
        for number, name in enumerate(filter_names, start=1):
            stem = f"{IMAGE_CATG}_{number:04d}"
            image, variance = fov[name]
            filter_card = fits.Card(hierarch("DRS MUSE FILTER NAME"), name, "Filter name")
            hdus = []
            for extension, values in (("DATA", image), ("STAT", variance)):
                hdu = fits.ImageHDU(values, header=_extension_header(extension, unit, wcs2))
                hdus.append(hdu)
            write_hdus(pending.temporary(f"{stem}.fits"),
                       header_for(IMAGE_CATG, f"{stem}.fits", [filter_card]), hdus)
            title = f"{IMAGE_CATG} {name}\n{source.get('OBJECT', '')} {source['DATE-OBS']}"
            write_fov_preview(pending.temporary(f"{stem}.png"), image, hdus[0].header,
                              title=title, unit=unit)
            products[f"{IMAGE_CATG} {name}"] = out_dir / f"{stem}.fits"
            products[f"PREVIEW {name}"] = out_dir / f"{stem}.png"
        files = pending.commit()
    attributes: dict[str, object] = {
        "raw_files": [table.path.name for table in tables],
        "DATE_OBS": first.header["DATE-OBS"],
        "INS_MODE": mode,
        "shape": grid.shape,
        "empty_voxels": empty,
        "flux_calibrated": flux_calibrated,
        "airmass": airmass_value if extinction is not None else None,
        "filters": filter_names,
        "skymethod": params["skymethod"],
        "resample": params["resample"],
    }
    if sky_spectrum is not None:
        attributes["sky_spectrum"] = sky_spectrum
    with contextlib.suppress(KeyError):
        attributes["OBJECT"] = source["OBJECT"]
    return ScipostResult(recipe=RECIPE, files=tuple(files), products=products,
                         qc={key: value for key, value, _ in qc}, attributes=attributes)


def run_inputs(inputs: Mapping[str, Sequence[Path]], params: Mapping[str, object],
               out_dir: Path, *, processes: int | None = None,
               progress: Progress | None = None) -> ScipostResult:
    """Run muse_scipost on files classified by SOF tag (what ``awe recipe scipost`` calls)."""
    del processes  # one exposure runs in this process, on every core

    def first(catg: str) -> Path | None:
        return next(iter(inputs.get(catg, ())), None)

    return make_scipost(inputs[RAW_CATG], extinct_table=first("EXTINCT_TABLE"),
                        std_response=first("STD_RESPONSE"), filter_list=first("FILTER_LIST"),
                        out_dir=out_dir, params=params, progress=progress)
