"""Shared benchmark plumbing: arguments, medians, machine info, result files and the doc.

Every benchmark writes ``<out>/bench/<name>.json`` (raw numbers) and replaces its own
generated block in ``<out>/benchmarks.md`` (between ``<!-- bench:<name>:begin -->`` and
``<!-- bench:<name>:end -->``). Everything outside those markers is hand-written and kept.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "docs"
DEFAULT_WORK = Path(os.environ.get("IDU_BENCH_WORK", "/tmp/idu-bench"))
PYTHON = Path(sys.executable)
PACKAGES = (
    "apache-airflow",
    "apache-airflow-task-sdk",
    "apache-airflow-providers-duckdb",
    "apache-airflow-providers-databricks",
    "duckdb",
    "sqlglot",
    "airflow-idu",
)
DOC_HEADER = """# Benchmarks

Generated tables come from `bench/` (see each section's command); the text outside the
`<!-- bench:... -->` markers is hand-written analysis and is never overwritten.
Run everything with `.venv/bin/python -m bench.run_all` (or `--smoke` for a quick check).
"""


def base_parser(description: str, *, sizes: str, repeat: int = 3) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", default=sizes, help="comma-separated sizes (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=repeat, help="runs per size; the median is reported")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="docs dir (benchmarks.md, bench/)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="scratch dir for databases/logs")
    return parser


@functools.cache
def compile_package() -> None:
    """Write the package's bytecode, as pip does when it installs the wheel (once per benchmark
    process). Without it, a shell with ``PYTHONDONTWRITEBYTECODE`` set (this machine's) compiles
    every airflow_idu module from source in every measured process: about 20 ms per DAG parse or
    task process."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "airflow_idu"), str(REPO / "dags")], check=True
    )


def parse_sizes(text: str) -> list[int]:
    return [int(s.replace("_", "")) for s in text.split(",") if s.strip()]


def median(values: Iterable[float]) -> float:
    data = list(values)
    return statistics.median(data) if data else float("nan")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def command_line(module: str, argv: Sequence[str] | None) -> str:
    """The command that produced the results, as typed from the repo root."""
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join([".venv/bin/python", "-m", module, *map(shlex.quote, args)])


def machine_info() -> dict[str, Any]:
    def sh(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "n/a"

    mem = sh("free", "-b").splitlines()
    total = int(mem[1].split()[1]) if len(mem) > 1 and mem[1].split()[1:] else 0
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "n/a"
    return {
        "nproc": sh("nproc"),
        "memory_total_gib": round(total / 2**30, 1),
        "platform": platform.platform(),
        "loadavg_at_write": os.getloadavg(),
        "python": platform.python_version(),
        "versions": versions,
    }


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(out: Path, name: str, title: str, body: str, data: dict[str, Any], *, command: str) -> Path:
    """Write ``bench/<name>.json`` and replace the generated block ``name`` in ``benchmarks.md``."""
    info = machine_info()
    payload = {"name": name, "command": command, "machine": info, "written_at": time.time(), **data}
    (out / "bench").mkdir(parents=True, exist_ok=True)
    (out / "bench" / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    block = "\n".join(
        [
            f"## {title}",
            "",
            f"Command: `{payload['command']}`  ",
            f"Machine: {info['nproc']} cores (nproc), {info['memory_total_gib']} GiB RAM (free), {info['platform']}, "
            f"Python {info['python']}  ",
            f"Versions: {versions}  ",
            f"Load average when written: {', '.join(f'{x:.2f}' for x in info['loadavg_at_write'])} "
            "(other work on the machine inflates timings; see the analysis).",
            "",
            body.strip(),
            "",
        ]
    )
    update_doc(out / "benchmarks.md", name, block)
    return out / "bench" / f"{name}.json"


def update_doc(doc: Path, name: str, block: str) -> None:
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    text = doc.read_text() if doc.exists() else DOC_HEADER
    new = f"{begin}\n{block}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: new, text) if pattern.search(text) else text.rstrip() + f"\n\n{new}\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
