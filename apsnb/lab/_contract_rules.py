"""The rules of the trigger contract that :func:`~apsnb.lab.check_trigger` checks, how
to fix each, and the checks that find where a trigger breaks them: in its fire times,
in how ``next()`` stopped, in its state, and in the copies restored from it.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Literal, NamedTuple

from .._exceptions import MaxIterationsReached, MaxSkipsReached
from .._trigger_contract import fire_time_problem
from ..abc import Trigger
from ._giveup import explain_give_up
from ._probe import LOOKAHEAD, Continuation, Probe, StateFinding, error_text
from .sampling import Sample

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


def _fire_times(count: int) -> str:
    return f"{count} fire time" if count == 1 else f"{count} fire times"
