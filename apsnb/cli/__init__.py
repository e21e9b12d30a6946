"""The ``apsnb`` command: a headless worker, and a look into a store from a terminal.

Each subcommand lives in a module of its own and is added to :data:`main` below, so a
new one is one function and one line here. Needs click (``pip install 'apsnb[cli]'``).
"""

from __future__ import annotations

import click

from ._copy import copy
from ._preview import preview
from ._runs import runs
from ._schedules import pause, remove, resume, schedules
from ._tour import tour
from ._worker import worker

__all__ = ("main",)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(package_name="apsnb")
def main() -> None:
    """Job scheduling for Jupyter notebooks, from a terminal.

    STORE is a data store: the path of an SQLite file (jobs.sqlite, sqlite:///jobs.sqlite)
    or a PostgreSQL URL (postgresql://user@host:5432/database). With no command,
    python -m apsnb runs the guided tour.

    Exit status: 0 when the command did what it says, 1 when it could not (a missing
    store, an unknown schedule id), 2 for a wrong command line.
    """


for command in (worker, schedules, runs, preview, pause, resume, remove, copy, tour):
    main.add_command(command)
