"""What a parent job's service needs of its job: its row, its children, its state and log.

The handler builds it (`ParentJob.of(ctx)`); the service starts the children once, returns
``parent.wait`` while any is still queued or running, and finishes when the last has ended
(the last child to end queues the parent again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cluster.choices import ACTIVE_STATUSES

if TYPE_CHECKING:
    from cluster.jobs.context import JobContext
    from cluster.models import Job


@dataclass(frozen=True)
class ParentJob:
    job: Job
    spawn: Callable[[Iterable[dict]], list]  # create (once) and enqueue one child per spec
    log: Callable[[str], None]
    save_state: Callable[..., None]
    stage: Callable[[int, int, str], None]  # at stage number of count, named
    wait: object  # what the handler returns to wait for its children

    @property
    def params(self) -> dict:
        return self.job.params

    @property
    def state(self) -> dict:
        return self.job.state

    def child_statuses(self) -> list[str]:
        return list(self.job.children.values_list("status", flat=True))

    def children_active(self) -> bool:
        return self.job.children.filter(status__in=ACTIVE_STATUSES).exists()

    @classmethod
    def of(cls, ctx: JobContext) -> ParentJob:
        """The handler's job, as a parent's service sees it."""
        return cls(
            job=ctx.job,
            spawn=ctx.spawn_children,
            log=ctx.log,
            save_state=ctx.save_state,
            stage=ctx.stage,
            wait=ctx.wait_for_children(),
        )
