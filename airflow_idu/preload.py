"""Warm task processes: import what an airflow-idu task needs once, in the process that forks them.

On Linux, the LocalExecutor forks its workers from the scheduler and each worker forks a process per
task (the Celery worker forks task processes too). A module imported before those forks is in every
task process for free; a module imported inside a task is paid by every task again. A Databricks SQL
task imports the provider's hook and the connector (pandas, pyarrow, thrift, aiohttp: about 0.4-0.9 s,
more than the statements of most of our tasks); an embedded-engine task imports DuckDB and the Spark
SQL translator.

Switched on by ``[idu] preload_task_modules = True`` (``AIRFLOW__IDU__PRELOAD_TASK_MODULES``) together
with Airflow's ``[core] lazy_load_plugins = False``, which loads plugins, and so this package's plugin,
when an Airflow process starts: the scheduler then imports :data:`TASK_MODULES` before it forks. The
cost moves to the start of each Airflow process that loads plugins (once, not per task) and their
memory is shared copy-on-write by the forks. Off by default: a deployment decides where the memory goes.
"""

from __future__ import annotations

import importlib
import logging
import time
from enum import StrEnum

__all__ = ["CONFIG_KEY", "CONFIG_SECTION", "TASK_MODULES", "ModuleSet", "preload", "preload_if_configured"]

log = logging.getLogger(__name__)

CONFIG_SECTION = "idu"
CONFIG_KEY = "preload_task_modules"


class ModuleSet(StrEnum):
    """Which engine's task modules a deployment preloads."""

    DAGS = "dags"
    DATABRICKS = "databricks"
    DUCKDB = "duckdb"


# What a task imports in ``execute``, by engine (the modules it imports at DAG parse are there already).
TASK_MODULES: dict[ModuleSet, tuple[str, ...]] = {
    ModuleSet.DATABRICKS: (
        "airflow.providers.databricks.hooks.databricks_sql",
        "databricks.sql.client",  # the connector: pandas, pyarrow, aiohttp
        "databricks.sql.backend.thrift_backend",  # imported when a session opens
        "pyarrow.pandas_compat",  # and these when the first result arrives
        "pandas.core.arrays.arrow._arrow_utils",
        "pyarrow.vendored.version",
        "airflow_idu.engines.databricks",
    ),
    ModuleSet.DAGS: (
        # what a task process imports when it parses a factory DAG file, before its task runs
        "airflow_idu.factory",
        "airflow.sdk.bases.sensor",
        "airflow.sdk.definitions.timetables.interval",
        "airflow.sdk.definitions.timetables.trigger",
        "croniter",
        "airflow.timetables.base",  # a DAG's timetable check: core's asset definitions, the providers' assets
    ),
    ModuleSet.DUCKDB: (
        "duckdb",
        "duckdb.func",
        "pyarrow",
        "airflow.providers.duckdb.hooks.duckdb",
        "airflow_idu.engines.duckdb",
        "airflow_idu.engines.duckdb.macros",
        "airflow_idu.engines.duckdb.translate",
        "airflow_idu.engines.duckdb.translation_cache",
        "sqlglot.dialects.duckdb",  # sqlglot loads a dialect when first used
        "sqlglot.dialects.databricks",
    ),
}


def preload(sets: tuple[ModuleSet, ...] = tuple(ModuleSet)) -> list[str]:
    """Import every module of ``sets``; returns the names imported. A module that is not installed
    (the DuckDB provider in a Databricks-only image) is skipped with a warning, never an error: a
    missing module must not stop the scheduler."""
    imported: list[str] = []
    started = time.perf_counter()
    for name in (m for s in sets for m in TASK_MODULES[s]):
        try:
            importlib.import_module(name)
        except ImportError as err:
            log.warning(
                "airflow-idu preload: %s not imported (%s); its tasks import it themselves", name, err
            )
            continue
        imported.append(name)
    if ModuleSet.DAGS in sets:
        _discover_asset_handlers()
        _warm_param_validators()
    log.info(
        "airflow-idu preload: %d task modules imported in %.2f s",
        len(imported),
        time.perf_counter() - started,
    )
    return imported


def _discover_asset_handlers() -> None:
    """The providers' asset URI handlers, which the first ``idu://`` asset of a DAG parse looks up
    (importing every provider's asset module): once here, not in every task process."""
    try:
        from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

        ProvidersManagerTaskRuntime().asset_uri_handlers  # noqa: B018 - the lookup fills its cache
    except Exception:  # an SDK without it: each task process discovers them itself
        log.warning("airflow-idu preload: asset URI handlers not discovered", exc_info=True)


def _warm_param_validators() -> None:
    """The trigger form's schema validators, which every task process's parse of a factory DAG file
    looks up: built once here (``airflow_idu.params.warm_validators``)."""
    try:
        from airflow_idu.params import warm_validators

        warm_validators()
    except Exception:  # never stop the scheduler: each task process builds them itself
        log.warning("airflow-idu preload: trigger-form validators not built", exc_info=True)


def _configured_sets(value: str) -> tuple[ModuleSet, ...]:
    """``True``/``False`` or a comma-separated list of sets (``dags``, ``databricks``, ``duckdb``)."""
    text = value.strip().lower()
    if text in ("", "false", "0", "no", "off"):
        return ()
    if text in ("true", "1", "yes", "on", "all"):
        return tuple(ModuleSet)
    sets = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            sets.append(ModuleSet(part))
        except ValueError:
            raise ValueError(
                f"[{CONFIG_SECTION}] {CONFIG_KEY} = {value!r}: expected true, false or a comma-separated "
                f"list of {', '.join(s.value for s in ModuleSet)}"
            ) from None
    return tuple(sets)


def preload_if_configured() -> list[str]:
    """Preload what ``[idu] preload_task_modules`` names (nothing when unset)."""
    from airflow.configuration import conf

    return (
        preload(sets) if (sets := _configured_sets(conf.get(CONFIG_SECTION, CONFIG_KEY, fallback=""))) else []
    )
