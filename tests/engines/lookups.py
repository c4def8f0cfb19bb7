"""Counting the connection lookups code makes: in a task, each lookup of a connection stored in
Airflow's database is a request to the API server."""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ["count_connection_lookups"]


def count_connection_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the connections looked up from now on, in order (every lookup path ends here)."""
    from airflow.sdk.definitions.connection import Connection

    looked_up: list[str] = []
    lookup = Connection.get.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Connection], conn_id: str) -> Any:
        looked_up.append(conn_id)
        return lookup(cls, conn_id)

    monkeypatch.setattr(Connection, "get", classmethod(counted))
    return looked_up
