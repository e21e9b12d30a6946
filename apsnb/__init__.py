"""apsnb: job scheduling for Jupyter notebooks.

Triggers live in :mod:`apsnb.triggers` (imported by full path, e.g.
``from apsnb.triggers.cron import CronTrigger``); the errors apsnb raises are
re-exported here. ``import apsnb`` stays light: pandas, matplotlib and ipywidgets are
imported only by the notebook tools that need them.
"""

from ._exceptions import ApsnbError as ApsnbError
from ._exceptions import InvalidCronField as InvalidCronField
from ._exceptions import InvalidCrontab as InvalidCrontab
from ._exceptions import InvalidTriggerArgument as InvalidTriggerArgument
from ._exceptions import InvalidTriggerArgumentType as InvalidTriggerArgumentType
from ._exceptions import InvalidTriggerForm as InvalidTriggerForm
from ._exceptions import MaxIterationsReached as MaxIterationsReached
from ._exceptions import NaiveDatetimeError as NaiveDatetimeError
from ._exceptions import TriggerStateError as TriggerStateError
from ._exceptions import UnknownTimeZone as UnknownTimeZone

__version__ = "0.1.0"

__all__ = (
    "ApsnbError",
    "InvalidCronField",
    "InvalidCrontab",
    "InvalidTriggerArgument",
    "InvalidTriggerArgumentType",
    "InvalidTriggerForm",
    "MaxIterationsReached",
    "NaiveDatetimeError",
    "TriggerStateError",
    "UnknownTimeZone",
)
