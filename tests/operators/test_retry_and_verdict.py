"""One conflict-retry helper for the lease; one verdict (retry or fail) for every task error."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_idu.engines.base import StatementError
from airflow_idu.lease.model import retry_conflicts
from airflow_idu.operators.base import Verdict


def _error(message: str) -> StatementError:
    return StatementError(label="writer lease", index=1, statement="INSERT", error=RuntimeError(message))


CONFLICT = "ConcurrentAppendException: lost the race"


@pytest.mark.parametrize(
    ("failures", "outcome", "calls", "sleeps"),
    [
        ([], "done", 1, []),
        ([CONFLICT], "done", 2, [1]),
        ([CONFLICT, CONFLICT], "done", 3, [1, 2]),
        ([CONFLICT, CONFLICT, CONFLICT], CONFLICT, 3, [1, 2]),
        (["[TABLE_OR_VIEW_NOT_FOUND] x"], "[TABLE_OR_VIEW_NOT_FOUND] x", 1, []),
    ],
    ids=["first-try", "one-conflict", "two-conflicts", "conflicts-exhausted", "other-error-at-once"],
)
def test_retry_conflicts(failures: list[str], outcome: str, calls: int, sleeps: list[int]) -> None:
    slept: list[float] = []
    pending = list(failures)
    made: list[int] = []

    def work() -> str:
        made.append(1)
        if pending:
            raise _error(pending.pop(0))
        return "done"

    if outcome == "done":
        assert retry_conflicts(work, sleep=slept.append) == "done"
    else:
        with pytest.raises(StatementError, match=outcome.split(":")[0].strip("[]")):
            retry_conflicts(work, sleep=slept.append)
    assert (len(made), slept) == (calls, sleeps)


@pytest.mark.parametrize(
    ("transient", "cls", "text"),
    [
        (True, AirflowException, "transient, Airflow retries the task"),
        (False, AirflowFailException, "not retried: the same SQL would fail again"),
    ],
    ids=["retry", "fail"],
)
def test_verdict(transient: bool, cls: type[Exception], text: str) -> None:
    verdict = Verdict.of(transient)
    err = verdict.exception(f"boom — {verdict}")
    assert type(err) is cls and str(err) == f"boom — {text}"
