"""``muse_bias``: MASTER_BIAS from raw BIAS frames."""

from muse.recipes.params import BIAS_PARAMETERS
from muse.recipes.registry import RecipeInput, RecipeProduct, RecipeSpec, register

SPEC = register(RecipeSpec(
    name="bias",
    eso_name="muse_bias",
    step=1,
    summary="MASTER_BIAS from raw BIAS frames",
    details="Combines the bias frames IFU by IFU after overscan correction, measures the "
            "read-out noise per port and flags bad columns.",
    inputs=(RecipeInput("BIAS", "raw bias frames", minimum=3),),
    products=(RecipeProduct("MASTER_BIAS", "the combined bias with its variance and bad "
                                           "pixels"),),
    parameters=BIAS_PARAMETERS,
    function="muse.recipes.bias:make_master_bias",
    run_inputs="muse.recipes.bias:run_inputs",
))
