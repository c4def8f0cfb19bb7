"""``airflow-idu``: a thin command line over plan, generate, demo data and run summaries."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError) as err:  # PlanError, UnifyConfigError, missing files: problem + fix
        print(f"airflow-idu {args.command}: error: {err}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="airflow-idu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    plan = sub.add_parser("plan", help="print the execution plan of a SQL directory")
    plan.add_argument("sql_dir", type=Path)
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    plan.set_defaults(func=_plan)

    gen = sub.add_parser("generate", help="write a Databricks SQL directory from a unify.yml")
    gen.add_argument("unify_yml", type=Path)
    gen.add_argument("--catalog", required=True)
    gen.add_argument("--schema", required=True)
    gen.add_argument("--source-catalog")
    gen.add_argument("--source-schema")
    gen.add_argument("-o", "--output", type=Path, required=True)
    gen.set_defaults(func=_generate)

    demo = sub.add_parser("demo-data", help="create the example source tables in a DuckDB file")
    demo.add_argument("--database", type=Path, required=True)
    demo.add_argument("--schema", default="customer_db")
    demo.add_argument("--people", type=int, default=1000)
    demo.add_argument("--seed", type=int, default=42)
    demo.set_defaults(func=_demo_data)

    summary = sub.add_parser("summary", help="print what the last run wrote to a DuckDB file")
    summary.add_argument("--database", type=Path, required=True)
    summary.add_argument("--schema", required=True)
    summary.add_argument("--canonical-id", required=True)
    summary.set_defaults(func=_summary)

    explain = sub.add_parser(
        "explain",
        help="why two identifiers share a canonical id (the chain of source links), or one identifier's cluster",
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
    serve.set_defaults(func=_warehouse_serve)
    return parser


def _plan(args: argparse.Namespace) -> int:
    from airflow_idu.plan import read_plan

    plan = read_plan(args.sql_dir)
    if args.json:
        print(json.dumps(plan.to_dict(), indent=2))
        return 0
    from airflow_idu.plan.render import plan_table, use_colour

    print(plan_table(plan, colour=use_colour(sys.stdout)))
    return 0


def _generate(args: argparse.Namespace) -> int:
    from airflow_idu.generate.config import load_unify_config
    from airflow_idu.generate.sql import generate_sql_directory

    written = generate_sql_directory(
        load_unify_config(args.unify_yml),
        catalog=args.catalog,
        schema=args.schema,
        source_catalog=args.source_catalog,
        source_schema=args.source_schema,
        out_dir=args.output,
    )
    print(f"wrote {len(written)} files to {args.output}")
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from airflow_idu.demo.data import create_demo_data

    summary = create_demo_data(args.database, schema=args.schema, people=args.people, seed=args.seed)
    print(f"created {summary.total_records:,} source records for {args.people:,} people in {args.database}")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from airflow_idu.summary import read_summary

    print(read_summary(args.database, schema=args.schema, canonical_id=args.canonical_id).to_text())
    return 0


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
            answer = explain(engine, tables, args.id_a, args.id_b, max_identifiers=cap)
        except StatementError as err:
            print(f"airflow-idu explain: error: {err}", file=sys.stderr)
            return 1
        finally:
            engine.close()
    print(json.dumps(answer, indent=2) if args.json else render_text(answer))
    return 0
def _warehouse_serve(args: argparse.Namespace) -> int:
    from airflow_idu.warehouse.cli import serve

    return serve(
        database=args.database,
        host=args.host,
        port=args.port,
        token=args.token,
        connection_host=args.connection_host,
    )


if __name__ == "__main__":
    raise SystemExit(main())
