"""Two products of the same kind side by side: parameters, QC, inputs and pixels.

``awe compare ID1 ID2`` and the demo (an optimised scipost next to the reference) use
:func:`compare_products`; it reads the database and the two files and returns a
:class:`ComparisonReport` — plain data plus ``text()`` for people.

- **Parameters**: every value that differs between the two parameter sets (by name).
- **QC**: every QC value either product has, A next to B with B − A; quality flags and the
  thresholds each one violates.
- **Inputs**: the objects both link to, and those only one of them links to.
- **Pixels**: for image products (MASTER_BIAS, MASTER_FLAT, IMAGE_FOV…) the ``DATA``
  extension, for a cube its mean over wavelength; statistics of B − A and, when asked, a PNG
  with A, B and B − A. Tables (TRACE_TABLE, WAVECAL_TABLE, PIXTABLE) get the largest
  difference per numeric column instead.

Left out: comparing products of different kinds (refused with the two kinds named) and
objects without a file (raw chips, parameter sets).
"""

from __future__ import annotations

import math
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from common.errors import QueryError
from common.persistent import DataObject

__all__ = ["ComparisonReport", "ImageDifference", "ParameterDifference", "QcRow",
           "compare_products"]


@dataclass(frozen=True)
class ParameterDifference:
    """One parameter whose value differs (``None``: the set has no such parameter)."""

    name: str
    a: Any
    b: Any


@dataclass(frozen=True)
class QcRow:
    """One QC value of both products (``None`` where a product has none)."""

    key: str
    a: float | int | None
    b: float | int | None

    @property
    def difference(self) -> float | None:
        """B − A, when both are numbers."""
        if isinstance(self.a, (int, float)) and isinstance(self.b, (int, float)):
            return self.b - self.a
        return None


@dataclass(frozen=True)
class ImageDifference:
    """Statistics of B − A over the pixels finite in both (``what``: which pixels)."""

    what: str
    shape: tuple[int, ...]
    compared: int
    differing: int
    mean: float
    rms: float
    max_abs: float
    png: Path | None = None


@dataclass
class ComparisonReport:
    """What differs between products ``a`` and ``b`` (see the module documentation)."""

    kind: str
    a_id: int
    b_id: int
    a_name: str
    b_name: str
    parameter_sets: tuple[int | None, int | None]
    parameters: list[ParameterDifference] = field(default_factory=list)
    qc: list[QcRow] = field(default_factory=list)
    flags: tuple[int | None, int | None] = (None, None)
    qc_failures: tuple[list[str], list[str]] = ([], [])
    common_inputs: int = 0
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    image: ImageDifference | None = None
    columns: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The report for people: one section per aspect, numbers aligned."""
        lines = [f"{self.kind}: A = {self.a_id:#018x} {self.a_name}",
                 f"{' ' * len(self.kind)}  B = {self.b_id:#018x} {self.b_name}", ""]
        lines += [*self._parameter_lines(), "", *self._qc_lines(), ""]
        lines.append(f"inputs: {self.common_inputs} in common, {len(self.only_a)} only in A, "
                     f"{len(self.only_b)} only in B")
        lines += [f"  only A: {name}" for name in self.only_a]
        lines += [f"  only B: {name}" for name in self.only_b]
        lines.append("")
        lines += self._pixel_lines()
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"

    def _parameter_lines(self) -> list[str]:
        set_a, set_b = self.parameter_sets
        if set_a is None and set_b is None:
            return ["parameters: neither has a parameter set"]
        if set_a == set_b:
            return [f"parameters: the same set ({set_a:#018x})"]
        if not self.parameters:
            return ["parameters: equal values in two sets"]
        width = max(len(item.name) for item in self.parameters)
        lines = [f"parameters: {len(self.parameters)} differ"]
        lines += [f"  {item.name:<{width}}  A {_show(item.a):>12}  B {_show(item.b):>12}"
                  for item in self.parameters]
        return lines

    def _qc_lines(self) -> list[str]:
        flags_a, flags_b = self.flags
        lines = [f"quality flags: A {flags_a}, B {flags_b}"]
        for label, failures in zip("AB", self.qc_failures, strict=True):
            lines += [f"  {label} fails {failure}" for failure in failures]
        if not self.qc:
            return [*lines, "QC: no values"]
        width = max(len(row.key) for row in self.qc)
        lines += [f"QC ({len(self.qc)} values):",
                  f"  {'':<{width}} {'A':>14} {'B':>14} {'B - A':>14}"]
        for row in self.qc:
            difference = row.difference
            lines.append(f"  {row.key:<{width}} {_show(row.a):>14} {_show(row.b):>14} "
                         f"{'' if difference is None else _show(difference):>14}")
        return lines

    def _pixel_lines(self) -> list[str]:
        if self.image is not None:
            image = self.image
            shape = " x ".join(str(size) for size in image.shape)
            lines = [f"pixels ({image.what}, {shape}): B - A over {image.compared} pixels, "
                     f"{image.differing} differ; mean {image.mean:.6g}, rms {image.rms:.6g}, "
                     f"max |B - A| {image.max_abs:.6g}"]
            if image.png is not None:
                lines.append(f"difference image: {image.png}")
            return lines
        if self.columns:
            width = max(len(name) for name in self.columns)
            return ["table columns, max |B - A|:"] + [
                f"  {name:<{width}} {value:.6g}" for name, value in self.columns.items()]
        return []

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (the demo's summary)."""
        image = None
        if self.image is not None:
            image = {**self.image.__dict__, "shape": list(self.image.shape),
                     "png": None if self.image.png is None else str(self.image.png)}
        return {"kind": self.kind, "a": self.a_id, "b": self.b_id,
                "parameter_sets": list(self.parameter_sets),
                "parameters": [{"name": item.name, "a": _plain(item.a), "b": _plain(item.b)}
                               for item in self.parameters],
                "qc": [{"key": row.key, "a": row.a, "b": row.b} for row in self.qc],
                "flags": list(self.flags), "common_inputs": self.common_inputs,
                "only_a": self.only_a, "only_b": self.only_b, "image": image,
                "columns": self.columns, "notes": self.notes}


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "—" if value is None else str(value)


