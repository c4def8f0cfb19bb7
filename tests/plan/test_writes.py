"""What a script creates and appends to decides whether its retry must replay an earlier file."""

from __future__ import annotations

import pytest

from airflow_idu.plan import appended_tables, created_tables
from tests.conftest import EXAMPLE_SQL


@pytest.mark.parametrize(
    ("sql", "created", "appended"),
    [
        ("CREATE OR REPLACE TABLE c.s.t AS SELECT 1", {"c.s.t"}, set()),
        ("CREATE TABLE IF NOT EXISTS `c`.`s`.`T` (a INT)", {"c.s.t"}, set()),
        ("INSERT INTO c.s.t SELECT 1", set(), {"c.s.t"}),
        ("INSERT INTO TABLE s.t VALUES (1)", set(), {"s.t"}),
        ("CREATE OR REPLACE TABLE c.s.t (a INT);\nINSERT INTO c.s.t SELECT 1", {"c.s.t"}, set()),
        ("-- fill it\n/* again */ INSERT INTO c.s.t SELECT ';'", set(), {"c.s.t"}),
        ("INSERT OVERWRITE TABLE c.s.t SELECT 1", set(), set()),
        ("SELECT 'INSERT INTO c.s.t'", set(), set()),
    ],
    ids=[
        "create-replace",
        "create-if-not-exists",
        "insert",
        "insert-table",
        "create-then-insert",
        "after-comments",
        "overwrite-is-idempotent",
        "in-a-string",
    ],
)
def test_created_and_appended_tables(sql: str, created: set[str], appended: set[str]) -> None:
    assert created_tables(sql) == created
    assert appended_tables(sql) == appended


def test_example_setup_file_02_appends_to_the_table_01_creates() -> None:
    create = (EXAMPLE_SQL / "01_create_graph.sql").read_text()
    extract = (EXAMPLE_SQL / "02_extract_merge.sql").read_text()
    assert appended_tables(extract) == {"idu_demo.unified.unified_customer_id_graph_unify_loop_0"}
    assert appended_tables(extract) <= created_tables(create)
    # Loop iterations create their own table before filling it: safe to run again as they are.
    assert appended_tables((EXAMPLE_SQL / "04_unify_loop_iteration_01.sql").read_text()) == set()
