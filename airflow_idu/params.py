"""The trigger form's params of a unification DAG, validated by Airflow before a run is created.

Plain definitions: no tasks, no connection (``factory.py`` attaches them to the DAG).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from airflow.sdk import Param
from airflow.sdk.definitions._internal.types import is_arg_set
from airflow.sdk.definitions.param import ParamsDict
from airflow.sdk.exceptions import ParamValidationError

from airflow_idu.plan.contract import FULL_REFRESH_PARAM

__all__ = [
    "HEALTH_PARAMS",
    "check_defaults",
    "full_refresh_param",
    "unification_params",
    "validated_params",
    "warm_validators",
]

# The identity-health gate's limits, in the order the form shows them.
HEALTH_PARAMS = ("max_cluster_size", "max_cluster_growth", "max_id_churn")


def _bounds(minimum: float, maximum: float | None) -> dict[str, Any]:
    """A range the trigger form checks instead of clamping: its number field clamps to a top-level
    ``minimum``/``maximum`` (0 silently became 1), while Airflow validates the nested schema when a
    run is created (form, REST API, CLI) and refuses it, naming the param."""
    bounds: dict[str, float] = {"minimum": minimum}
    if maximum is not None:
        bounds["maximum"] = maximum
    return {"allOf": [bounds]}


def unification_params(
    *,
    max_iterations: int,
    optimize: bool,
    keep_iterations: int | None = None,
    min_coverage: float | None = None,
    max_cluster_size: int | None = None,
    max_cluster_growth: float | None = None,
    max_id_churn: float | None = None,
) -> dict[str, Param]:
    """Params of the trigger form, validated by Airflow before a run is created."""
    return {
        "max_iterations": Param(
            max_iterations,
            type="integer",
            **_bounds(1, 1000),
            title="Max loop iterations",
            description="Hard limit of unify loop iterations; the run fails if the graph has not "
            "converged by then (nothing downstream is published).",
        ),
        "optimize": Param(
            optimize,
            type="boolean",
            title="OPTIMIZE loop tables",
            description="Run Delta OPTIMIZE on each loop iteration table (Databricks only; a no-op on DuckDB).",
        ),
        "keep_iterations": Param(
            keep_iterations,
            type=["null", "integer"],
            **_bounds(1, None),
            title="Loop tables to keep",
            description="After canonicalize, drop intermediate loop tables and keep the last N "
            "(empty keeps all).",
        ),
        "min_coverage": Param(
            min_coverage,
            type=["null", "number"],
            **_bounds(0, 1),
            title="Minimum coverage",
            description="Fail the report task when an enriched table has a smaller share of rows "
            "with a canonical id (0..1; empty: no check). Checked by the report, after enrichment.",
        ),
        **_health_params(max_cluster_size, max_cluster_growth, max_id_churn),
    }


def _health_params(
    max_cluster_size: int | None, max_cluster_growth: float | None, max_id_churn: float | None
) -> dict[str, Param]:
    """The identity-health gate's limits (``gate.identity_health``, before anything is published)."""
    return {
        "max_cluster_size": Param(
            max_cluster_size,
            type=["null", "integer"],
            **_bounds(1, None),
            title="Max cluster size",
            description="Refuse the run's result when a canonical id holds more identifiers than this "
            "(a junk key glued people together); the previous result stays published. Empty: no check.",
        ),
        "max_cluster_growth": Param(
            max_cluster_growth,
            type=["null", "number"],
            **_bounds(1, None),
            title="Max cluster growth",
            description="Refuse the result when the largest cluster grew by more than this factor "
            "against the previous run's (2 = may double). A first run passes. Empty: no check.",
        ),
        "max_id_churn": Param(
            max_id_churn,
            type=["null", "number"],
            **_bounds(0, 1),
            title="Max id churn",
            description="Refuse the result when a larger share of identifiers changed canonical id "
            "than this (0..1). A first run passes. Empty: no check.",
        ),
    }


def full_refresh_param() -> Param:
    """The trigger form's ``full_refresh``, which only an incremental-capable directory's DAG has."""
    return Param(
        False,
        type="boolean",
        title="Full refresh",
        description="Read every source row and rebuild the graph, instead of only rows newer than the "
        "watermarks minus the look-back. Needed after deleted or corrected source rows; automatic "
        "on the first run and when the SQL directory changed.",
    )


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    """A validator per distinct schema, the schema itself checked once. ``jsonschema.validate`` (what
    ``ParamsDict.validate`` calls) checks the schema against its meta-schema on every call: most of
    a factory DAG's parse time, paid again by every task process that parses the file."""
    from jsonschema import FormatChecker
    from jsonschema.validators import validator_for

    schema = json.loads(schema_json)
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=FormatChecker())


def check_defaults(params: ParamsDict) -> None:
    """``params.validate()`` with a cached validator per schema: the same verdicts and messages
    (``Invalid input for param <name>: ...``), without re-checking each schema on every parse."""
    from jsonschema.exceptions import best_match

    for name in params:
        param = params.get_param(name)
        try:
            schema_json = json.dumps(param.schema, sort_keys=True)
        except TypeError:  # a schema JSON cannot hold: Airflow's own path
            ParamsDict({name: param}).validate()
            continue
        if not is_arg_set(param.value):
            raise ParamValidationError(
                f"Invalid input for param {name}: No value passed and Param has no default value"
            )
        error = best_match(_validator(schema_json).iter_errors(param.value))
        if error is not None:
            raise ParamValidationError(f"Invalid input for param {name}: {error}")


def warm_validators() -> int:
    """Build the validator of every schema of the trigger form, in the process that forks the task
    processes (``airflow_idu.preload``): each task process parses its DAG file, and checking the
    schemas against the meta-schema is most of that parse's first call (15-25 ms). A schema does not
    hold its param's default, so any valid values build the validators a DAG's own params look up.
    Returns how many validators the process holds."""
    form = {
        **unification_params(max_iterations=1, optimize=False),
        FULL_REFRESH_PARAM: full_refresh_param(),
    }
    check_defaults(ParamsDict(form))
    return _validator.cache_info().currsize


def validated_params(dag_id: str, params: Mapping[str, Any]) -> ParamsDict:
    """The trigger form's params; a bad default (``max_iterations=-1``) fails the import, not every trigger."""
    dag_params = ParamsDict(dict(params))
    try:
        check_defaults(dag_params)
    except ParamValidationError as err:
        first_line = str(err).splitlines()[0]
        raise ValueError(
            f"create_unification_dag({dag_id!r}): {first_line}; fix the keyword argument of that name"
        ) from None
    return dag_params
