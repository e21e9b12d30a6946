"""Running claimed jobs: a task for each, their leases renewed while they run, and
their results released to the store in batches."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

import anyio

from .._enums import JobOutcome, RunState
from .._events import JobAcquired, JobReleased
from .._exceptions import TaskFunctionMissing, UntrustedReference
from .._structures import Job, JobResult, utcnow
from ..executors.async_ import AsyncJobExecutor
from ._backoff import Backoff, loop_backoff
from ._output import JobOutput, job_traceback
from ._task_view import TaskView
from ._wakeup import Wakeup

if TYPE_CHECKING:
    from .async_ import AsyncScheduler


class JobRunner:
    """The jobs one scheduler runs, from their claim to their release."""

    def __init__(
        self,
        scheduler: AsyncScheduler,
        logger: logging.Logger,
        tasks: TaskView,
        jobs_changed: Wakeup,
    ) -> None:
        self.scheduler = scheduler
        self.logger = logger
        self.tasks = tasks
        #: Set when a job is released: its slot is free again.
        self.jobs_changed = jobs_changed
        #: The ids of the jobs claimed and not yet released.
        self.running_jobs: set[Any] = set()
        #: Set by a stop with a grace period: running jobs finish, no new ones start.
        self.draining = False
        #: What captured jobs printed, until their release is announced.
        self._outputs: dict[Any, str | None] = {}
        #: The tasks of the running jobs, and their jobs (see _start_job).
        self._job_tasks: dict[asyncio.Task[None], Job] = {}
        #: Finished jobs waiting to be released, and the task releasing them.
        self._releases: list[tuple[Job, JobResult]] = []
        self._releasing: asyncio.Task[None] | None = None
        #: How many of the jobs in running_jobs are finished, their results being
        #: stored (at most one batch: the jobs that finish meanwhile wait for it).
        self.storing = 0
        self._release_backoff = loop_backoff()
        #: Jobs whose result a ``run_job`` call waits for, and those results as they
        #: were in memory (with the exception and return value a store may not keep).
        self.awaited: set[Any] = set()
        self.local_results: dict[Any, JobResult] = {}
        #: Set when a job is taken, so the lease loop sleeps while none runs.
        self.jobs_taken = Wakeup()

    async def start(self, jobs: list[Job]) -> None:
        """Start claimed jobs, each in a task of its own."""
        if not jobs:
            return
        self.jobs_taken.set()
        identity = self.scheduler.identity
        broker = self.scheduler.event_broker
        announce = broker.wants(JobAcquired)  # rarely: events cost a µs or two each
        create_task = asyncio.get_running_loop().create_task
        for job in jobs:
            self.running_jobs.add(job.id)
            if announce:
                await broker.publish_local(
                    JobAcquired(
                        job_id=job.id,
                        scheduler_id=identity,
                        task_id=job.task_id,
                        schedule_id=job.schedule_id,
                        scheduled_start=job.scheduled_start,
                    )
                )
            # A plain asyncio task per job: a task group's costs five times as much
            # to start (a fifth of a trivial job's cost), and stop() gives jobs the
            # one thing it would add, being cancelled and waited for when the
            # scheduler stops. (One name for all: formatting each job's id into it
            # would cost a µs a job.) The task takes itself out of _job_tasks as it
            # ends: a done callback would cost the loop one more callback per job.
            self._job_tasks[create_task(self.run_job(job), name="apsnb job")] = job

    async def drain(self, seconds: float) -> None:
        """Take no more jobs; wait up to ``seconds`` for the running ones to end."""
        self.draining = True
        with anyio.move_on_after(seconds):
            while running := [task for task in self._job_tasks if not task.done()]:
                await asyncio.wait(running)

    async def stop(self) -> None:
        """Cancel the running jobs, wait until they end, and release them all."""
        tasks = list(self._job_tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        # A task cancelled before its first step never ran a line of run_job, so it
        # is still listed and nothing released its job: that is done here.
        for task in tasks:
            job = self._job_tasks.pop(task, None)
            if job is not None:
                self._queue_release(job, JobResult.from_job(job, JobOutcome.cancelled))
        if self._releasing is not None:
            await self._releasing

    async def renew_leases(self, backoff: Backoff) -> None:
        """Renew the claims on running jobs every half lease, as long as they run.

        A job may run longer than ``lease_duration``: without renewal its claim would
        end mid-run, and another scheduler sharing the store would take it back and
        run it a second time (or ``cleanup()`` would call it abandoned).
        """
        store = self.scheduler.data_store
        identity = self.scheduler.identity
        lease = self.scheduler.lease_duration
        while True:
            if not self.running_jobs:
                await self.jobs_taken.wait(None)  # idle: no wake-ups
                continue
            await anyio.sleep(lease.total_seconds() / 2)
            running = set(self.running_jobs)
            if not running:
                continue
            try:
                await store.extend_acquired_job_leases(identity, running, lease)
            except Exception:
                self.logger.exception(
                    "could not renew the claims on running jobs; trying again later"
                )

    async def run_job(self, job: Job) -> None:
        """Run a job in its own task; then queue it to be released."""
        started_at: datetime | None = None
        try:
            func = self.scheduler._functions.get(job.task_id)
            if func is None:
                try:
                    func = await self.scheduler._function_for(job.task_id)
                except (UntrustedReference, TaskFunctionMissing) as error:
                    # A task added since the tasks were last read (by a process
                    # that could not say so): pass its other jobs over from now on,
                    # and hand this one back for a scheduler that may run it.
                    self.tasks.changed()
                    if await self._return(job, error):
                        self._forget_own_task()
                        return
                    raise
            now = utcnow()
            start = job.scheduled_fire_time
            if start is not None:
                if job.jitter:
                    start += job.jitter
                if start > now:
                    await anyio.sleep((start - now).total_seconds())  # the jitter
                    now = utcnow()
            if job.start_deadline is not None and now > job.start_deadline:
                result = JobResult.from_job(job, JobOutcome.missed_start_deadline)
            else:
                scheduler = self.scheduler
                executor = scheduler.job_executors[job.executor]
                started_at = now
                token = scheduler._current_job.set(job)
                output = JobOutput() if scheduler._capture_job_output else None
                try:
                    if output is not None:
                        with output:
                            value = await executor.run_job(func, job)
                    elif type(executor) is AsyncJobExecutor:
                        # What its run_job does, without a coroutine of its own.
                        value = func(*job.args, **job.kwargs)
                        if isawaitable(value):
                            value = await value
                    else:
                        value = await executor.run_job(func, job)
                finally:
                    scheduler._current_job.reset(token)
                    if output is not None:
                        self._outputs[job.id] = output.text()
                result = JobResult.from_job(
                    job, JobOutcome.success, started_at=started_at, return_value=value
                )
        except asyncio.CancelledError:
            # The scheduler stops (stop()); the task ends here, with its record.
            result = JobResult.from_job(
                job, JobOutcome.cancelled, started_at=started_at
            )
        except BaseException as error:
            # KeyboardInterrupt, SystemExit or another BaseException that the *job*
            # raised is its outcome, not the scheduler's end.
            result = JobResult.from_job(
                job,
                JobOutcome.error,
                started_at=started_at,
                exception=error,
                traceback=job_traceback(error),
            )
        self._forget_own_task()
        self._queue_release(job, result)

    def _forget_own_task(self) -> None:
        """Take the running job's task out of ``_job_tasks`` as it ends."""
        self._job_tasks.pop(asyncio.current_task(), None)  # type: ignore[arg-type]

    def _queue_release(self, job: Job, result: JobResult) -> None:
        """Queue a finished job to be released (see _release_queued)."""
        if self.awaited and job.id in self.awaited:
            self.local_results[job.id] = result
        self._releases.append((job, result))
        if self._releasing is None:
            self._releasing = asyncio.get_running_loop().create_task(
                self._release_queued(), name="apsnb job releases"
            )

    async def _return(self, job: Job, why: Exception) -> bool:
        """Hand a claimed job back to the store unrun; return whether it was."""
        try:
            returned = await self.scheduler.data_store.return_jobs(
                self.scheduler.identity, [job.id]
            )
        except Exception:
            self.logger.exception("could not hand job %s back to the store", job.id)
            return False
        if returned:
            self.running_jobs.discard(job.id)
            self.jobs_changed.set()
            # Why is said once per task (see TaskView), not once per job.
            self.logger.info(
                "job %s (task %r) was handed back unrun: %s", job.id, job.task_id, why
            )
        return returned

    async def _release_queued(self) -> None:
        """Release finished jobs; jobs that finish meanwhile go in the same call.

        Group commit: one task releases everything queued until the queue is empty,
        in one store call per round, so a burst of short jobs costs a handful of
        transactions instead of one each. It runs apart from the jobs' tasks, so a
        job cancelled as the scheduler stops still gets released.
        """
        try:
            while self._releases:
                batch, self._releases = self._releases, []
                # These jobs no longer run: their slots may take new jobs while
                # their results are stored (by a store that takes calls side by
                # side, the claim overlaps this release).
                self.storing = len(batch)
                self.jobs_changed.set()
                try:
                    stored = await self._store_releases(batch)
                finally:
                    self.storing = 0
                if stored:
                    await self.scheduler.event_broker.publish_local_all(
                        [self._released(job, result) for job, result in batch]
                    )
                for released, _ in batch:
                    self.running_jobs.discard(released.id)
                self.jobs_changed.set()
        finally:
            self._releasing = None

    async def _store_releases(self, batch: list[tuple[Job, JobResult]]) -> bool:
        """Store finished jobs' results, trying again until the store takes them.

        A full disk or a locked file must not lose a result: the jobs stay running
        (their claims renewed) meanwhile. Only a scheduler that is stopping gives up
        after one more try; the claims then run out and another scheduler records
        the jobs as abandoned.
        """
        backoff = self._release_backoff
        while True:
            try:
                await self.scheduler.data_store.release_jobs(
                    self.scheduler.identity, batch
                )
            except Exception:
                stopping = self.scheduler.state is not RunState.started
                pause = backoff.failed()
                self.logger.exception(
                    "could not store the results of %d finished job(s) (%s); %s",
                    len(batch),
                    ", ".join(str(job.id) for job, _ in batch),
                    "giving up, as the scheduler stops"
                    if stopping
                    else f"trying again in {pause:g} s",
                )
                if stopping:
                    return False
                requested = self.scheduler._stop_requested
                with anyio.move_on_after(pause):
                    if requested is None:
                        await anyio.sleep(pause)
                    else:
                        await requested.wait()  # a stop ends the pause
            else:
                backoff.succeeded()
                return True

    def _released(self, job: Job, result: JobResult) -> JobReleased:
        """The event that announces a released job (and its error, logged)."""
        # (Guarded: a job id costs a Python-level hash per lookup, and few jobs print.)
        captured = bool(self._outputs) and job.id in self._outputs
        output = self._outputs.pop(job.id, None) if captured else None
        event = JobReleased.for_result(
            job, result, self.scheduler.identity, output=output
        )
        if result.outcome is JobOutcome.error:
            # Captured jobs are reported where their output goes (the dashboard):
            # logged below WARNING, they stay out of the notebook's cells.
            self.logger.log(
                logging.INFO if captured else logging.ERROR,
                "job %s (task %r) raised:\n%s", job.id, job.task_id, result.traceback,
            )  # fmt: skip
        return event
