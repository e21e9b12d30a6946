"""Job executors: run a job's function on the event loop, in a thread or in a process.

Import an implementation by its full path, e.g.
``from apsnb.executors.thread import ThreadPoolJobExecutor``.
"""

__all__ = ()
