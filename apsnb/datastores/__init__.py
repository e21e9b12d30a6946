"""Data stores: where the scheduler keeps tasks, schedules, jobs and job results.

Import each store by its full path, e.g.
``from apsnb.datastores.memory import MemoryDataStore``.
"""
