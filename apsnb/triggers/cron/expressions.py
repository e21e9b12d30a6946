"""Parsing one cron field's text into the values it allows.

Every form is matched against the whole of each comma-separated part, so trailing junk
(``1st sun-2``) is an error rather than silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import NamedTuple

from ..._exceptions import InvalidCronField

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTH_NAMES = (
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"
)  # fmt: skip
#: Cron numbers weekdays 0-7 with 0 and 7 both Sunday; names map onto those numbers.
CRON_WEEKDAY_NUMBERS = {name: number for number, name in enumerate(WEEKDAY_NAMES, 1)}
ORDINALS = {"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "last": -1}

_VALUE = r"(\d+|[a-z]+)"
_RANGE = re.compile(rf"{_VALUE}(?:-{_VALUE})?(?:/(\d+))?")
_ALL = re.compile(r"\*(?:/(\d+))?")
_NEAREST_WEEKDAY = re.compile(r"(\d+)w")
_NTH_WEEKDAY_NAMED = re.compile(r"(1st|2nd|3rd|4th|5th|last)\s+(\w+)")
_WEEKDAY = r"(\d+|mon|tue|wed|thu|fri|sat|sun)"
_LAST_WEEKDAY = re.compile(rf"{_WEEKDAY}l")
_NTH_WEEKDAY_HASH = re.compile(rf"{_WEEKDAY}#(\d+)")


class NthWeekday(NamedTuple):
    """The ``nth`` given weekday of a month (``nth == -1``: the last one)."""

    weekday: int  # 0 = Monday, as datetime.weekday()
    nth: int


class NearestWeekday(NamedTuple):
    """The weekday nearest to ``day`` within the same month (cron's ``nW``)."""

    day: int


class LastDay(NamedTuple):
    """The last day of the month (``last``/``L``), or its last weekday (``LW``)."""

    weekday_only: bool = False


DayRule = NthWeekday | NearestWeekday | LastDay


class ParsedField(NamedTuple):
    """What one field allows: fixed ``values`` plus, for days, month-dependent rules."""

    values: frozenset[int]
    rules: tuple[DayRule, ...] = ()
    #: True when the text starts with ``*`` (cron's test for a wildcard field).
    wildcard: bool = False
    #: True when the field allows every value (plain ``*``).
    unrestricted: bool = False


class FieldKind(NamedTuple):
    """How to read one field: its range, the names it knows, the extra forms it takes."""

    name: str
    minimum: int
    maximum: int
    names: Mapping[str, int] | None = None
    extra_forms: str = ""
    #: Turns a value read in the field's own numbering into the stored value.
    normalize: Callable[[int], int] = int

    def allowed(self) -> str:
        parts = [
            f"'*', '*/n', 'a', 'a-b', 'a-b/n', 'a/n' and comma-separated lists of them, "
            f"with a and b in {self.minimum}-{self.maximum}"
        ]
        if self.names:
            parts.append(f" or names ({', '.join(list(self.names)[:3])}, …)")
        if self.extra_forms:
            parts.append(f"; also {self.extra_forms}")
        return "".join(parts)


def parse_field(kind: FieldKind, text: str) -> ParsedField:
    """Parse ``text`` (already stripped) for a field of the given kind."""
    if not text:
        raise InvalidCronField(kind.name, text, "the field is empty", kind.allowed())
    values: set[int] = set()
    rules: list[DayRule] = []
    lowered = text.lower()
    for part in lowered.split(","):
        part = part.strip()
        if not part:
            raise InvalidCronField(
                kind.name, text, "it has an empty item in its list", kind.allowed()
            )
        rule = _parse_rule(kind, text, part)
        if rule is not None:
            rules.append(rule)
        else:
            values.update(_parse_values(kind, text, part))
    normalized = frozenset(kind.normalize(value) for value in values)
    return ParsedField(
        values=normalized,
        rules=tuple(rules),
        wildcard=lowered.startswith("*"),
        unrestricted=any(part.strip() == "*" for part in lowered.split(",")),
    )


def _parse_values(kind: FieldKind, text: str, part: str) -> range | list[int]:
    if match := _ALL.fullmatch(part):
        step = _step(kind, text, match.group(1))
        if kind.name == "day_of_week":
            # A step over the weekdays counts 0-6 from Sunday, as cron does.
            return range(0, 7, step)
        return range(kind.minimum, kind.maximum + 1, step)
    if match := _RANGE.fullmatch(part):
        first = _value(kind, text, match.group(1))
        last_text, step_text = match.group(2), match.group(3)
        if kind.name == "day_of_week" and part.startswith("sun/"):
            first = 0  # cron's sun is 0: sun/2 is 0/2 (sun,tue,thu,sat)
        if last_text is None:
            last = kind.maximum if step_text else first
        else:
            last = _value(kind, text, last_text)
        wraps = first > last
        if wraps:
            if kind.name != "day_of_week":
                raise InvalidCronField(
                    kind.name,
                    text,
                    f"the range {part!r} runs backwards",
                    kind.allowed(),
                )
            # Weekday ranges may wrap past Sunday (sat-mon), as in APScheduler.
            last += 7
        step = _step(kind, text, step_text)
        values = range(first, last + 1, step)
        return [value % 7 for value in values] if wraps else values
    raise InvalidCronField(
        kind.name, text, f"{part!r} is not an expression it understands", kind.allowed()
    )


def _parse_rule(kind: FieldKind, text: str, part: str) -> DayRule | None:
    """Parse the forms that depend on the month (only in day and day_of_week)."""
    if kind.name == "day":
        if part in ("last", "l"):
            return LastDay()
        if part == "lw":
            return LastDay(weekday_only=True)
        if part.startswith(("l/", "lw/")):
            raise InvalidCronField(
                kind.name,
                text,
                f"{part.upper()!r} steps from the last day, which is one day a month, so a "
                f"step would pick nothing more (cronsim ignores it); write "
                f"{part.split('/')[0].upper()!r}",
                kind.allowed(),
            )
        if match := _NEAREST_WEEKDAY.fullmatch(part):
            return NearestWeekday(_in_range(kind, text, int(match.group(1))))
        if match := _NTH_WEEKDAY_NAMED.fullmatch(part):
            weekday = _weekday(kind, text, match.group(2))
            return NthWeekday(weekday, ORDINALS[match.group(1)])
    elif kind.name == "day_of_week":
        if match := _LAST_WEEKDAY.fullmatch(part):
            return NthWeekday(_weekday(kind, text, match.group(1)), -1)
        if match := _NTH_WEEKDAY_HASH.fullmatch(part):
            nth = int(match.group(2))
            if not 1 <= nth <= 5:
                raise InvalidCronField(
                    kind.name,
                    text,
                    f"{part!r} asks for occurrence {nth}",
                    "n#k with k in 1-5",
                )
            return NthWeekday(_weekday(kind, text, match.group(1)), nth)
    return None


def _weekday(kind: FieldKind, text: str, token: str) -> int:
    """Read a weekday name or cron number (0-7, Sunday 0 or 7) as datetime.weekday()."""
    if token.isdigit():
        number = int(token)
        if number > 7:
            raise InvalidCronField(
                kind.name,
                text,
                f"{number} is not a weekday number",
                "weekdays 0-7 (0 and 7 are Sunday) or names mon-sun",
            )
        return (number - 1) % 7
    if token in CRON_WEEKDAY_NUMBERS:
        return CRON_WEEKDAY_NUMBERS[token] - 1
    raise InvalidCronField(
        kind.name,
        text,
        f"{token!r} is not a weekday",
        "weekday names mon, tue, wed, thu, fri, sat, sun or numbers 0-7",
    )


def _value(kind: FieldKind, text: str, token: str) -> int:
    if token.isdigit():
        return _in_range(kind, text, int(token))
    if kind.names is not None and token in kind.names:
        return kind.names[token]
    if kind.names is None:
        reason = f"{token!r} is not a number"
    else:
        reason = f"{token!r} is not a known name"
    raise InvalidCronField(kind.name, text, reason, kind.allowed())


def _in_range(kind: FieldKind, text: str, value: int) -> int:
    if not kind.minimum <= value <= kind.maximum:
        raise InvalidCronField(
            kind.name,
            text,
            f"{value} is out of range ({kind.minimum}-{kind.maximum})",
            kind.allowed(),
        )
    return value


def _step(kind: FieldKind, text: str, step_text: str | None) -> int:
    if step_text is None:
        return 1
    step = int(step_text)
    if step < 1:
        raise InvalidCronField(
            kind.name, text, "a step must be at least 1", kind.allowed()
        )
    # A step larger than its range keeps only the first value (cron and cronsim agree):
    # '*/100' in the day field is day 1, an idiom of "1 1 */100,1-7 * MON".
    return step
