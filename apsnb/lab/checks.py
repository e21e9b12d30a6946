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
import time
from datetime import datetime
from typing import TYPE_CHECKING, Literal, NamedTuple

from .._exceptions import MaxIterationsReached, MaxSkipsReached
from .._trigger_contract import fire_time_problem
from ..abc import Trigger
from ._giveup import explain_give_up
from ._probe import LOOKAHEAD, Continuation, Probe, StateFinding, error_text
from ._subject import as_trigger
from .sampling import Sample, copy_trigger, sample

if TYPE_CHECKING:
    import pandas as pd

__all__ = ("Problem", "Severity", "TriggerReport", "check_trigger")

Severity = Literal["error", "warning"]

RULE_AWARE = "next() returns aware datetimes or None"
RULE_REPEAT = "never the same instant twice"
RULE_BACKWARDS = "never earlier than the previous one"
RULE_RAISES = "next() does not raise"
RULE_PROMPT = "next() must return promptly"
RULE_GETSTATE = "__getstate__() returns the state"
RULE_RESTORE = "__setstate__(__getstate__()) continues the same fire times"
RULE_JSON = "the state survives JSON"
RULE_PICKLE = "the state survives pickle"
RULE_VERSION = "the state has a version"
RULE_REPR = "repr shows how the trigger was built"

#: How many problems of one rule are listed; the rest are counted in one more row.
MAX_PROBLEMS_PER_RULE = 3
#: How many fire times the report shows.
SHOWN_FIRE_TIMES = 5
# A single next() call running this share of the time budget counts as hung.
_HUNG_SHARE = 0.5

_FIXES = {
    RULE_REPEAT: "return only instants later than the last one: search strictly after "
    "the previous fire time (keep it in the state), and compare real instants "
    "(.timestamp() or UTC), not wall times",
    RULE_BACKWARDS: "compare and step in real time: convert to UTC for arithmetic "
    "and comparisons (datetimes of one tzinfo compare wall times and ignore fold), "
    "and never restart from an earlier point",
    RULE_GETSTATE: "return a dict of plain data from __getstate__, e.g. {'version': "
    "1, 'start_time': self.start_time.isoformat(), 'fired': self._fired}",
    RULE_RESTORE: "put everything next() depends on, the progress too (a counter, "
    "the last fire time), in __getstate__ and set all of it in __setstate__",
    RULE_JSON: "store only dict, list, str, int, float, bool and None: a datetime "
    "as value.isoformat() (read back with datetime.fromisoformat), a date as "
    "isoformat(), a timedelta as total_seconds(), a set as a sorted list",
    RULE_PICKLE: "store only plain data in the state (no locks, generators, "
    "lambdas or open files)",
    RULE_VERSION: "return a dict with 'version': 1 and check it first in "
    "__setstate__, so that a later release can read states saved by this one",
    RULE_REPR: "define __repr__ to show the constructor arguments, e.g. "
    "MyTrigger(start_time='2026-01-01T09:00:00+02:00', limit=4)",
}


class Problem(NamedTuple):
    """One broken rule: where in the sequence, with which values, and how to fix it."""

    rule: str
    severity: Severity
    #: The position in the sequence of ``next()`` calls (0: the first), or None.
    index: int | None
    values: str
    fix: str

    def text(self) -> str:
        """The problem as one paragraph: ``[error] rule — at index 4: values. Fix: …``."""
        where = "" if self.index is None else f" at index {self.index}"
        return f"[{self.severity}] {self.rule}{where}: {self.values}. Fix: {self.fix}"


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


class _Problems:
    """Collects problems, listing at most ``MAX_PROBLEMS_PER_RULE`` of each rule."""

    def __init__(self) -> None:
        self._listed: list[Problem] = []
        self._counts: dict[str, int] = {}
        self._severities: dict[str, Severity] = {}
        self._fixes: dict[str, str] = {}

    def add(self, rule: str, severity: Severity, index: int | None, values: str,
            fix: str | None = None) -> None:  # fmt: skip
        count = self._counts.get(rule, 0) + 1
        self._counts[rule] = count
        self._severities[rule] = severity
        self._fixes[rule] = fix = fix or _FIXES[rule]
        if count <= MAX_PROBLEMS_PER_RULE:
            self._listed.append(Problem(rule, severity, index, values, fix))

    def has(self, rule: str) -> bool:
        return rule in self._counts

    def finish(self) -> list[Problem]:
        listed = list(self._listed)
        for rule, count in self._counts.items():
            if count > MAX_PROBLEMS_PER_RULE:
                more = count - MAX_PROBLEMS_PER_RULE
                listed.append(
                    Problem(rule, self._severities[rule], None,
                            f"… and {more} more like these", self._fixes[rule])
                )  # fmt: skip
        order = {"error": 0, "warning": 1}
        return sorted(listed, key=lambda p: order[p.severity])


def _check_values(values: list[object], problems: _Problems) -> None:
    zone = next(
        (v.tzinfo for v in values if isinstance(v, datetime) and v.tzinfo is not None),
        None,
    )
    example_zone = getattr(zone, "key", None) or "Europe/Helsinki"
    previous: datetime | None = None
    for index, value in enumerate(values):
        problem = fire_time_problem(value, example_zone)
        if problem is not None:
            problems.add(RULE_AWARE, "error", index, *problem)
            continue
        assert isinstance(value, datetime)
        if previous is not None:
            stamp, previous_stamp = value.timestamp(), previous.timestamp()
            if stamp == previous_stamp:
                problems.add(
                    RULE_REPEAT, "error", index,
                    f"{_show(value)} is the same instant as the previous fire time "
                    f"{_show(previous)}",
                )  # fmt: skip
            elif stamp < previous_stamp:
                problems.add(
                    RULE_BACKWARDS, "error", index,
                    f"{_show(value)} is {previous_stamp - stamp:g} s earlier than the "
                    f"previous fire time {_show(previous)}",
                )  # fmt: skip
        previous = value


