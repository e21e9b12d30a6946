"""Where a run's executed copy goes: ``output_dir/<schedule id>/<fire time>-<outcome>.ipynb``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

#: Characters kept in a folder name; anything else becomes "_".
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str) -> str:
    """``text`` as one file-system-safe path component (no separators, no ``..``)."""
    name = _UNSAFE.sub("_", text).strip(".") or "_"
    return name[:120]


def stamp(moment: datetime) -> str:
    """A sortable, file-system-safe UTC stamp: ``20260329T010000Z`` (ISO 8601 basic),
    with microseconds only when there are any."""
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y%m%dT%H%M%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "Z"


def run_folder(output_dir: Path, schedule_id: str | None, notebook: Path) -> Path:
    """The folder of a schedule's runs (a run outside any schedule: the notebook's name)."""
    return output_dir / safe_name(schedule_id if schedule_id else notebook.stem)


def unique_path(folder: Path, stem: str, outcome: str) -> Path:
    """``folder/<stem>-<outcome>.ipynb``, or with ``-2``, ``-3``… if that is taken."""
    candidate = folder / f"{stem}-{outcome}.ipynb"
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{outcome}-{number}.ipynb"
        number += 1
    return candidate
