"""One small module per recipe declaring it to :mod:`muse.recipes.registry`.

Each module calls :func:`muse.recipes.registry.register` with the recipe's
:class:`~muse.recipes.registry.RecipeSpec` and imports nothing heavy, so listing the recipes
and their options stays fast. :func:`muse.recipes.registry.recipes` finds them all.
"""
