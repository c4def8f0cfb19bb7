"""A generated case delivered as daily deltas, with the events persistent ids must survive planted.

The rows are delivered by tests/deliveries.py (``DUPLICATE_DAY``'s rows twice). Planted on top:

* day ``NEW_FIRST_DAY``: a new email that sorts before every identifier of an existing person
  (its leader, so its canonical id, changes; its persistent id must not);
* day ``BRIDGE_DAY``: one record joining two existing clusters (email of one, customer id of the other);
* day ``SPLIT_DAY``: the bridge record deleted (its clusters split again);
* day ``REMOVED_DAY``: the new-first email's record deleted (that identifier leaves the lookup).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import networkx as nx

from tests.deliveries import add_profile, deliver, first_day_people, stage_days

NEW_FIRST_DAY, BRIDGE_DAY, SPLIT_DAY, REMOVED_DAY = 3, 5, 7, 8
NEW_FIRST_EMAIL = "000first@example.com"


@dataclass(frozen=True, kw_only=True)
class DailyCase:
    database: Path
    days: int
    new_first_partner: str  # the customer id the new-first email joins

    def deliver(self, day: int) -> nx.Graph:
        """Source tables as of ``day``; returns their identifier graph (networkx ground truth)."""
        return deliver(self.database, day)


def build_daily_case(database: Path, *, people: int, seed: int, days: int = 10) -> DailyCase:
    """Demo data for ``people`` people cut into ``days`` deliveries, the planted events added."""
    stage_days(database, people=people, seed=seed, days=days)
    with duckdb.connect(str(database)) as con:
        partner = _plant(con)
    return DailyCase(database=database, days=days, new_first_partner=partner)


def _plant(con: duckdb.DuckDBPyConnection) -> str:
    """The new-first email and the bridge, between people whose profiles arrive on day 1."""
    (_, first_cid), (email_a, _), (_, cid_b) = first_day_people(con, 3)
    add_profile(
        con,
        [NEW_FIRST_EMAIL, first_cid, None, "New", "First", 1600000000],
        day=NEW_FIRST_DAY,
        gone=REMOVED_DAY,
    )
    add_profile(con, [email_a, cid_b, None, "Bridge", "Record", 1600000001], day=BRIDGE_DAY, gone=SPLIT_DAY)
    return first_cid
