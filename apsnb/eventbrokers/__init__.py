"""Event brokers: deliver the events data stores and schedulers publish to subscribers.

Import an implementation by its full path, e.g.
``from apsnb.eventbrokers.local import LocalEventBroker``.
"""

__all__ = ()
