"""What both factory entry points accept, as one validated value, and the trigger-form templates built from it.

No tasks and no connection: :mod:`airflow_idu.factory` builds a :class:`WorkflowSettings` from its
keyword arguments (validated once, here) and :mod:`airflow_idu.render.phases` renders the tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from airflow.sdk import Param
from airflow.sdk.definitions.param import ParamsDict
from airflow.sdk.exceptions import ParamValidationError

from airflow_idu.lease.model import LeaseSettings
from airflow_idu.operators.base import DEFAULT_CONN_ID
from airflow_idu.params import HEALTH_PARAMS, check_defaults, unification_params
from airflow_idu.runstate.persistent_ids import PersistentIdMode
from airflow_idu.sensors.unify_loop import DEFAULT_MAX_ITERATIONS

__all__ = ["DEFAULT_WRITER_LEASE", "FileErrorPolicy", "ParamTemplates", "WorkflowSettings"]

DEFAULT_WRITER_LEASE = LeaseSettings()
_FIX = "fix the keyword argument of that name"


class FileErrorPolicy(StrEnum):
    """What a failed SQL file does to the rest of the run."""

    STOP = "stop"  # downstream does not run (default)
    # Later phases still run (the replaced script's interactive "continue"); the run ends failed all the same,
    # and nothing runs past a loop or canonicalize that did not succeed.
    CONTINUE = "continue"


@dataclass(frozen=True, kw_only=True)
class WorkflowSettings:
    """The workflow's settings, shared by ``create_unification_dag`` and ``unification_task_group``.

    Validated when built: a wrong value raises ``ValueError`` naming the field and its fix.
    ``on_file_error`` accepts the policy's text (``"continue"``) and holds the :class:`FileErrorPolicy`.
    """

    conn_id: str = DEFAULT_CONN_ID
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    optimize: bool = False
    keep_iterations: int | None = None
    min_coverage: float | None = None
    max_cluster_size: int | None = None
    max_cluster_growth: float | None = None
    max_id_churn: float | None = None
    on_file_error: FileErrorPolicy = FileErrorPolicy.STOP
    resume_loop: bool = True
    sql_root: str | Path | None = None
    deferrable: bool = False
    writer_lease: LeaseSettings | None = DEFAULT_WRITER_LEASE
    persistent_ids: PersistentIdMode = PersistentIdMode.OFF

    def __post_init__(self) -> None:
        object.__setattr__(self, "on_file_error", _policy(self.on_file_error))
        object.__setattr__(self, "persistent_ids", _persistent_id_mode(self.persistent_ids))
        if self.writer_lease is not None and not isinstance(self.writer_lease, LeaseSettings):
            raise ValueError(
                f"writer_lease must be a LeaseSettings or None, got {self.writer_lease!r}; "
                "pass airflow_idu.factory.LeaseSettings(ttl=..., poke_interval=...)"
            )
        if not isinstance(self.conn_id, str) or not self.conn_id:
            raise ValueError(f"conn_id must be a connection id, got {self.conn_id!r}; {_FIX}")
        try:
            check_defaults(ParamsDict(dict(self.params())))
        except ParamValidationError as err:
            raise ValueError(f"{str(err).splitlines()[0]}; {_FIX}") from None

    @classmethod
    def build(cls, where: str, **values: Any) -> WorkflowSettings:
        """The settings from an entry point's keyword arguments; errors start with ``where``."""
        try:
            return cls(**values)
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None

    def params(self) -> dict[str, Param]:
        """The trigger form's params, with these settings as defaults."""
        return unification_params(
            max_iterations=self.max_iterations,
            optimize=self.optimize,
            keep_iterations=self.keep_iterations,
            min_coverage=self.min_coverage,
            max_cluster_size=self.max_cluster_size,
            max_cluster_growth=self.max_cluster_growth,
            max_id_churn=self.max_id_churn,
        )


@dataclass(frozen=True, kw_only=True)
class ParamTemplates:
    """The values tasks read at run time: Jinja templates over the DAG run's params."""

    max_iterations: str
    optimize: str
    keep_iterations: str
    min_coverage: str
    health_limits: dict[str, str]

    @classmethod
    def of_dag(cls) -> ParamTemplates:
        """The DAG owns the params (``create_unification_dag``): read them as they are."""
        return cls(
            max_iterations="{{ params.max_iterations }}",
            optimize="{{ params.optimize }}",
            keep_iterations="{{ params.keep_iterations }}",
            min_coverage="{{ params.min_coverage }}",
            health_limits={name: f"{{{{ params.{name} }}}}" for name in HEALTH_PARAMS},
        )

    @classmethod
    def with_defaults(cls, settings: WorkflowSettings) -> ParamTemplates:
        """A task group in someone else's DAG: the DAG's params win when it defines them."""

        def read(name: str, default: Any) -> str:
            return f"{{{{ params.{name} | default({default}) }}}}"

        return cls(
            max_iterations=read("max_iterations", int(settings.max_iterations)),
            optimize=read("optimize", bool(settings.optimize)),
            keep_iterations=read("keep_iterations", settings.keep_iterations),
            min_coverage=read("min_coverage", settings.min_coverage),
            health_limits={name: read(name, getattr(settings, name)) for name in HEALTH_PARAMS},
        )


def _policy(value: FileErrorPolicy | str) -> FileErrorPolicy:
    try:
        return FileErrorPolicy(value)
    except ValueError:
        raise ValueError(
            f"on_file_error must be one of {[p.value for p in FileErrorPolicy]}, got {value!r}"
        ) from None


def _persistent_id_mode(value: PersistentIdMode | str) -> PersistentIdMode:
    try:
        return PersistentIdMode(value)
    except ValueError:
        raise ValueError(
            f"persistent_ids must be one of {[m.value for m in PersistentIdMode]}, got {value!r}"
        ) from None
