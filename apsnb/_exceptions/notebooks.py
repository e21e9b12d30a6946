"""Errors about running a notebook as a task: the file, its parameters, its timeout,
its kernel, and a run that failed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import ApsnbError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = (
    "InvalidNotebookParameters",
    "InvalidNotebookTimeout",
    "NotANotebook",
    "NotebookFailed",
    "NotebookNotFound",
    "UnknownKernel",
)


class NotebookNotFound(ApsnbError, FileNotFoundError):
    """Raised when the notebook to run does not exist."""

    def __init__(self, path: object) -> None:
        self.path = path
        super().__init__(
            f"notebook {str(path)!r} does not exist; give the path of an .ipynb file "
            f"(a relative path is resolved from the current folder of the process "
            f"that runs it: prefer an absolute one for a worker)"
        )


class NotANotebook(ApsnbError, ValueError):
    """Raised when the file to run as a notebook is not a Jupyter notebook."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"{str(path)!r} is not a Jupyter notebook: {reason}; give an .ipynb file "
            f"that Jupyter opens"
        )


class InvalidNotebookParameters(ApsnbError, TypeError):
    """Raised when notebook parameters are not JSON data (what papermill injects)."""

    def __init__(self, where: str, value: object) -> None:
        self.where = where
        self.value = value
        super().__init__(
            f"notebook parameter {where} = {value!r} is a {type(value).__name__}; "
            f"parameters are JSON data: a dict with str keys of str, int, float, "
            f"bool, None, list or dict values (pass a datetime as an ISO string)"
        )


class InvalidNotebookTimeout(ApsnbError, ValueError):
    """Raised when a notebook run's timeout is not a positive duration."""

    def __init__(self, timeout: object) -> None:
        self.timeout = timeout
        super().__init__(
            f"timeout={timeout!r}: give seconds above 0 (a number or a timedelta), "
            f"or None for no limit"
        )


class UnknownKernel(ApsnbError, LookupError):
    """Raised when no Jupyter kernel of the requested name is installed."""

    def __init__(self, name: str, installed: Sequence[str]) -> None:
        self.name = name
        self.installed = tuple(installed)
        super().__init__(
            f"no Jupyter kernel named {name!r} is installed here (installed: "
            f"{', '.join(sorted(installed)) or 'none'}); pass one of those as "
            f"kernel_name, or install it (python -m ipykernel install --user "
            f"--name {name})"
        )


class NotebookFailed(ApsnbError, RuntimeError):
    """Raised when a scheduled notebook run fails: a cell raised, it ran past its
    timeout, or its kernel died. The executed copy is written all the same.

    :ivar output_path: the executed copy (``…-error.ipynb``)
    :ivar reason: ``"cell raised"``, ``"timed out"`` or ``"kernel died"``
    :ivar cell_index: the failing cell's index in the executed copy (``None`` when
        no cell raised)
    :ivar exception_type: the notebook's exception type (``"ZeroDivisionError"``)
    :ivar exception_message: its message
    """

    def __init__(
        self,
        message: str,
        *,
        output_path: str,
        reason: str,
        cell_index: int | None = None,
        exception_type: str | None = None,
        exception_message: str | None = None,
    ) -> None:
        self.output_path = output_path
        self.reason = reason
        self.cell_index = cell_index
        self.exception_type = exception_type
        self.exception_message = exception_message
        super().__init__(message)

    def __reduce__(self) -> Any:
        # Keyword-only fields: rebuilt explicitly, so the error crosses processes.
        return _rebuild_notebook_failed, (str(self), self._fields())

    def _fields(self) -> dict[str, Any]:
        return {
            "output_path": self.output_path,
            "reason": self.reason,
            "cell_index": self.cell_index,
            "exception_type": self.exception_type,
            "exception_message": self.exception_message,
        }


def _rebuild_notebook_failed(message: str, fields: dict[str, Any]) -> NotebookFailed:
    return NotebookFailed(message, **fields)
