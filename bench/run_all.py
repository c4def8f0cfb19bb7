"""Run every benchmark; ``--smoke`` runs each at its smallest size once (a check that nothing rotted).

.venv/bin/python -m bench.run_all            # full sizes (long: the 12M-record runs take minutes each)
.venv/bin/python -m bench.run_all --smoke --out /tmp/bench-smoke
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from bench import (
    loop,
    memory,
    overhead,
    parse,
    roundtrips,
    scheduler_idle,
    scheduler_overhead,
    speed,
    warehouse_e2e,
)
from bench.common import DEFAULT_OUT, DEFAULT_WORK

Main = Callable[[list[str] | None], None]

FULL: list[tuple[str, Main, list[str]]] = [
    ("parse", parse.main, ["--sizes", "20,200,2000", "--repeat", "5"]),
    ("roundtrips", roundtrips.main, ["--sizes", "300"]),
    ("loop", loop.main, ["--sizes", "10,100,1000,10000", "--demo-people", "100000", "--repeat", "3"]),
    ("overhead", overhead.main, ["--sizes", "10000,100000,1000000", "--repeat", "3"]),
    ("memory", memory.main, ["--sizes", "1000000", "--repeat", "3"]),
    # the incremental loop and the end-to-end comparison (about 25 minutes more); not in SMOKE:
    # each is several `airflow dags test` runs
    ("speed_loop", speed.main, ["loop", "--people", "100000", "--chains", "30", "--repeat", "3"]),
    ("speed_e2e", speed.main, ["e2e", "--sizes", "10000,100000", "--repeat", "3"]),
    ("speed_memory", speed.main, ["memory", "--people", "1000000", "--repeat", "1"]),
    ("scheduler_overhead", scheduler_overhead.main, ["--sizes", "10000,100000", "--repeat", "2"]),
    ("scheduler_idle", scheduler_idle.main, ["--idle-sleeps", "1,0.25,0.1", "--repeat", "3"]),
    # the script and our DAG on the local warehouse at 0/100 ms, then 500 ms (about 70 minutes on a loaded machine)
    ("warehouse_e2e", warehouse_e2e.main, ["--clusters", "27000", "--latencies", "0,100", "--repeat", "3"]),
    (
        "warehouse_e2e_500",
        warehouse_e2e.main,
        [
            "--clusters",
            "27000",
            "--latencies",
            "500",
            "--repeat",
            "3",
            "--section",
            "_500",
            "--variants",
            "script/published,dag/published,dag/ours-incremental",
        ],
    ),
]
SMOKE: list[tuple[str, Main, list[str]]] = [
    ("parse", parse.main, ["--sizes", "20", "--repeat", "1"]),
    ("roundtrips", roundtrips.main, ["--sizes", "300", "--optimize", "off"]),
    ("loop", loop.main, ["--sizes", "10", "--demo-people", "0", "--repeat", "1"]),
    ("overhead", overhead.main, ["--sizes", "500", "--repeat", "1"]),
    ("memory", memory.main, ["--sizes", "500", "--repeat", "1"]),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="smallest sizes, one run each")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    args = parser.parse_args(argv)
    only = {n for n in args.only.split(",") if n}
    for name, fn, bench_args in SMOKE if args.smoke else FULL:
        if only and name not in only:
            continue
        started = time.perf_counter()
        fn([*bench_args, "--out", str(args.out), "--work", str(args.work)])
        print(f"== {name}: {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
