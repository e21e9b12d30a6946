"""``apsnb tour``: the guided tour (what ``python -m apsnb`` runs with no command)."""

from __future__ import annotations

import click


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def tour(context: click.Context) -> None:
    """Run the guided tour (its own options: apsnb tour --help)."""
    from .._tour import main as tour_main

    context.exit(tour_main(list(context.args)))
