"""The MUSE data model: classes generated from muse.xml plus their hand-written behaviour.

- ``muse.xml`` (validated by ``muse.xsd``) declares every class; ``python -m
  muse.datamodel.generate`` writes ``generated.py`` (committed).
- :mod:`muse.datamodel.bases`: behaviour (QC verification, validity, best-for-date
  selection, raw frames and chips, parameter names); :mod:`muse.datamodel.rules`: the night
  and validity rules; :mod:`muse.datamodel.selection`: the one-statement ranking.
- :mod:`muse.datamodel.make`: the adapters that run recipes for one IFU (imported by the
  worker that runs them, not here: recipes are heavy); :mod:`muse.datamodel.extract`: one
  IFU of a raw file as a small FITS file; :mod:`muse.datamodel.products`: an adapter's
  result stored, verified and committed.
- :mod:`muse.datamodel.ingest`: raw files and static calibrations classified, checked (raw
  QC) and committed (:mod:`muse.datamodel.keywords` reads the declared FITS keywords);
  :mod:`muse.datamodel.lineage`: dependencies, dependents, lineage trees and PROV export.

Left out so far: the adapters of WavecalTable, PixTable and DataCube/ImageFov (their classes
and process specifications exist; ``spec.adapter()`` says the function is missing).
"""

from __future__ import annotations

from muse.datamodel.generated import *  # noqa: F403 - the generated module's __all__
from muse.datamodel.generated import __all__ as _generated

__all__ = list(_generated)
