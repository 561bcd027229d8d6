"""Detector and instrument constants of MUSE (MUSE-FORMATS.md sections 2 and 6)."""
