"""``apsnb preview``: the next fire times of a crontab string, as the lab shows them."""

from __future__ import annotations

import click

from ._common import aware, user_errors


@click.command()
@click.argument("expression", metavar="EXPR")
@click.option(
    "--timezone", "-z", default="UTC", show_default=True, metavar="ZONE",
    help="IANA time zone the expression is read in (Europe/Helsinki).",
)  # fmt: skip
@click.option(
    "-n", "count", default=10, show_default=True, type=click.IntRange(min=1),
    help="How many fire times.",
)  # fmt: skip
@click.option("--start", metavar="TIME", help="Start from (ISO, with offset); now.")
def preview(expression: str, timezone: str, count: int, start: str | None) -> None:
    """Show the next fire times of the crontab string EXPR ('30 7 * * mon-fri'), with
    their UTC time, weekday, the gap since the previous one and DST changes."""
    try:
        from ..lab.tables import fire_times
    except ImportError as error:
        raise click.ClickException(
            f"preview needs the lab: pip install 'apsnb[lab]' ({error})"
        ) from None
    from ..triggers.cron import CronTrigger

    with user_errors():
        trigger = CronTrigger.from_crontab(
            expression, timezone=timezone, start_time=aware(start, "--start")
        )
        frame = fire_times(trigger, count)
    click.echo(f"{expression!r} in {timezone}:")
    click.echo(frame.to_string(index=False))
