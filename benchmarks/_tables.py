"""A minimal table that prints either aligned for a terminal or as Markdown, and the
figures that go in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    """A titled grid of strings; the first column is left-aligned, the rest right."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self, markdown: bool) -> str:
        """The table as text, with its notes below it."""
        body = self._markdown() if markdown else self._aligned()
        notes = "\n".join(f"- {note}" if markdown else note for note in self.notes)
        title = f"### {self.title}" if markdown else self.title
        return "\n\n".join(part for part in (title, body, notes) if part)

    def _aligned(self) -> str:
        widths = [
            max(len(row[column]) for row in [self.headers, *self.rows])
            for column in range(len(self.headers))
        ]
        lines = [self._aligned_row(self.headers, widths)]
        lines.append("  ".join("-" * width for width in widths))
        lines.extend(self._aligned_row(row, widths) for row in self.rows)
        return "\n".join(lines)

    @staticmethod
    def _aligned_row(row: list[str], widths: list[int]) -> str:
        first, *rest = zip(row, widths, strict=True)
        cells = [first[0].ljust(first[1])] + [cell.rjust(width) for cell, width in rest]
        return "  ".join(cells).rstrip()

    def _markdown(self) -> str:
        separator = [":---", *("---:" for _ in self.headers[1:])]
        rows = [[markdown_escaped(cell) for cell in row] for row in self.rows]
        lines = [self.headers, separator, *rows]
        return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def markdown_escaped(cell: str) -> str:
    """``cell`` with the characters Markdown would misread escaped."""
    # Cron expressions are full of "*", which Markdown would read as emphasis.
    return cell.replace("|", "\\|").replace("*", "\\*")


def format_rate(calls_per_second: float) -> str:
    """A rate in a short, readable form: ``412k``, ``1.23M``."""
    if calls_per_second >= 1e6:
        return f"{calls_per_second / 1e6:.2f}M"
    if calls_per_second >= 1e4:
        return f"{calls_per_second / 1e3:.0f}k"
    if calls_per_second >= 1e3:
        return f"{calls_per_second / 1e3:.1f}k"
    return f"{calls_per_second:.0f}"


def format_ratio(ratio: float) -> str:
    """A speed ratio with three significant digits: ``3.20×``, ``15.3×``."""
    return f"{ratio:.1f}×" if ratio >= 10 else f"{ratio:.2f}×"


#: Results by implementation, then by run key, then by field.
Results = dict[str, dict[str, dict[str, Any]]]


def figure(results: Results, name: str, key: str, field: str) -> float | None:
    """One figure, or ``None`` if that run failed or did not happen."""
    found = results.get(name, {}).get(key, {}).get(field)
    return found if isinstance(found, int | float) else None


def shown(found: float | None, show: Callable[[float], str]) -> str:
    """A figure as ``show`` writes it, or a dash where there is none."""
    return "–" if found is None else show(found)


def problems(results: Results) -> list[str]:
    """A note for every run that failed, as ``<implementation> <run>: <problem>``."""
    return [
        f"{name} {key}: {outcome['problem']}"
        for name, outcomes in results.items()
        for key, outcome in outcomes.items()
        if "problem" in outcome
    ]
