"""See what a trigger does before trusting it with a job: tables, plots, checks.

Needs pandas (``pip install 'apsnb[lab]'``); matplotlib is imported only when a plot is
drawn.
"""

try:
    import pandas as _pandas  # noqa: F401  (fail here, with the fix, not deep inside)
except ImportError as error:
    raise ImportError(
        "apsnb.lab needs pandas, which is not installed: pip install 'apsnb[lab]'"
    ) from error

from ._warnings import LabWarning
from .checks import Problem as Problem
from .checks import TriggerReport as TriggerReport
from .checks import check_trigger as check_trigger
from .describe import describe as describe
from .explain import Explanation as Explanation
from .explain import explain as explain
from .plots import plot_gaps, plot_heatmap, plot_timeline
from .tables import fire_times

__all__ = (
    "Explanation",
    "LabWarning",
    "Problem",
    "TriggerReport",
    "check_trigger",
    "describe",
    "explain",
    "fire_times",
    "plot_gaps",
    "plot_heatmap",
    "plot_timeline",
)
