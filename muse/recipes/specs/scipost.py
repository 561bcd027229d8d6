"""``muse_scipost``: DATACUBE_FINAL and IMAGE_FOV from the 24 pixel tables of one exposure."""

from muse.recipes.params import SCIPOST_PARAMETERS
from muse.recipes.registry import RecipeInput, RecipeProduct, RecipeSpec, register

SPEC = register(RecipeSpec(
    name="scipost",
    eso_name="muse_scipost",
    step=5,
    summary="DATACUBE_FINAL and IMAGE_FOV from the PIXTABLE_OBJECT of one exposure",
    details="Flux-calibrates the pixel tables of the 24 IFUs, resamples them into one cube "
            "on 0.2 arcsec spaxels and 1.25 Angstrom planes, optionally subtracts the sky, "
            "and collapses the cube through each filter into an image (IMAGE_FOV_0001.fits "
            "... in the order of --filter, each with a PNG preview).",
    inputs=(RecipeInput("PIXTABLE_OBJECT", "the pixel tables of IFUs 1-24 of one exposure",
                        minimum=24, maximum=24),
            RecipeInput("EXTINCT_TABLE", "atmospheric extinction per airmass", maximum=1),
            RecipeInput("STD_RESPONSE", "the instrument response from a standard star",
                        maximum=1),
            RecipeInput("FILTER_LIST", "filter curves for --filter (white is built in)",
                        minimum=0, maximum=1)),
    products=(RecipeProduct("DATACUBE_FINAL", "the flux-calibrated cube with its variance"),
              RecipeProduct("IMAGE_FOV", "an image of the field per filter")),
    parameters=SCIPOST_PARAMETERS,
    function="muse.recipes.scipost:make_scipost",
    run_inputs="muse.recipes.scipost:run_inputs",
    unit="exposure",
))