def _plain(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)


def compare_products(a: Any, b: Any, *, png: Path | None) -> ComparisonReport:
    """Compare two committed products of the same class; write the difference PNG to ``png``.

    Raises :class:`~common.errors.QueryError` when they are of different kinds or one has
    no file. The files are fetched from the store (checksums verified) into a temporary
    directory.
    """
    for obj in (a, b):
        if not isinstance(obj, DataObject) or obj.filename is None:
            raise QueryError(f"compare: {obj!r} is not a product with a file; expected two "
                             "products (MasterBias, DataCube…)")
    if type(a) is not type(b):
        raise QueryError(f"compare: {a.object_id:#x} is a {type(a).__name__} and "
                         f"{b.object_id:#x} a {type(b).__name__}; expected two products of "
                         "the same kind")
    report = ComparisonReport(kind=type(a).__name__, a_id=a.object_id, b_id=b.object_id,
                              a_name=a.filename, b_name=b.filename,
                              parameter_sets=(_id(_parameters(a)), _id(_parameters(b))))
    report.parameters = _parameter_differences(_parameters(a), _parameters(b))
    report.qc = _qc_rows(a, b)
    report.flags = (getattr(a, "quality_flags", None), getattr(b, "quality_flags", None))
    report.qc_failures = (_failures(a), _failures(b))
    _compare_inputs(report, a, b)
    with tempfile.TemporaryDirectory(prefix="awe-compare-") as scratch:
        path_a = a.retrieve(Path(scratch) / f"A-{a.filename}")
        path_b = b.retrieve(Path(scratch) / f"B-{b.filename}")
        _compare_files(report, path_a, path_b, png)
    return report


def _parameters(obj: Any) -> Any:
    return getattr(obj, "parameters", None) if "parameters" in obj._meta.properties else None


def _id(obj: Any) -> int | None:
    return None if obj is None else obj.object_id


def _parameter_differences(set_a: Any, set_b: Any) -> list[ParameterDifference]:
    values_a = {} if set_a is None else set_a.parameter_values()
    values_b = {} if set_b is None else set_b.parameter_values()
    names = list(values_a) + [name for name in values_b if name not in values_a]
    return [ParameterDifference(name, values_a.get(name), values_b.get(name)) for name in names
            if values_a.get(name) != values_b.get(name)]


def _qc_rows(a: Any, b: Any) -> list[QcRow]:
    rows = []
    for key, attribute in getattr(type(a), "qc_keys", {}).items():
        value_a, value_b = getattr(a, attribute), getattr(b, attribute)
        if value_a is not None or value_b is not None:
            rows.append(QcRow(key, value_a, value_b))
    return rows


