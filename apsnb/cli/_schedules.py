"""``apsnb schedules``, ``pause``, ``resume`` and ``remove``: the schedules of a store."""

from __future__ import annotations

import json
from typing import Any

import click

from ._common import STORE, scheduler_on, table, user_errors

SCHEDULE_ID = click.argument("schedule_id", metavar="ID")
NOTEBOOK_TASK = "apsnb.notebooks:run_notebook"


@click.command()
@STORE
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def schedules(store: str, as_json: bool) -> None:
    """List the schedules in STORE: id, task, trigger in words, next fire time, paused.

    A schedule this process cannot read (its trigger class not imported or allowed
    here) is listed too, as waiting, with the reason."""
    from .._events import ScheduleDeserializationFailed

    unreadable: list[Any] = []
    with scheduler_on(store) as scheduler:
        scheduler.subscribe(unreadable.append, ScheduleDeserializationFailed)
        found = scheduler.get_schedules()
        tasks = {task.id: task for task in scheduler.get_tasks()}
    rows: list[dict[str, Any]] = [
        {
            "id": schedule.id,
            "task": _task_text(schedule, tasks.get(schedule.task_id)),
            "trigger": _words(schedule.trigger),
            "next_fire_time": schedule.next_fire_time,
            "paused": schedule.paused,
        }
        for schedule in found
    ]
    rows += [_unreadable_row(event) for event in unreadable]
    rows.sort(key=lambda row: row["id"])
    if as_json:
        for row in rows:
            next_time = row["next_fire_time"]
            row["next_fire_time"] = None if next_time is None else next_time.isoformat()
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"no schedules in {store}", err=True)
        return
    click.echo(
        table(
            ("ID", "TASK", "TRIGGER", "NEXT FIRE TIME", "PAUSED"),
            [
                (
                    r["id"],
                    r["task"],
                    r["trigger"],
                    r["next_fire_time"],
                    "-" if r["paused"] is None else _yes(r["paused"]),
                )
                for r in rows
            ],
        )
    )
    if unreadable:
        click.echo(
            f"{len(unreadable)} schedules wait, unread: a worker runs them only if it "
            f"may read them (apsnb worker --allow MODULE; see docs/stores.md, "
            f"Guarantees and threats)",
            err=True,
        )


@click.command()
@STORE
@SCHEDULE_ID
def pause(store: str, schedule_id: str) -> None:
    """Pause the schedule ID in STORE: it fires no more until resumed."""
    with scheduler_on(store) as scheduler, user_errors():
        scheduler.pause_schedule(schedule_id)
    click.echo(f"paused {schedule_id}")


@click.command()
@STORE
@SCHEDULE_ID
def resume(store: str, schedule_id: str) -> None:
    """Resume the paused schedule ID in STORE (fire times missed meanwhile follow its
    misfire and coalescing rules)."""
    with scheduler_on(store) as scheduler, user_errors():
        scheduler.unpause_schedule(schedule_id)
    click.echo(f"resumed {schedule_id}")


@click.command()
@STORE
@SCHEDULE_ID
def remove(store: str, schedule_id: str) -> None:
    """Remove the schedule ID from STORE (its running jobs finish; its run history
    stays)."""
    with scheduler_on(store) as scheduler, user_errors():
        scheduler.remove_schedule(schedule_id)
    click.echo(f"removed {schedule_id}")


def _unreadable_row(event: Any) -> dict[str, Any]:
    """A schedule the store could not read: its id and why, nothing else."""
    error = event.exception
    reference = getattr(error, "reference", None)
    why = (
        f"{error.kind} {reference} not allowed here"
        if reference is not None
        else f"{type(error).__name__}: {error}"
    )
    return {
        "id": event.schedule_id,
        "task": None,
        "trigger": f"waiting, unreadable ({why})",
        "next_fire_time": None,
        "paused": None,
        "unreadable": str(error),
    }


def _words(trigger: Any) -> str:
    """The trigger in words when the lab is installed, else its repr."""
    try:
        from ..lab.describe import describe
    except ImportError:
        return repr(trigger)
    try:
        return describe(trigger)
    except Exception:
        return repr(trigger)


def _task_text(schedule: Any, task: Any) -> str:
    task_id = schedule.task_id
    path = schedule.kwargs.get("path") if task_id == NOTEBOOK_TASK else None
    if isinstance(path, str):
        return f"notebook {path}"  # which notebook says more than run_notebook
    if task is None or task.func is None or task.func == task_id:
        return task_id
    return f"{task_id} ({task.func})"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
