"""``muse_flat``: MASTER_FLAT and TRACE_TABLE from raw lamp flats and a MASTER_BIAS."""

from muse.recipes.params import FLAT_PARAMETERS
from muse.recipes.registry import RecipeInput, RecipeProduct, RecipeSpec, register

SPEC = register(RecipeSpec(
    name="flat",
    eso_name="muse_flat",
    step=2,
    summary="MASTER_FLAT and TRACE_TABLE from raw FLAT frames and a MASTER_BIAS",
    details="Combines the bias-subtracted lamp flats IFU by IFU, traces the edges of the 48 "
            "slices and flags dark and bright pixels.",
    inputs=(RecipeInput("FLAT", "raw lamp flats", minimum=3),
            RecipeInput("MASTER_BIAS", "per-IFU files or one merged file")),
    products=(RecipeProduct("MASTER_FLAT", "the normalised flat field"),
              RecipeProduct("TRACE_TABLE", "the slice edges and centres (unless --trace=false)")),
    parameters=FLAT_PARAMETERS,
    function="muse.recipes.flat:make_master_flat",
    run_inputs="muse.recipes.flat:run_inputs",
))
