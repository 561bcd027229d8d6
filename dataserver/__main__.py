"""``python -m dataserver``: run a data server, exactly as ``awe dataserver serve`` does."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from common.errors import AweError
from dataserver.cli import run_serve
from dataserver.settings import add_serve_arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the ``serve`` options and run the server; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m dataserver",
                                     description="Run a MUSE-WISE data server.")
    add_serve_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_serve(args)
    except AweError as error:
        print(f"dataserver: {error.error_type}: {error}", file=sys.stderr)
    except OSError as error:
        print(f"dataserver: cannot serve: {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
