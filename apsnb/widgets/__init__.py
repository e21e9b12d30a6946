"""Notebook widgets (ipywidgets) to compose triggers and watch schedules.

Needs ipywidgets (``pip install 'apsnb[lab]'``); one module per widget.
"""

try:
    import ipywidgets as _ipywidgets  # noqa: F401  (fail here, with the fix, not deep inside)
except ImportError as error:
    raise ImportError(
        "apsnb.widgets needs ipywidgets, which is not installed: "
        "pip install 'apsnb[lab]'"
    ) from error

from .composer import TriggerComposer
from .dashboard import ScheduleDashboard

__all__ = ("ScheduleDashboard", "TriggerComposer")
