"""Argument types the commands share: each turns a bad value into argparse's one-line error."""

from __future__ import annotations

import argparse

from common.config import MAX_PRIVILEGES, is_privilege_level
from dataserver.protocol import parse_age

__all__ = ["age", "positive_int", "privilege_level"]


def age(text: str) -> float:
    """An age such as ``30d``, ``12h`` or ``90s``, in seconds."""
    try:
        return parse_age(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}")
    return value


def privilege_level(text: str) -> int:
    """A privilege level, 1 to :data:`~common.config.MAX_PRIVILEGES`."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not is_privilege_level(value):
        raise argparse.ArgumentTypeError(f"expected a level 1-{MAX_PRIVILEGES}, found {text!r}")
    return value
