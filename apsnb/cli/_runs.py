"""``apsnb runs``: the run history of a store, newest first."""

from __future__ import annotations

import json
from typing import Any

import click

from ._common import STORE, aware, scheduler_on, table


@click.command()
@STORE
@click.option("--schedule", "schedule_id", metavar="ID", help="Only this schedule's.")
@click.option("--task", "task_id", metavar="ID", help="Only this task's.")
@click.option(
    "--since", metavar="TIME", help="Finished at or after (ISO, with offset)."
)
@click.option("--until", metavar="TIME", help="Finished before (ISO, with offset).")
@click.option(
    "-n", "--limit", default=50, show_default=True, type=click.IntRange(min=1),
    help="At most this many, the newest.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def runs(
    store: str,
    schedule_id: str | None,
    task_id: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Show the run history in STORE, newest first: each job that ended (with its
    outcome, error and executed notebook) and each fire time that did not run, with
    the reason."""
    start, end = aware(since, "--since"), aware(until, "--until")
    with scheduler_on(store) as scheduler:
        records = scheduler.get_runs(
            schedule_id=schedule_id,
            task_id=task_id,
            since=start,
            until=end,
            limit=limit,
        )
    if as_json:
        for record in records:
            data = record.marshal()
            duration = record.duration
            data["duration"] = None if duration is None else duration.total_seconds()
            click.echo(json.dumps(data, ensure_ascii=False))
        return
    if not records:
        click.echo(f"no runs in {store}", err=True)
        return
    click.echo(
        table(
            ("FINISHED", "SCHEDULE", "FIRE TIME", "OUTCOME", "DURATION", "DETAIL"),
            [
                (
                    record.finished_at.astimezone(),
                    record.schedule_id or record.task_id,
                    record.scheduled_fire_time,
                    record.outcome.value,
                    _seconds(record.duration),
                    _detail(record),
                )
                for record in records
            ],
        )
    )


def _seconds(duration: Any) -> str | None:
    return None if duration is None else f"{duration.total_seconds():.1f}s"


def _detail(record: Any) -> str:
    parts = []
    if record.exception_type:
        parts.append(f"{record.exception_type}: {record.exception_message}")
    elif record.reason:
        parts.append(record.reason)
    if record.output_path and record.output_path not in " ".join(parts):
        parts.append(record.output_path)
    return " | ".join(parts)
