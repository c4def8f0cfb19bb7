"""A fixed latency per statement and per result fetch, so the local warehouse costs what a remote one does.

A real SQL warehouse answers each statement after a round trip, queueing and planning
(tens to hundreds of milliseconds) however small the statement; fetching a further page of
results is another round trip. The local warehouse answers in about a millisecond, which hides
what a workflow's statement count costs. :class:`Latency` adds both costs once, in the warehouse
core, so the Thrift and the REST front end pay them alike:

* ``statement_ms`` before each statement runs (in the statement's worker thread, after it is
  accepted, so a client sees it as execution time, as on Databricks);
* ``fetch_ms`` before each result page a client fetches in a request of its own (Thrift
  ``FetchResults``, REST ``.../result/chunks/N``); results returned with the statement
  (Thrift direct results, REST inline) cost nothing extra, as on Databricks.

The sleep function is injectable (a test records the calls instead of sleeping).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["NO_LATENCY", "Latency"]


@dataclass(frozen=True, kw_only=True)
class Latency:
    statement_ms: float = 0.0
    fetch_ms: float = 0.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.statement_ms < 0 or self.fetch_ms < 0:
            raise ValueError(
                f"latency must be >= 0 ms (statement {self.statement_ms}, fetch {self.fetch_ms})"
            )

    def before_statement(self) -> None:
        if self.statement_ms:
            self.sleep(self.statement_ms / 1000)

    def before_fetch(self) -> None:
        if self.fetch_ms:
            self.sleep(self.fetch_ms / 1000)


NO_LATENCY = Latency()
