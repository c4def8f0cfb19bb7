"""A generated case delivered as daily deltas for incremental runs, with the events planted in time.

The rows are delivered by tests/deliveries.py (append-only here: nothing is deleted, since
incremental runs do not see deletions; ``DUPLICATE_DAY``'s rows twice). Planted on top, each with a
``time`` that fits its role (the watermark after day ``d`` is the largest time delivered by then):

* ``NEW_FIRST_DAY``: a new email sorting before every identifier, joined to an existing customer id;
* ``BRIDGE_DAY``: one record joining two existing clusters (email of one, customer id of the other);
* ``LATE_DAY``: a late row inside the look-back (time = previous watermark - 1 hour, joining a new
  phone to an existing customer id) and one outside it (time = previous watermark - 30 days, a new
  person): the second is read only by a full refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import networkx as nx

from tests.deliveries import DUPLICATE_DAY, SOURCE_TABLES, add_profile, deliver, first_day_people, stage_days

__all__ = [
    "BRIDGE_DAY",
    "DUPLICATE_DAY",
    "LATE_DAY",
    "LATE_OUTSIDE_EMAIL",
    "NEW_FIRST_DAY",
    "SOURCE_TABLES",
    "IncrementalCase",
    "build_incremental_case",
]

NEW_FIRST_DAY, BRIDGE_DAY, LATE_DAY = 2, 3, 5
NEW_FIRST_EMAIL = "000first@example.com"
LATE_INSIDE_PHONE, LATE_OUTSIDE_EMAIL = "19999999991", "late.outside@example.com"


@dataclass(frozen=True, kw_only=True)
class IncrementalCase:
    database: Path
    days: int

    def deliver(self, day: int, *, without_late_outside: bool = False) -> nx.Graph:
        """Source tables as of ``day``; returns their identifier graph (networkx ground truth).

        ``without_late_outside``: the graph without the row only a full refresh reads.
        """
        graph = deliver(self.database, day)
        if without_late_outside and day >= LATE_DAY:
            graph.remove_node(("email", LATE_OUTSIDE_EMAIL))
        return graph


def build_incremental_case(database: Path, *, people: int, seed: int, days: int) -> IncrementalCase:
    stage_days(database, people=people, seed=seed, days=days)
    with duckdb.connect(str(database)) as con:
        _plant(con)
    return IncrementalCase(database=database, days=days)


def _last_time(con: duckdb.DuckDBPyConnection, day: int) -> int:
    """The profiles' watermark after ``day`` (watermarks are per source table; the planted rows are
    profiles): the largest profile time delivered by then."""
    (value,) = con.execute(f"SELECT MAX(time) FROM src.customer_profiles WHERE day <= {day}").fetchone()  # type: ignore[misc]
    return int(value)


def _plant(con: duckdb.DuckDBPyConnection) -> None:
    (_, first_cid), (email_a, _), (_, cid_b), (_, late_cid) = first_day_people(con, 4)
    # times inside their day: after the previous day's watermark, so inside that day's window
    new_first_time = _last_time(con, NEW_FIRST_DAY - 1) + 5
    add_profile(con, [NEW_FIRST_EMAIL, first_cid, None, "New", "First", new_first_time], day=NEW_FIRST_DAY)
    bridge_time = _last_time(con, BRIDGE_DAY - 1) + 7
    add_profile(con, [email_a, cid_b, None, "Bridge", "Record", bridge_time], day=BRIDGE_DAY)
    mark = _last_time(con, LATE_DAY - 1)
    add_profile(con, [None, late_cid, LATE_INSIDE_PHONE, "Late", "Inside", mark - 3600], day=LATE_DAY)
    add_profile(con, [LATE_OUTSIDE_EMAIL, None, None, "Late", "Outside", mark - 30 * 86_400], day=LATE_DAY)
