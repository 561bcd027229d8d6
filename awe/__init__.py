"""The user's entry points: the awe prompt, the command line and the demo."""
