"""Contract checks for your own triggers and data stores, for your own pytest suite.

``assert_valid_trigger`` needs pandas (``pip install 'apsnb[lab]'``), because the
checks are the lab's; ``apsnb.testing.datastores`` does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abc import Trigger

if TYPE_CHECKING:
    from ..lab.checks import TriggerReport

__all__ = ("assert_valid_trigger",)


def assert_valid_trigger(
    trigger: Trigger, n: int = 200, *, time_budget: float = 5.0
) -> TriggerReport:
    """Fail with a readable message if ``trigger`` breaks the trigger contract.

    Runs :func:`apsnb.lab.check_trigger` on a copy of ``trigger`` (which is not
    advanced) and raises ``AssertionError`` with the report's text when any
    error-level problem is found; warnings alone do not fail. Use it in a test::

        def test_my_trigger_keeps_the_contract():
            assert_valid_trigger(MyTrigger(start_time=..., limit=4))

    :param trigger: the trigger to check
    :param n: how many fire times to draw
    :param time_budget: seconds after which a slow or hung ``next()`` is reported
    :return: the report, for further assertions (e.g. on ``report.warnings``)
    :raises AssertionError: when the report has an error
    """
    __tracebackhide__ = True  # pytest shows the message, not this frame
    try:
        from ..lab.checks import check_trigger
    except ModuleNotFoundError as error:  # pragma: no cover - depends on the install
        raise ModuleNotFoundError(
            f"assert_valid_trigger needs {error.name}, which comes with the lab extra: "
            f"pip install 'apsnb[lab]'",
            name=error.name,
        ) from error
    report = check_trigger(trigger, n, time_budget=time_budget)
    if not report.ok:
        raise AssertionError(str(report))
    return report
