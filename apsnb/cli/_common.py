"""What the subcommands share: opening STORE, errors as exit status 1, tables."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import click

from .._exceptions import ApsnbError

STORE = click.argument("store", metavar="STORE")


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Report apsnb's errors (bad input, a store that cannot be used) as one line on
    stderr and exit status 1, not as a traceback."""
    try:
        yield
    except ApsnbError as error:
        raise click.ClickException(str(error)) from error


@contextlib.contextmanager
def scheduler_on(store: str, *, create: bool = False) -> Iterator[Any]:
    """A thread-backed scheduler on STORE (not started: its calls use the store).

    :param create: create a missing SQLite file; else a missing one is an error
        (a typo should not leave an empty store behind)
    """
    from .._schedulers.sync import Scheduler
    from ..datastores.location import open_data_store, sqlite_path

    with user_errors():
        path = sqlite_path(store)
        if path is not None and not create and not path.exists():
            raise click.ClickException(
                f"no store at {str(path)!r}: the file does not exist (schedules are "
                f"added from Python or a notebook; check the path)"
            )
        scheduler = Scheduler(open_data_store(store), identity=f"apsnb-cli-{id(store)}")
        try:
            yield scheduler
        finally:
            scheduler.stop()


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as left-aligned text columns under their headers."""
    cells = [[_text(value) for value in row] for row in rows]
    widths = [
        max([len(header), *(len(row[i]) for row in cells)])
        for i, header in enumerate(headers)
    ]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True))
        for row in [list(headers), *cells]
    ]
    return "\n".join(line.rstrip() for line in lines)


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def aware(value: str | None, option: str) -> datetime | None:
    """An ISO time with an offset from the command line, or a usage error."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time (2026-03-29T07:00+03:00)",
            param_hint=option,
        ) from None
    if parsed.tzinfo is None:
        raise click.BadParameter(
            f"{value!r} has no offset; add one (2026-03-29T07:00+03:00 or …Z)",
            param_hint=option,
        )
    return parsed
