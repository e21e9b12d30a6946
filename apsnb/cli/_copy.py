"""``apsnb copy``: move the schedules of one store into another."""

from __future__ import annotations

import click

from ._common import user_errors


@click.command()
@click.argument("source", metavar="SOURCE")
@click.argument("target", metavar="TARGET")
@click.option(
    "--replace",
    is_flag=True,
    help="Replace schedules and tasks TARGET has already (default: refuse, copy nothing).",
)
@click.option(
    "--allow", "allowed_modules", multiple=True, metavar="MODULE",
    help="A module whose trigger classes SOURCE may name (repeatable).",
)  # fmt: skip
def copy(
    source: str, target: str, replace: bool, allowed_modules: tuple[str, ...]
) -> None:
    """Copy the tasks, schedules and waiting jobs of SOURCE into TARGET, e.g. from an
    SQLite file into a PostgreSQL database. Stop SOURCE's workers first. Every row is
    copied or none: a schedule whose trigger class is not imported here needs its
    module given with --allow."""
    from ..datastores.copy import copy_data_store
    from ..datastores.location import sqlite_path

    with user_errors():
        path = sqlite_path(source)
        if path is not None and not path.exists():
            raise click.ClickException(
                f"no store at {str(path)!r}: the file does not exist (check the path)"
            )
        report = copy_data_store(
            source, target, replace=replace, allowed_modules=allowed_modules
        )
    click.echo(str(report))
