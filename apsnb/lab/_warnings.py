"""The warning the lab gives when it could not draw all the fire times it was asked for."""

from __future__ import annotations

import warnings

from .sampling import Sample

__all__ = ("LabWarning", "warn_if_cut_short")


class LabWarning(UserWarning):
    """Warned when a lab tool stops early: the time budget ran out or ``next()`` raised.

    The result holds the fire times found before that; the message says how to get more.
    """


def warn_if_cut_short(drawn: Sample, *, stacklevel: int = 3) -> None:
    """Warn with :class:`LabWarning` if ``drawn`` stopped on the time budget or an error."""
    found = len(drawn.times)
    if drawn.stop_reason == "time_budget":
        message = (
            f"stopped after {drawn.elapsed:.1f} s with {found} fire time(s): the time "
            f"budget ran out (a slow or stuck next()). For more, raise time_budget= "
            f"or pass until= to ask for a shorter period"
        )
    elif drawn.stop_reason == "error":
        error = drawn.error
        message = (
            f"stopped after {found} fire time(s): next() raised "
            f"{type(error).__name__}: {error}. The table holds the fire times before "
            f"the error; pass until= to stop before it"
        )
    else:
        return
    warnings.warn(message, LabWarning, stacklevel=stacklevel)
