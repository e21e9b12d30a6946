"""The state round trips that ``check_trigger`` takes while it draws fire times.

A :class:`Probe` stands in for the trigger under test inside :func:`sample`: before
chosen calls of ``next()`` it saves the state, restores it three ways (directly, through
JSON and through pickle) and draws a few fire times from each restored copy. All of this
runs in sample's worker thread, so a ``__setstate__`` or restored ``next()`` that hangs is
bounded by the same time budget as everything else.
"""

from __future__ import annotations

import copy
import json
import pickle
import time
from datetime import datetime
from typing import Any, Literal, NamedTuple

from .._exceptions import with_article
from .._state import restore_trigger
from ..abc import Trigger

#: How many fire times each restored copy draws, to compare with the original.
LOOKAHEAD = 3

Route = Literal["direct", "json", "pickle"]


class Continuation(NamedTuple):
    """What a copy restored from the state taken at ``position`` did next."""

    route: Route
    position: int
    values: list[Any]  # up to LOOKAHEAD values, ending with None if it finished
    error: str | None  # set when restoring or drawing raised
    raised: type[BaseException] | None = None  # what the restored next() raised


class StateFinding(NamedTuple):
    """A problem found while saving the state (reported by the checks module)."""

    kind: Literal["getstate_raised", "getstate_none", "no_version", "json", "pickle"]
    position: int
    detail: str


class Probe(Trigger):
    """Draws from ``subject`` and checks its state before the calls at ``checkpoints``."""

    __slots__ = (
        "call_started",
        "checkpoints",
        "continuations",
        "findings",
        "phase",
        "position",
        "restored_index",
        "subject",
    )

    def __init__(self, subject: Trigger, checkpoints: set[int]) -> None:
        self.subject = subject
        self.checkpoints = checkpoints
        self.position = 0
        #: "next" or "state" while a call is in progress, for reporting a hang.
        self.phase: str | None = None
        self.call_started = 0.0
        #: The index in the sequence a restored copy is drawing, during a state check.
        self.restored_index = 0
        self.continuations: list[Continuation] = []
        self.findings: list[StateFinding] = []

    def next(self) -> datetime | None:
        if self.position in self.checkpoints:
            self.phase, self.call_started = "state", time.perf_counter()
            self._check_state(self.position)
        self.phase, self.call_started = "next", time.perf_counter()
        value = self.subject.next()
        self.phase = None
        self.position += 1
        return value

    def _check_state(self, position: int) -> None:
        try:
            state = self.subject.__getstate__()
        except Exception as error:
            self._find("getstate_raised", position, error_text(error))
            return
        if state is None:
            self._find("getstate_none", position, "__getstate__() returned None")
            return
        if not (isinstance(state, dict) and "version" in state):
            self._find("no_version", position, _shape(state))
        try:
            # A deep copy, so that the restored trigger shares nothing with the subject.
            direct = copy.deepcopy(state)
        except Exception as error:
            text = f"copying the state raised {error_text(error)}"
            self.continuations.append(Continuation("direct", position, [], text))
        else:
            self._continue("direct", position, direct)
        try:
            text = json.dumps(state)
        except (TypeError, ValueError) as error:
            self._find("json", position, _json_culprit(state) or str(error))
        else:
            self._continue("json", position, json.loads(text))
        try:
            data = pickle.loads(pickle.dumps(state))
        except Exception as error:
            self._find("pickle", position, error_text(error))
        else:
            self._continue("pickle", position, data)

    def _continue(self, route: Route, position: int, state: Any) -> None:
        cls = type(self.subject)
        values: list[Any] = []
        try:
            clone = restore_trigger(cls, state)
        except Exception as error:
            text = f"__setstate__ raised {error_text(error)}"
            self.continuations.append(Continuation(route, position, values, text))
            return
        try:
            while len(values) < LOOKAHEAD:
                self.restored_index = position + len(values)
                values.append(clone.next())
                if values[-1] is None:
                    break
        except Exception as error:
            text = f"the restored trigger's next() raised {error_text(error)}"
            self.continuations.append(
                Continuation(route, position, values, text, type(error))
            )
            return
        self.continuations.append(Continuation(route, position, values, None))

    def _find(self, kind: Any, position: int, detail: str) -> None:
        self.findings.append(StateFinding(kind, position, detail))

    # The probe is never saved: these exist because Trigger requires them.
    def __getstate__(self) -> Any:
        raise TypeError("a Probe is not saved")

    def __setstate__(self, state: Any) -> None:
        raise TypeError("a Probe is not restored")


def error_text(error: BaseException) -> str:
    first_line = str(error).splitlines()[0] if str(error) else ""
    return (
        f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
    )


def _shape(state: object) -> str:
    if isinstance(state, dict):
        return f"the state has keys {sorted(map(str, state))[:6]} but no 'version'"
    return f"the state is {with_article(type(state).__name__)}, with no place for a 'version'"


def _json_culprit(value: object, path: str = "state") -> str | None:
    """Name the first part of ``value`` that JSON cannot store: ``state['start']``."""
    if value is None or isinstance(value, str | int | float | bool):
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool) and key is not None:
                return f"{path} has a key {key!r} of type {type(key).__name__}"
            found = _json_culprit(item, f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _json_culprit(item, f"{path}[{index}]")
            if found:
                return found
        return None
    return f"{path} is {with_article(type(value).__name__)} ({value!r})"
