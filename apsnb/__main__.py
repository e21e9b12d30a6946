"""``python -m apsnb``: the command line (``python -m apsnb --help``); with no
command, the guided tour."""

import sys


def _main(argv: list[str]) -> int:
    # The tour keeps its own options: ``python -m apsnb -n 3 --no-plot``.
    if not argv or (
        argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")
    ):
        from ._tour import main as tour

        return tour(argv)
    from .cli import main

    return main(argv, prog_name="apsnb")


raise SystemExit(_main(sys.argv[1:]))
