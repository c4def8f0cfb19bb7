"""Peak memory of the Airflow run with DuckDB limits in the connection extra.

``airflow dags test idu_example`` under ``/usr/bin/time -v`` while a sampler sums the RSS
of the whole process tree every 0.1 s; the connection extra sets ``memory_limit``,
``threads`` and ``temp_directory`` (read by ``DuckDBHook``).

    .venv/bin/python -m bench.memory --sizes 1000000 --repeat 1 --memory-limit 3GB --threads 2
"""

from __future__ import annotations

from typing import Any

from bench.common import base_parser, command_line, median, parse_sizes, table, write_results
from bench.workspace import count_records, dags_test, fresh_copy, source_db

TARGET_BYTES = 4 * 2**30
GIB = 2**30


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "", sizes="1000000", repeat=1)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    rows: list[list[Any]] = []
    results = []
    for people in parse_sizes(args.sizes):
        src = source_db(args.work, people)
        records = count_records(src)
        runs = []
        for r in range(args.repeat):
            base = args.work / "memory" / f"p{people}_r{r}"
            extra = {
                "memory_limit": args.memory_limit,
                "threads": args.threads,
                "temp_directory": str(base / "spill"),
            }
            run = dags_test(
                "idu_example",
                work=args.work,
                db=fresh_copy(src, base / "airflow.duckdb"),
                log=base / "dags_test.log",
                **extra,
            )
            runs.append(
                {"wall": run.wall, "peak_tree_rss": run.peak_tree_rss, "max_rss_time_v": run.max_rss_time_v}
            )
            print(
                f"people={people} r={r}: wall {run.wall:.1f}s peak tree RSS {run.peak_tree_rss / GIB:.2f} GiB"
            )
        peak = max(x["peak_tree_rss"] for x in runs)
        time_v = [x["max_rss_time_v"] for x in runs if x["max_rss_time_v"]]
        ok = " ✅" if peak <= TARGET_BYTES else " ❌"
        rows.append(
            [
                f"{records:,}",
                people,
                len(runs),
                args.memory_limit,
                args.threads,
                median(x["wall"] for x in runs),
                f"{peak / GIB:.2f}{ok}",
                f"{max(time_v) / GIB:.2f}" if time_v else "n/a",
            ]
        )
        results.append({"people": people, "records": records, "runs": runs})
    body = "\n\n".join(
        [
            "Target: peak RSS ≤ 4 GiB at 12M records. `peak tree RSS` = max over 0.1 s samples of the summed "
            "RSS of `airflow dags test` and its children (the reported, conservative figure); `time -v` = "
            "GNU time's maximum RSS of the largest single process.",
            table(
                [
                    "records",
                    "people",
                    "runs",
                    "memory_limit",
                    "threads",
                    "wall s",
                    "peak tree RSS GiB",
                    "time -v max RSS GiB",
                ],
                rows,
            ),
        ]
    )
    print(
        write_results(
            args.out,
            "memory",
            "2. Memory",
            body,
            {
                "results": results,
                "memory_limit": args.memory_limit,
                "threads": args.threads,
                "target_bytes": TARGET_BYTES,
            },
            command=command_line("bench.memory", argv),
        )
    )


if __name__ == "__main__":
    main()
