"""One local Spark session for the whole pytest run (tests/spark and tests/fidelity share it).

Starting a JVM costs ~10 s and a few hundred MB, so the session is session-scoped and
registered as a plugin by ``tests/conftest.py``. It runs like a Databricks SQL warehouse:
ANSI mode on and the session time zone UTC. Tests that flip a setting restore it.
At shutdown py4j's logger is silenced before the gateway closes: otherwise its
shutdown messages hit pytest's already-closed capture stream and print a
``--- Logging error --- ValueError: I/O operation on closed file`` traceback.

With ``IDU_SPARK_SIDE=connect`` the same fixture is a Spark Connect session on the test session's
one local Spark Connect server (``tests/spark_connect_server.py``), so every suite that compares
with Spark can take the ``spark_connect`` engine's server as its Spark side (``make
fidelity-spark-connect``). Classic is the default: a JVM in process starts faster.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["SPARK_SIDE", "spark", "spark_skip_reason"]

SPARK_SIDES = ("classic", "connect")
SPARK_SIDE = os.environ.get("IDU_SPARK_SIDE", "classic")
if SPARK_SIDE not in SPARK_SIDES:
    raise ValueError(f"IDU_SPARK_SIDE={SPARK_SIDE!r}: use one of {', '.join(SPARK_SIDES)}")


def spark_skip_reason() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (java on PATH or JAVA_HOME) for local Spark"
    return None


@pytest.fixture(scope="session")
def spark(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = spark_skip_reason()
    if reason:
        pytest.skip(reason)
    if SPARK_SIDE == "connect":
        yield from _connect_session(request.getfixturevalue("spark_connect_server").url)
        return
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("idu-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.memory", "1g")
        .config("spark.sql.ansi.enabled", "true")  # Databricks SQL warehouses' default
        .config("spark.sql.session.timeZone", "UTC")  # Databricks' default; the embedded engine's too
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("FATAL")
    # pyspark logs every failed query's JSON stack trace; the fidelity harness expects failures
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    try:
        yield session
    finally:
        _quiet_py4j()
        session.stop()


def _connect_session(url: str) -> Iterator[Any]:
    """A session on the shared server, whose settings match the classic session's (ANSI, UTC)."""
    from pyspark.sql.connect.session import SparkSession

    session = SparkSession.builder.remote(url).create()
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    try:
        yield session
    finally:
        session.stop()


def _quiet_py4j() -> None:
    """py4j logs from its gateway threads while the interpreter shuts down; drop those records."""
    for name in ("py4j", "py4j.clientserver", "py4j.java_gateway"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
        logger.setLevel(logging.CRITICAL + 1)
