"""What ``run_notebook`` checks before it starts a kernel: the file, the parameters,
the kernel. Each problem is a named error at the call, never a failure deep inside
papermill minutes later."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._exceptions import (
    InvalidNotebookParameters,
    InvalidNotebookTimeout,
    NotANotebook,
    NotebookNotFound,
    UnknownKernel,
)


def notebook_path(path: str | os.PathLike[str]) -> Path:
    """The absolute path of an existing notebook, or a named error."""
    if not isinstance(path, str | os.PathLike):
        raise NotANotebook(path, f"a {type(path).__name__} is not a path")
    resolved = Path(path).expanduser().absolute()
    if not resolved.exists():
        raise NotebookNotFound(resolved)
    if not resolved.is_file():
        raise NotANotebook(resolved, "it is a folder")
    if resolved.suffix != ".ipynb":
        raise NotANotebook(resolved, "its name does not end with .ipynb")
    return resolved


@dataclass(frozen=True, slots=True)
class NotebookInfo:
    """What a run needs to know of a notebook before it starts a kernel."""

    kernel_name: str | None
    has_parameters_cell: bool


def read_notebook(path: Path) -> NotebookInfo:
    """Check that ``path`` reads as a notebook; return its kernel and whether it has
    a cell tagged ``parameters``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise NotANotebook(path, f"it does not read as JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise NotANotebook(path, "it has no list of cells")
    if not isinstance(document.get("nbformat"), int) or document["nbformat"] < 4:
        raise NotANotebook(
            path, "it is not in notebook format 4 (open and save it in Jupyter)"
        )
    metadata = document.get("metadata")
    spec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    name = spec.get("name") if isinstance(spec, dict) else None
    return NotebookInfo(
        kernel_name=name if isinstance(name, str) else None,
        has_parameters_cell=any(
            isinstance(cell, dict)
            and isinstance(cell.get("metadata"), dict)
            and "parameters" in (cell["metadata"].get("tags") or ())
            for cell in document["cells"]
        ),
    )


def checked_parameters(parameters: Any) -> dict[str, Any]:
    """A copy of ``parameters`` if they are JSON data keyed by identifiers."""
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise InvalidNotebookParameters("parameters", parameters)
    for key, value in parameters.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise InvalidNotebookParameters(f"name {key!r}", key)
        _check_json(value, key)
    return dict(parameters)


def _check_json(value: Any, where: str) -> None:
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidNotebookParameters(where, value)
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidNotebookParameters(f"{where} key {key!r}", key)
            _check_json(item, f"{where}[{key!r}]")
        return
    raise InvalidNotebookParameters(where, value)


def installed_kernel(name: str) -> str | None:
    """The language of the installed kernel ``name``, else :class:`UnknownKernel`."""
    from jupyter_client.kernelspec import KernelSpecManager

    manager = KernelSpecManager()
    installed = manager.find_kernel_specs()
    if name not in installed:
        raise UnknownKernel(name, list(installed))
    try:
        return manager.get_kernel_spec(name).language or None
    except Exception:  # a broken kernel.json: let papermill say what is wrong
        return None


def checked_timeout(timeout: Any) -> float | None:
    if timeout is None:
        return None
    seconds = getattr(timeout, "total_seconds", lambda: timeout)()
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not seconds > 0
    ):
        raise InvalidNotebookTimeout(timeout)
    return float(seconds)