def _check_stop(
    drawn: Sample,
    probe: Probe,
    trigger: Trigger,
    time_budget: float,
    n: int,
    problems: _Problems,
) -> None:
    index = len(drawn.times)
    if drawn.stop_reason == "error" and drawn.error is not None:
        error = drawn.error
        if isinstance(error, MaxIterationsReached):
            detail = "\n".join(explain_give_up(error, trigger))
            fix = "combine triggers whose fire times can coincide, or raise threshold"
        elif isinstance(error, MaxSkipsReached):
            detail = error_text(error)
            fix = "check that the excluded dates and triggers leave some fire times"
        else:
            detail = f"next() raised {error_text(error)}"
            fix = (
                "return None when there are no more fire times; otherwise fix the "
                "cause (call next() on a copy to see the traceback)"
            )
        problems.add(RULE_RAISES, "error", index, detail, fix)
    elif drawn.stop_reason == "time_budget":
        running = time.perf_counter() - probe.call_started if probe.phase else 0.0
        if probe.phase and running >= _HUNG_SHARE * time_budget:
            what = "next()"
            if probe.phase == "state":
                # It was a copy restored from an earlier state that hung.
                index = probe.restored_index
                what = "next() on a copy restored from the state"
            problems.add(
                RULE_PROMPT, "error", index,
                f"{what} did not return within {running:.1f} s; it was abandoned",
                "compute the next fire time, never wait or loop until a condition "
                "holds; bound every search (as AndTrigger's max_iterations does)",
            )  # fmt: skip
        else:
            per_call = drawn.elapsed / max(index, 1) * 1000
            problems.add(
                RULE_PROMPT, "warning", index,
                f"only {index} of {n} fire times in the time budget of "
                f"{time_budget:g} s (about {per_call:.0f} ms a call)",
                "make next() cheaper (skip ahead by arithmetic rather than stepping), "
                "or pass a larger time_budget",
            )  # fmt: skip


def _report_state_findings(findings: list[StateFinding], problems: _Problems) -> None:
    for finding in findings:
        if finding.kind == "no_version":
            if not problems.has(RULE_VERSION):
                problems.add(RULE_VERSION, "warning", finding.position, finding.detail)
        elif finding.kind in ("getstate_raised", "getstate_none"):
            problems.add(RULE_GETSTATE, "error", finding.position, finding.detail)
        else:
            rule = RULE_JSON if finding.kind == "json" else RULE_PICKLE
            problems.add(rule, "error", finding.position, f"{finding.detail} "
                         f"(the state taken after {_fire_times(finding.position)})")  # fmt: skip


_ROUTE_RULES = {"direct": RULE_RESTORE, "json": RULE_JSON, "pickle": RULE_PICKLE}
_ROUTE_NAMES = {
    "direct": "restored from its state",
    "json": "restored from its state after json.dumps/json.loads",
    "pickle": "restored from its state after pickle.dumps/pickle.loads",
}


def _check_continuations(
    continuations: list[Continuation],
    values: list[object],
    raised: type[BaseException] | None,
    problems: _Problems,
) -> None:
    """Compare each restored copy's fire times with the original's.

    ``raised`` is what the original's ``next()`` raised after ``values``, if anything: a
    copy that raises the same at the same place continues faithfully.
    """
    broken_directly = set()
    for continuation in continuations:  # "direct" comes first at every position
        position, route = continuation.position, continuation.route
        if route != "direct" and position in broken_directly:
            continue  # the serializer is not to blame when restoring itself fails
        rule = _ROUTE_RULES[route]
        expected = values[position : position + LOOKAHEAD]
        same_failure = (
            continuation.raised is not None
            and continuation.raised is raised
            and position + len(continuation.values) == len(values)
        )
        if continuation.error is not None and not same_failure:
            problems.add(
                rule, "error", position,
                f"the trigger {_ROUTE_NAMES[route]} after {_fire_times(position)}: "
                f"{continuation.error}",
            )  # fmt: skip
            broken_directly.add(position)
            continue
        for offset, (got, want) in enumerate(
            zip(continuation.values, expected, strict=False)
        ):
            if not _same(got, want):
                problems.add(
                    rule, "error", position + offset,
                    f"the trigger {_ROUTE_NAMES[route]} after {_fire_times(position)} "
                    f"returned {_show(got)} where the original returned {_show(want)}",
                )  # fmt: skip
                if route == "direct":
                    broken_directly.add(position)
                break


def _same(got: object, want: object) -> bool:
    """The same value: for aware datetimes, the same instant *and* the same offset."""
    if isinstance(got, datetime) and isinstance(want, datetime):
        if got.utcoffset() is None or want.utcoffset() is None:
            return got.replace(tzinfo=None) == want.replace(tzinfo=None) and (
                got.utcoffset() == want.utcoffset()
            )
        return (
            got.timestamp() == want.timestamp() and got.utcoffset() == want.utcoffset()
        )
    return got == want


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return repr(value)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _stop_note(stop_reason: str) -> str:
    return {
        "finished": " (the trigger finished)",
        "error": " (next() raised)",
        "not_copied": " (it could not be copied through its state)",
        "time_budget": " (stopped by the time budget)",
    }.get(stop_reason, "")


def _fire_times(count: int) -> str:
    return f"{count} fire time" if count == 1 else f"{count} fire times"
