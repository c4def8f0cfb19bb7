"""One local Spark Connect server for the whole pytest run, in its own JVM on a free 127.0.0.1 port.

A separate process (pyspark's ``spark-submit`` of ``SparkConnectServer``), not the in-process
``remote("local")`` server: tests stop and restart it (the server gone mid-loop), and it does not
share a JVM with the classic session of ``tests/spark_session.py``. The catalog is Hive's
(an embedded Derby metastore in the run's temp directory), so tables outlive a restart like they
outlive a cluster restart. Settings as a Databricks SQL warehouse: ANSI on, time zone UTC.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.spark_session import spark_skip_reason

__all__ = ["LocalSparkConnect", "spark_connect_server"]

START_TIMEOUT = 240.0  # seconds; a JVM start on a loaded 2-core machine


@dataclass(kw_only=True)
class LocalSparkConnect:
    root: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def start(self) -> None:
        import pyspark

        home = Path(pyspark.__file__).parent
        self.port = self.port or _free_port()
        confs = {
            "spark.master": "local[2]",
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.sql.catalogImplementation": "hive",
            "spark.sql.warehouse.dir": str(self.root / "warehouse"),
            "spark.hadoop.javax.jdo.option.ConnectionURL": (
                f"jdbc:derby:;databaseName={self.root / 'metastore_db'};create=true"
            ),
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            "spark.driver.memory": "1g",
            "spark.sql.ansi.enabled": "true",
            "spark.sql.session.timeZone": "UTC",
            "spark.driver.extraJavaOptions": f"-Duser.timezone=UTC -Dderby.system.home={self.root}",
        }
        command = [str(home / "bin" / "spark-submit")]
        for key, value in confs.items():
            command += ["--conf", f"{key}={value}"]
        command += ["--class", "org.apache.spark.sql.connect.service.SparkConnectServer", "spark-internal"]
        env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"}
        env.pop("SPARK_REMOTE", None)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.root, start_new_session=True
            )
        self._wait_until_serving()

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"Spark Connect server exited; see {self.log}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"Spark Connect server not serving after {START_TIMEOUT}s; see {self.log}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, 15)  # the server and the JVM spark-submit started, by our own group id
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def spark_connect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSparkConnect]:
    reason = spark_skip_reason()
    if reason:
        pytest.skip(reason)
    server = LocalSparkConnect(root=tmp_path_factory.mktemp("spark-connect"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
