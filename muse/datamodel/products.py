"""Turn an adapter's :class:`MakeResult` into committed products: store → verify → commit.

The products of one recipe run (``ProcessSpec.products``) are built together: keys,
measured attributes and QC values from the result, the input and calibration objects as
links, the parameter set, the observation date and night from the raw inputs, the validity
of a calibration; then each file goes into the store, ``verify()`` sets ``quality_flags``
from the XML thresholds, and all of them are committed in one transaction.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping, Sequence
from typing import Any

from common.errors import ConfigError
from common.persistent import commit
from common.process.spec import MakeResult, ProcessSpec

__all__ = ["record_products", "software_release"]

DISTRIBUTION = "muse-wise"


def software_release() -> str:
    """The installed release of MUSE-WISE (``unknown`` when it is not installed)."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _build(cls: type, spec: ProcessSpec, result: MakeResult, keys: Mapping[str, Any],
           inputs: Mapping[str, Sequence[Any]], calibrations: Mapping[str, Any],
           parameters: Any) -> Any:
    name = cls.__name__
    values = {**result.attributes.get(name, {}), **keys}
    unknown = sorted(key for key in values if not hasattr(cls, key))
    if unknown:
        raise ConfigError(f"{name}: the recipe's attributes {', '.join(unknown)} are not "
                          "declared in muse.xml")
    product = cls(**values, parameters=parameters, software_release=software_release())
    product.set_qc(result.qc.get(name, {}))
    raw: list[Any] = []
    for item in spec.inputs:
        objects = list(inputs.get(item.name, ()))
        if len(objects) < item.min or (item.max is not None and len(objects) > item.max):
            raise ConfigError(f"{name}.{item.name}: expected {item.min}-{item.max or 'any'} "
                              f"{item.cls.__name__} objects, found {len(objects)}")
        if hasattr(cls, item.name):
            setattr(product, item.name, objects[0] if item.max == 1 else objects)
        raw.extend(obj for obj in objects if hasattr(type(obj), "raw_frame"))
    for item in spec.calibrations:
        found = calibrations.get(item.name)
        if found is None and not item.optional:
            raise ConfigError(f"{name}.{item.name}: expected a {item.cls.__name__}, found none")
        if found is not None and hasattr(cls, item.name):
            setattr(product, item.name, found)
    if raw:
        product.set_observation(raw)
    if hasattr(product, "set_validity_of_night") and product.night is not None:
        product.set_validity_of_night()
    return product


def record_products(spec: ProcessSpec, result: MakeResult, *, keys: Mapping[str, Any],
                    inputs: Mapping[str, Sequence[Any]], calibrations: Mapping[str, Any],
                    parameters: Any) -> list[Any]:
    """Build, store, verify and commit (in one transaction) the products of one run.

    ``keys`` are the target's key values (``night``, ``ifu``…); ``inputs`` and
    ``calibrations`` are the objects the run used, by the spec's names. Returns the
    committed products in ``spec.products`` order; flagged ones are committed too (they stay,
    not selectable).
    """
    missing = [cls.__name__ for cls in spec.products if cls.__name__ not in result.files]
    if missing:
        raise ConfigError(f"recipe {spec.recipe}: expected files for {', '.join(missing)}, "
                          f"found {', '.join(result.files) or 'none'}")
    products = [_build(cls, spec, result, keys, inputs, calibrations, parameters)
                for cls in spec.products]
    for product in products:
        product.store(result.files[type(product).__name__])
        product.verify()
    return commit(*products)