def _failures(obj: Any) -> list[str]:
    return obj.qc_failures() if hasattr(obj, "qc_failures") else []


def _compare_inputs(report: ComparisonReport, a: Any, b: Any) -> None:
    skipped = {report.parameter_sets[0], report.parameter_sets[1]}
    inputs_a = {obj.object_id: obj for obj in a.dependencies() if obj.object_id not in skipped}
    inputs_b = {obj.object_id: obj for obj in b.dependencies() if obj.object_id not in skipped}
    report.common_inputs = len(inputs_a.keys() & inputs_b.keys())
    report.only_a = [_label(inputs_a[key]) for key in sorted(inputs_a.keys() - inputs_b.keys())]
    report.only_b = [_label(inputs_b[key]) for key in sorted(inputs_b.keys() - inputs_a.keys())]


def _label(obj: Any) -> str:
    name = getattr(obj, "filename", None) or getattr(obj, "extname", None) or ""
    return f"{type(obj).__name__} {obj.object_id:#018x} {name}".rstrip()


def _image_of(path: Path) -> tuple[np.ndarray, str] | None:
    """The product's image: ``DATA`` (a cube: its mean over wavelength), or None (a table)."""
    with fits.open(path, memmap=True) as hdus:
        for hdu in hdus:
            if hdu.is_image and hdu.data is not None and hdu.data.ndim in (2, 3) and (
                    hdu.name in ("DATA", "PRIMARY") or hdu.name.endswith(".DATA")):
                data = np.asarray(hdu.data, dtype=np.float64)
                if data.ndim == 3:
                    with warnings.catch_warnings():  # an all-NaN spaxel's mean is NaN: right
                        warnings.simplefilter("ignore", RuntimeWarning)
                        return np.nanmean(data, axis=0), f"{hdu.name}, mean over wavelength"
                return data, hdu.name
    return None


def _compare_files(report: ComparisonReport, path_a: Path, path_b: Path,
                   png: Path | None) -> None:
    image_a, image_b = _image_of(path_a), _image_of(path_b)
    if image_a is None or image_b is None:
        report.columns = _column_differences(path_a, path_b, report)
        if png is not None:
            report.notes.append(f"no difference image: a {report.kind} is a table")
        return
    (data_a, what), (data_b, _) = image_a, image_b
    if data_a.shape != data_b.shape:
        report.notes.append(f"no pixel comparison: A is {data_a.shape}, B is {data_b.shape}")
        return
    difference = data_b - data_a
    good = np.isfinite(difference)
    values = difference[good]
    written = None
    if png is not None:
        # matplotlib loads only when a picture is asked for.
        from muse.datamodel._compare_plot import write_difference_png

        written = write_difference_png(png, data_a, data_b, difference,
                                       title=f"{report.kind}: B - A ({what})")
    report.image = ImageDifference(
        what=what, shape=tuple(data_a.shape), compared=int(values.size),
        differing=int(np.count_nonzero(values)),
        mean=float(values.mean()) if values.size else math.nan,
        rms=float(np.sqrt(np.mean(values ** 2))) if values.size else math.nan,
        max_abs=float(np.abs(values).max()) if values.size else math.nan, png=written)


def _column_differences(path_a: Path, path_b: Path,
                        report: ComparisonReport) -> dict[str, float]:
    found: dict[str, float] = {}
    with fits.open(path_a, memmap=True) as hdus_a, fits.open(path_b, memmap=True) as hdus_b:
        for hdu_a in hdus_a:
            if not isinstance(hdu_a, fits.BinTableHDU) or hdu_a.name not in hdus_b:
                continue
            table_a, table_b = hdu_a.data, hdus_b[hdu_a.name].data
            if table_a is None or table_b is None or len(table_a) != len(table_b):
                report.notes.append(f"table {hdu_a.name}: different row counts")
                continue
            for name in table_a.names:
                if name not in table_b.names or table_a[name].dtype.kind not in "iuf":
                    continue
                difference = np.asarray(table_b[name], dtype=np.float64) - np.asarray(
                    table_a[name], dtype=np.float64)
                finite = difference[np.isfinite(difference)]
                label = name if hdu_a.name in ("", "PRIMARY") else f"{hdu_a.name}.{name}"
                found[label] = float(np.abs(finite).max()) if finite.size else math.nan
    return found
