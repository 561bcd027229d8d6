"""MUSE processing on files and arrays; recipes never touch the database.

A recipe takes input paths, calibration paths and parameters, writes product files and
returns what a data model records about them::

    from muse.recipes.bias import make_master_bias
    from muse.recipes.flat import make_master_flat
    from muse.recipes.scibasic import make_pixtable
    from muse.recipes.wavecal import make_wavecal

    result = make_master_bias(raw_paths, {"combine": "sigclip"}, out_dir, ifus=[5])
    result.files                      # every file written (products and previews)
    result.units[5].qc                # {'BIAS MASTER1 RON': 2.9, ...}: ESO names without 'ESO QC '
    result.units[5].attributes        # inputs, chip, read-out mode, measured gains and noise
    result.units[5].files             # {'MASTER_BIAS': path, 'PREVIEW': path}

    make_master_flat(raw_paths, master_bias_paths, params, out_dir)   # MASTER_FLAT, TRACE_TABLE
    make_wavecal(arc_paths, master_bias_paths, trace_paths, line_catalog)   # WAVECAL_TABLE
    make_pixtable(object_paths, {"MASTER_BIAS": [...], ...})   # PIXTABLE_OBJECT (first version)
    make_scipost(pixtables, std_response=r, out_dir=d)  # muse.recipes.scipost: DATACUBE_FINAL

A result's ``units`` are keyed by IFU number (bias … scibasic) or, for scipost, by exposure
(its ``DATE-OBS``); ``unit_kind`` says which (:class:`muse.recipes.products.RecipeOutcome`).

Parameters are ESO's (``muse.recipes.params.BIAS_PARAMETERS``, ``FLAT_PARAMETERS``,
``WAVECAL_PARAMETERS``, ``SCIBASIC_PARAMETERS``, ``SCIPOST_PARAMETERS``:
names, defaults, allowed values); ``nifu`` 0 runs the IFUs in turn, -1 in worker processes,
1–24 one IFU; ``merge`` writes one file for all IFUs. Bad inputs raise
:class:`common.errors.RecipeError` naming file, extension and keyword, and leave no product.
``awe recipe bias|flat|wavecal|scibasic|scipost`` is the command-line face of the same
functions; each recipe declares its inputs, products and parameters in
:mod:`muse.recipes.registry` (a small module of :mod:`muse.recipes.specs`).

Left out for now: the optional MASTER_DARK and BADPIX_TABLE inputs and the TRACE_SAMPLES
product of ``muse_flat``, the WAVECAL_RESIDUALS and ARC_RED_LAMP products of ``muse_wavecal``,
most of ``muse_scibasic`` beyond the OBJECT pixel table (see :mod:`muse.recipes.scibasic`),
and the ``DATAMD5`` keyword (every HDU carries CHECKSUM/DATASUM).
The package imports nothing itself, so reading the parameter tables stays cheap.
"""
