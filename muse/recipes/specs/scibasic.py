"""``muse_scibasic``: PIXTABLE_OBJECT per exposure and IFU from raw science frames."""

from muse.recipes.params import SCIBASIC_PARAMETERS
from muse.recipes.registry import RecipeInput, RecipeProduct, RecipeSpec, register

_PER_IFU = "per-IFU files or one merged file"

SPEC = register(RecipeSpec(
    name="scibasic",
    eso_name="muse_scibasic",
    step=4,
    summary="PIXTABLE_OBJECT per exposure and IFU from raw OBJECT frames and their "
            "calibrations",
    details="Removes bias and flat field from each science frame and gives every pixel "
            "of the slices its position and wavelength. Exposure k of IFU NN is written to "
            "PIXTABLE_OBJECT_kkkk-NN.fits.",
    inputs=(RecipeInput("OBJECT", "raw science frames"),
            RecipeInput("MASTER_BIAS", _PER_IFU),
            RecipeInput("MASTER_FLAT", _PER_IFU),
            RecipeInput("TRACE_TABLE", _PER_IFU),
            RecipeInput("WAVECAL_TABLE", _PER_IFU),
            RecipeInput("GEOMETRY_TABLE", "the slice positions on the sky ESO ships",
                        maximum=1)),
    products=(RecipeProduct("PIXTABLE_OBJECT", "a pixel table per exposure and IFU"),),
    parameters=SCIBASIC_PARAMETERS,
    function="muse.recipes.scibasic:make_pixtable",
    run_inputs="muse.recipes.scibasic:run_inputs",
))
