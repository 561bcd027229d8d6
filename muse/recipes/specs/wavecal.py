"""``muse_wavecal``: WAVECAL_TABLE from arc frames and the bias, trace and line catalogue."""

from muse.recipes.params import WAVECAL_PARAMETERS
from muse.recipes.registry import RecipeInput, RecipeProduct, RecipeSpec, register

SPEC = register(RecipeSpec(
    name="wavecal",
    eso_name="muse_wavecal",
    step=3,
    summary="WAVECAL_TABLE from raw ARC frames, a MASTER_BIAS, a TRACE_TABLE and the "
            "LINE_CATALOG",
    details="Finds the arc lines of each lamp in every slice, identifies them with the "
            "line catalogue and fits a two-dimensional wavelength solution per slice.",
    inputs=(RecipeInput("ARC", "raw arc frames (Ne, Xe, HgCd lamps)"),
            RecipeInput("MASTER_BIAS", "per-IFU files or one merged file"),
            RecipeInput("TRACE_TABLE", "per-IFU files or one merged file"),
            RecipeInput("LINE_CATALOG", "the arc line list ESO ships", maximum=1)),
    products=(RecipeProduct("WAVECAL_TABLE", "the wavelength solution coefficients per "
                                             "slice"),),
    parameters=WAVECAL_PARAMETERS,
    function="muse.recipes.wavecal:make_wavecal",
    run_inputs="muse.recipes.wavecal:run_inputs",
))
