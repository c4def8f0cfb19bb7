"""airflow-idu: a thin command line over plan, generate, demo data and run summaries."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]


# Plain text: argparse prints it as is (no reStructuredText markup in --help).
DESCRIPTION = (
    "Identity unification on Airflow: plan a SQL directory, generate one from a unify.yml, create demo "
    "data, summarise a run, explain why identifiers were joined, or serve a local SQL warehouse."
)


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    # CliError, PlanError, UnifyConfigError, missing files: the problem and the fix, one line.
    except (CliError, ValueError, OSError) as err:
        print(f"airflow-idu {args.command}: error: {err}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="airflow-idu", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_plan_command(sub)
    _add_generate_command(sub)
    _add_demo_data_command(sub)
    _add_summary_command(sub)
    _add_explain_command(sub)
    _add_warehouse_command(sub)
    return parser


def _add_plan_command(sub: Any) -> None:
    plan = sub.add_parser(
        "plan",
        help="print the execution plan of a SQL directory",
        description="Print the phases, files and dependencies the DAG runs for a SQL directory, and "
        "the tasks the DAG adds besides the files.",
    )
    plan.add_argument("sql_dir", type=Path, help="the generated SQL directory (01_create_graph.sql …)")
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    plan.set_defaults(func=_plan)


def _add_generate_command(sub: Any) -> None:
    gen = sub.add_parser(
        "generate",
        help="write a Databricks SQL directory from a unify.yml",
        description="Write the Databricks SQL directory for a unify.yml (keys, source tables, canonical "
        "id, master tables).",
    )
    gen.add_argument("unify_yml", type=Path, help="the unify.yml to generate from")
    gen.add_argument("--catalog", required=True, help="catalog of the tables the workflow writes")
    gen.add_argument("--schema", required=True, help="schema of the tables the workflow writes")
    gen.add_argument("--source-catalog", help="catalog of the source tables (default: --catalog)")
    gen.add_argument("--source-schema", help="schema of the source tables (default: --schema)")
    gen.add_argument("-o", "--output", type=Path, required=True, help="directory to write the SQL files to")
    gen.add_argument(
        "--loop",
        choices=["full", "incremental"],
        default="incremental",
        help="unify loop: 'incremental' recomputes only around changed identifiers (default); 'full' "
        "rewrites the graph every iteration (same output tables; docs/sql-directory-contract.md)",
    )
    gen.add_argument(
        "--incremental",
        action="store_true",
        help="write an incremental-capable directory: scheduled runs read only rows newer than the last "
        "watermark minus a look-back (also on with an `incremental:` section in unify.yml; "
        "docs/incremental-runs.md)",
    )
    gen.set_defaults(func=_generate)


def _add_demo_data_command(sub: Any) -> None:
    demo = sub.add_parser(
        "demo-data",
        help="create the example source tables in a DuckDB file",
        description="Create (replace) the four example source tables in a DuckDB file: people with "
        "several emails, phones and customer ids, invalid values and long chains.",
    )
    demo.add_argument("--database", type=Path, required=True, help="DuckDB file (created if missing)")
    demo.add_argument(
        "--schema", default="customer_db", help="schema of the source tables (default: %(default)s)"
    )
    demo.add_argument("--people", type=int, default=1000, help="people to plant (default: %(default)s)")
    demo.add_argument(
        "--seed", type=int, default=42, help="random seed; same seed, same data (default: %(default)s)"
    )
    demo.set_defaults(func=_demo_data)


def _add_summary_command(sub: Any) -> None:
    summary = sub.add_parser(
        "summary",
        help="print what the last run wrote to a DuckDB file",
        description="Print a run's state, its failed tasks with their first error line, its loop "
        "iterations and the row counts of the tables in the file, saying when those rows are not that "
        "run's. With --dag-id the run is read from Airflow's metadata DB; without, from the file alone.",
    )
    summary.add_argument("--database", type=Path, required=True, help="the DuckDB file the DAG wrote to")
    summary.add_argument("--schema", required=True, help="schema the DAG wrote to (the SQL directory's)")
    summary.add_argument("--canonical-id", required=True, help="canonical id name, e.g. unified_customer_id")
    summary.add_argument(
        "--dag-id",
        help="read the run's state and failed tasks from Airflow's metadata DB (AIRFLOW_HOME) and show "
        "only that run's iterations",
    )
    summary.add_argument("--run-id", help="with --dag-id: this run instead of the one that started last")
    summary.set_defaults(func=_summary)


def _add_explain_command(sub: Any) -> None:
    explain = sub.add_parser(
        "explain",
        help="why two identifiers share a canonical id (the chain of source links), or one identifier's cluster",
        description="With two identifiers: the shortest chain of source records that joined them into one "
        "canonical id, or that they are in different clusters. With one: its canonical id, the size of "
        "its cluster per key type and the identifiers whose removal would split it. Reads the tables the "
        "last run wrote, through an Airflow connection. Exit status 0 with an answer, 1 when an "
        "identifier is not in the graph or the tables cannot be read, 2 for bad arguments.",
    )
    explain.add_argument(
        "sql_dir", type=Path, help="the SQL directory (names the tables, catalog and schema)"
    )
    explain.add_argument(
        "id_a", help="an identifier value, or KEY:VALUE (e.g. email:a@b.com, ns3:5550000000)"
    )
    explain.add_argument("id_b", nargs="?", help="a second identifier: show the chain that joins them")
    explain.add_argument("--conn", required=True, help="Airflow connection id (e.g. from AIRFLOW_CONN_<ID>)")
    explain.add_argument(
        "--max-identifiers", type=int, default=None, help="skip the search above this cluster size"
    )
    explain.add_argument("--json", action="store_true", help="machine-readable output")
    explain.set_defaults(func=_explain)


def _add_warehouse_command(sub: Any) -> None:
    warehouse = sub.add_parser("warehouse", help="a local Databricks SQL warehouse on a DuckDB file")
    warehouse_sub = warehouse.add_subparsers(dest="warehouse_command", required=True)
    serve = warehouse_sub.add_parser(
        "serve", help="serve Thrift (the SQL connector's protocol) and REST; print the Airflow connection"
    )
    serve.add_argument("--database", type=Path, required=True, help="DuckDB file (created if missing)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    serve.add_argument("--token", help="Bearer token clients must send (default: a random one)")
    serve.add_argument(
        "--connection-host", help="host name clients use, if not --host (e.g. a compose service name)"
    )
    for kind, what in (
        ("statement", "statement, before it runs"),
        ("fetch", "result page fetched separately"),
    ):
        serve.add_argument(
            f"--{kind}-latency-ms", type=float, default=0.0, help=f"added latency per {what} (default 0)"
        )
    serve.set_defaults(func=_warehouse_serve)


def _plan(args: argparse.Namespace) -> int:
    from airflow_idu.plan import read_plan

    plan = read_plan(args.sql_dir)
    tasks = _dag_tasks(args.sql_dir)
    extra = _extra_tasks(plan, tasks)
    if args.json:
        print(json.dumps({**plan.to_dict(), "tasks": tasks, "extra_tasks": extra}, indent=2))
        return 0
    from airflow_idu.plan.render import DEFAULT_WIDTH, plan_table, use_colour, wrap_waits

    upstream = {task["task_id"]: task["upstream"] for task in tasks}
    print(plan_table(plan, upstream, colour=use_colour(sys.stdout)))
    if extra:
        width = max(len(t["task_id"]) for t in extra)
        indent = 2 + width + 2 + len("waits for ")
        print("\nTasks besides the files:")
        for task in extra:
            waits = wrap_waits(task["upstream"], indent=indent, width=DEFAULT_WIDTH)
            print(f"  {task['task_id']:<{width}}  waits for {waits}")
    return 0


def _dag_tasks(sql_dir: Path) -> list[dict[str, Any]]:
    """Every task of the DAG the factory builds for ``sql_dir`` (the object ``airflow dags test`` runs),
    in DAG order, with its upstream task ids: the plan's dependencies are read, not re-derived."""
    from airflow_idu.factory import create_unification_dag

    dag = create_unification_dag("airflow_idu_plan", sql_dir)
    return [
        {"task_id": task.task_id, "upstream": sorted(task.upstream_task_ids)}
        for task in dag.topological_sort()
    ]


