"""Check a trigger against the trigger contract, and say how to fix what breaks it.

The contract is the one in ``docs/extending.md``: ``next()`` returns aware datetimes
that strictly increase in real time, or ``None``, promptly; ``__getstate__()`` returns
plain data with a version; ``__setstate__`` on a fresh instance continues with the same
fire times, also after a JSON or pickle round trip.

Problems have one of two severities:

* ``"error"`` — a rule of the contract is broken: a scheduler or a data store would
  misbehave (fire at the wrong time, fire twice, lose the trigger's place, hang);
* ``"warning"`` — good manners are missing (no ``"version"`` in the state, the default
  ``repr``, a slow ``next()``): things work, but will hurt later.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import TYPE_CHECKING

from ..abc import Trigger

# The rules, named by each problem's ``rule``, are importable from here.
from ._contract_rules import MAX_PROBLEMS_PER_RULE as MAX_PROBLEMS_PER_RULE
from ._contract_rules import RULE_AWARE as RULE_AWARE
from ._contract_rules import RULE_BACKWARDS as RULE_BACKWARDS
from ._contract_rules import RULE_GETSTATE as RULE_GETSTATE
from ._contract_rules import RULE_JSON as RULE_JSON
from ._contract_rules import RULE_PICKLE as RULE_PICKLE
from ._contract_rules import RULE_PROMPT as RULE_PROMPT
from ._contract_rules import RULE_RAISES as RULE_RAISES
from ._contract_rules import RULE_REPEAT as RULE_REPEAT
from ._contract_rules import RULE_REPR as RULE_REPR
from ._contract_rules import RULE_RESTORE as RULE_RESTORE
from ._contract_rules import RULE_VERSION as RULE_VERSION
from ._contract_rules import (
    Problem,
    Severity,
    _check_continuations,
    _check_stop,
    _check_values,
    _Problems,
    _report_state_findings,
    _show,
)
from ._probe import Probe, error_text
from ._subject import as_trigger
from .sampling import copy_trigger, sample

if TYPE_CHECKING:
    import pandas as pd

__all__ = ("Problem", "Severity", "TriggerReport", "check_trigger")

#: How many fire times the report shows.
SHOWN_FIRE_TIMES = 5


class TriggerReport:
    """What :func:`check_trigger` found: the problems and the first fire times.

    ``ok`` is True when no problem is an error (warnings allowed). ``problems`` is a
    pandas DataFrame (columns ``rule``, ``severity``, ``index``, ``values``, ``fix``);
    ``errors`` and ``warnings`` are tuples of :class:`Problem`. In a notebook the report
    shows itself as a headline, a table of the problems and the first fire times;
    ``str(report)`` is the same as text.
    """

    def __init__(
        self,
        trigger: str,
        fire_times: list[datetime],
        problems: list[Problem],
        requested: int,
        stop_reason: str,
        elapsed: float,
    ) -> None:
        #: The ``repr`` of the checked trigger.
        self.trigger = trigger
        #: The values ``next()`` returned (on a copy), in order.
        self.fire_times = fire_times
        self.problem_list = tuple(problems)
        self.requested = requested
        #: Why drawing stopped: ``"count"``, ``"finished"``, ``"error"``, ``"until"``,
        #: ``"time_budget"``, or ``"not_copied"`` (nothing drawn: copying failed).
        self.stop_reason = stop_reason
        self.elapsed = elapsed

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that break the contract."""
        return tuple(p for p in self.problem_list if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems that are bad manners only."""
        return tuple(p for p in self.problem_list if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error-level problem."""
        return not self.errors

    @property
    def problems(self) -> pd.DataFrame:
        """The problems as a DataFrame: rule, severity, index, values, fix."""
        import pandas as pd

        frame = pd.DataFrame(
            [p._asdict() for p in self.problem_list], columns=list(Problem._fields)
        )
        frame["index"] = frame["index"].astype("Int64")
        return frame

    def headline(self) -> str:
        """``✓ trigger: 200 fire times checked, 0 errors, 1 warning``."""
        mark = "✓" if self.ok else "✗"
        return (
            f"{mark} {self.trigger}: {len(self.fire_times)} fire time"
            f"{'s' if len(self.fire_times) != 1 else ''} checked"
            f"{_stop_note(self.stop_reason)}, {_count(len(self.errors), 'error')}, "
            f"{_count(len(self.warnings), 'warning')}"
        )

    def __str__(self) -> str:
        lines = [self.headline()]
        lines.extend("  " + p.text().replace("\n", "\n    ") for p in self.problem_list)
        shown = self.fire_times[:SHOWN_FIRE_TIMES]
        if shown:
            lines.append("first fire times: " + ", ".join(map(_show, shown)))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<TriggerReport {self.headline()}>"

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.ok else "#cf222e"
        parts = [
            f'<div style="font-weight:bold;color:{color}">'
            f"{html.escape(self.headline())}</div>"
        ]
        if self.problem_list:
            cells = "".join(f"<th>{name}</th>" for name in Problem._fields)
            rows = "".join(
                "<tr>"
                + "".join(
                    f'<td style="text-align:left;white-space:pre-wrap">'
                    f"{html.escape('' if value is None else str(value))}</td>"
                    for value in problem
                )
                + "</tr>"
                for problem in self.problem_list
            )
            parts.append(f"<table><thead><tr>{cells}</tr></thead>{rows}</table>")
        shown = self.fire_times[:SHOWN_FIRE_TIMES]
        if shown:
            items = "".join(f"<li>{html.escape(_show(t))}</li>" for t in shown)
            parts.append(f"<div>First fire times:</div><ol start=0>{items}</ol>")
        return "<div>" + "".join(parts) + "</div>"


def check_trigger(
    trigger: Trigger | str, n: int = 200, *, time_budget: float = 5.0
) -> TriggerReport:
    """Check that ``trigger`` keeps the trigger contract, on a copy of it.

    Draws up to ``n`` fire times from a copy (``trigger`` itself never advances) and
    checks every rule: aware datetimes or None, never the same instant twice, never
    earlier than the previous one, ``next()`` neither raising nor hanging (a hung call
    is abandoned after ``time_budget`` seconds), and the state restored directly,
    through JSON and through pickle continuing with the same fire times, checked at
    positions 0, 1, n/2 and n-1. See the module docstring for the severities.

    :param trigger: the trigger to check, or a crontab string (``"*/5 * * * *"``)
    :param n: how many fire times to draw
    :param time_budget: seconds the whole check may take before a slow or hung
        ``next()`` is reported
    :return: a :class:`TriggerReport`; ``report.ok`` is False if any error was found
    """
    trigger = as_trigger(trigger)
    problems = _Problems()
    if type(trigger).__repr__ is object.__repr__:
        problems.add(RULE_REPR, "warning", None, f"repr is {trigger!r}")
    try:
        subject = copy_trigger(trigger)
    except Exception as error:
        problems.add(
            RULE_RESTORE, "error", 0,
            f"copying the trigger through its state raised {error_text(error)}; "
            f"nothing else was checked, to leave your trigger where it is",
        )  # fmt: skip
        return TriggerReport(repr(trigger), [], problems.finish(), n, "not_copied", 0.0)
    checkpoints = {position for position in (0, 1, n // 2, n - 1) if 0 <= position < n}
    probe = Probe(subject, checkpoints)
    drawn = sample(probe, n=n, time_budget=time_budget, copy=False)
    values = drawn.times
    _check_values(values, problems)
    _check_stop(drawn, probe, trigger, time_budget, n, problems)
    _report_state_findings(probe.findings, problems)
    finished = [None] if drawn.stop_reason == "finished" else []
    raised = type(drawn.error) if drawn.error is not None else None
    _check_continuations(probe.continuations, [*values, *finished], raised, problems)
    return TriggerReport(
        repr(trigger), values, problems.finish(), n, drawn.stop_reason, drawn.elapsed
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _stop_note(stop_reason: str) -> str:
    return {
        "finished": " (the trigger finished)",
        "error": " (next() raised)",
        "not_copied": " (it could not be copied through its state)",
        "time_budget": " (stopped by the time budget)",
    }.get(stop_reason, "")
