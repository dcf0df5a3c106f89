"""Turning a project and an output path into a queued job: collisions settled up front."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simvid_desktop.errors import OutputError
from simvid_desktop.jobs.model import Job, new_job_id
from simvid_desktop.jobs.store import Store
from simvid_desktop.model.project import Project
from simvid_desktop.model.project_io import project_to_dict
from simvid_desktop.model.settings import CollisionPolicy, Settings, numbered_names
from simvid_desktop.paths import data_dir


def free_output(store: Store, output: Path, policy: CollisionPolicy) -> Path:
    """An output path that no file and no active job uses, per the collision policy.

    Raises:
        OutputError: the path is taken and the policy is to refuse.
    """
    def taken(p: Path) -> bool:
        return p.exists() or store.active_output(str(p)) is not None

    if not taken(output):
        return output
    if policy is CollisionPolicy.REFUSE:
        reason = "already exists" if output.exists() else "another job is already writing it"
        raise OutputError(output, f"{reason} (the collision setting is 'refuse')")
    return next(candidate for candidate in numbered_names(output) if not taken(candidate))


def work_dir_for(job_id: str) -> Path:
    return data_dir() / "work" / job_id


def submit(store: Store, project: Project, output: Path, settings: Settings, *,
           priority: int = 0, name: str | None = None, backend: str | None = None,
           extra: dict[str, Any] | None = None) -> Job:
    """Queue a snapshot of ``project`` (validate it first: see ``render.preflight``).

    ``backend`` None: the render farm when the settings name one, else this computer.
    """
    if backend is None:
        backend = "farm" if settings.farm_url else "local"
        if backend == "farm":
            extra = {"split": settings.farm_split, "farm_url": settings.farm_url,
                     **(extra or {})}
    output = free_output(store, output.expanduser().resolve(), settings.collision)
    job_id = new_job_id()
    job = Job(
        id=job_id,
        name=name or output.stem,
        project=project_to_dict(project),  # absolute paths: a copy the window can't change
        output=str(output),
        priority=priority,
        max_retries=max(0, settings.retries),
        message="Queued",
        backend=backend,
        work_dir=str(work_dir_for(job_id)),
        segment_seconds=settings.segment_seconds,
        duration=project.total_duration,
        extra=extra or {},
        collision=settings.collision,
    )
    return store.add(job)