def _extra_tasks(plan: Any, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tasks of the DAG that run no file of the directory (restore_loop_final, drop_old_loop_tables,
    report …)."""
    from airflow_idu.plan.render import LOOP_ROW_TASK_ID

    files = {f"{phase.name}.{f.task_id}" for phase in plan.phases for f in phase.files}
    files.add(LOOP_ROW_TASK_ID)  # the loop row of the table
    return [task for task in tasks if task["task_id"] not in files]


def _generate(args: argparse.Namespace) -> int:
    from airflow_idu.generate.config import load_unify_config
    from airflow_idu.generate.sql import LoopAlgorithm, generate_sql_directory

    written = generate_sql_directory(
        load_unify_config(args.unify_yml),
        catalog=args.catalog,
        schema=args.schema,
        source_catalog=args.source_catalog,
        source_schema=args.source_schema,
        out_dir=args.output,
        loop=LoopAlgorithm(args.loop),
        incremental=args.incremental,
    )
    print(f"wrote {len(written)} files to {args.output}")
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    import duckdb

    from airflow_idu.demo.data import create_demo_data

    if not args.database.parent.is_dir():
        raise CliError(
            f"directory {args.database.parent} does not exist; create it or choose another --database"
        )
    try:
        summary = create_demo_data(args.database, schema=args.schema, people=args.people, seed=args.seed)
    except duckdb.Error as err:
        raise CliError(f"cannot write {args.database}: {_first_line(err)}") from None
    print(f"created {summary.total_records:,} source records for {args.people:,} people in {args.database}")
    return 0


def _summary(args: argparse.Namespace) -> int:
    import duckdb

    from airflow_idu.demo.summary import read_summary
    from airflow_idu.plan.contract import TableNames

    if not args.database.is_file():
        raise CliError(
            f"{args.database} does not exist; run the DAG first (make demo) or point --database at its file"
        )
    run = _airflow_run(args.dag_id, args.run_id) if args.dag_id else None
    try:
        summary = read_summary(args.database, schema=args.schema, canonical_id=args.canonical_id, run=run)
    except duckdb.CatalogException:
        raise CliError(
            f"{args.database} has no run of {args.canonical_id!r} in schema {args.schema!r} (no table "
            f"{TableNames(prefix=args.canonical_id, schema=args.schema).loop_log}); schemas in the file: "
            f"{', '.join(_schemas(args.database)) or 'none'}. Check --schema and --canonical-id"
        ) from None
    except duckdb.Error as err:
        raise CliError(f"cannot read {args.database}: {_first_line(err)}") from None
    print(summary.to_text())
    return 0


def _airflow_run(dag_id: str, run_id: str | None) -> Any:
    """The run as Airflow's metadata DB holds it (the Identity report tab reads the same)."""
    from airflow.utils.session import create_session

    from airflow_idu.ui.collect import latest_run_id, load_run

    with create_session() as session:
        run_id = run_id or latest_run_id(session, dag_id)
        run = load_run(session, dag_id, run_id) if run_id else None
    if run is None:
        raise CliError(
            f"Airflow has no run {run_id!r} of DAG {dag_id!r}; check --dag-id/--run-id and AIRFLOW_HOME"
            if run_id
            else f"Airflow has no run of DAG {dag_id!r}; check --dag-id and AIRFLOW_HOME"
        )
    return run


def _explain(args: argparse.Namespace) -> int:
    from airflow.sdk.exceptions import AirflowException

    from airflow_idu.engines import open_engine
    from airflow_idu.engines.base import StatementError
    from airflow_idu.health import HealthTables
    from airflow_idu.health.explain import DEFAULT_MAX_IDENTIFIERS, explain, render_text
    from airflow_idu.plan import read_plan

    plan = read_plan(args.sql_dir)
    tables = HealthTables(prefix=plan.canonical_id, catalog=plan.catalog, schema=plan.schema)
    cap = args.max_identifiers or DEFAULT_MAX_IDENTIFIERS
    # Hook and driver log lines go to stderr: stdout carries only the answer (e.g. for --json).
    with contextlib.redirect_stdout(sys.stderr):
        try:
            engine = open_engine(args.conn, catalog=plan.catalog, schema=plan.schema)
        except AirflowException as err:  # no such connection
            print(f"airflow-idu explain: error: {err}", file=sys.stderr)
            return 1
        try:
            answer = explain(
                engine,
                tables,
                args.id_a,
                args.id_b,
                max_identifiers=cap,
                incremental=plan.incremental is not None,
            )
        except StatementError as err:
            print(f"airflow-idu explain: error: {err}", file=sys.stderr)
            return 1
        finally:
            engine.close()
    print(json.dumps(answer, indent=2) if args.json else render_text(answer))
    return 1 if answer.get("unknown") else 0  # an identifier that is not in the graph


def _warehouse_serve(args: argparse.Namespace) -> int:
    from airflow_idu.warehouse.cli import serve

    return serve(
        database=args.database,
        host=args.host,
        port=args.port,
        token=args.token,
        connection_host=args.connection_host,
        statement_latency_ms=args.statement_latency_ms,
        fetch_latency_ms=args.fetch_latency_ms,
    )


def _schemas(database: Path) -> list[str]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT schema_name FROM information_schema.schemata "
            "WHERE schema_name NOT IN ('information_schema', 'pg_catalog', 'main') ORDER BY 1"
        ).fetchall()
    return [name for (name,) in rows]


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


if __name__ == "__main__":
    raise SystemExit(main())
