"""The generated SQL directory: contract shape, determinism, the committed example, canonical ids."""

from __future__ import annotations

import base64
import hashlib
import random
import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from airflow_idu.engines.duckdb.translate import translate_statement
from airflow_idu.generate.config import load_unify_config, parse_unify_config
from airflow_idu.generate.sql import generate_sql_directory, render_sql_files
from airflow_idu.generate.sqltext import canonical_id_sql, string_literal
from airflow_idu.plan import read_plan, split_statements
from tests.generate.sqlrun import duckdb_connection

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "customer_unification"
TARGET = {
    "catalog": "idu_demo",
    "schema": "unified",
    "source_catalog": "idu_demo",
    "source_schema": "customer_db",
}
P = "unified_customer_id"


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return render_sql_files(load_unify_config(EXAMPLE / "unify.yml"), **TARGET)


def test_regenerating_the_example_matches_the_committed_directory(tmp_path: Path) -> None:
    written = generate_sql_directory(load_unify_config(EXAMPLE / "unify.yml"), **TARGET, out_dir=tmp_path)
    committed = sorted(p.name for p in (EXAMPLE / "sql").glob("*.sql"))
    assert sorted(p.name for p in written) == committed, "regenerate examples/customer_unification/sql"
    for path in written:
        assert path.read_bytes() == (EXAMPLE / "sql" / path.name).read_bytes(), f"{path.name} is stale"


def test_output_is_deterministic(tmp_path: Path) -> None:
    config = load_unify_config(EXAMPLE / "unify.yml")
    first = {p.name: p.read_bytes() for p in generate_sql_directory(config, **TARGET, out_dir=tmp_path / "a")}
    again = load_unify_config(EXAMPLE / "unify.yml")  # a fresh parse, not the same objects
    second = {p.name: p.read_bytes() for p in generate_sql_directory(again, **TARGET, out_dir=tmp_path / "b")}
    assert first == second


def test_file_names_follow_the_contract(files: dict[str, str]) -> None:
    assert list(files) == [
        "01_create_graph.sql",
        "02_extract_merge.sql",
        "03_source_key_stats.sql",
        "04_unify_loop_iteration_01.sql",
        "04_unify_loop_iteration_02.sql",
        "04_unify_loop_iteration_03.sql",
        "05_canonicalize.sql",
        "06_result_key_stats.sql",
        "10_enrich_customer_profiles.sql",
        "10_enrich_web_sessions.sql",
        "10_enrich_orders.sql",
        "10_enrich_support_tickets.sql",
        "20_master_customer_master.sql",
        "30_unification_metadata.sql",
        "31_filter_lookup.sql",
        "32_column_lookup.sql",
    ]


def test_the_plan_reader_accepts_the_example() -> None:
    plan = read_plan(EXAMPLE / "sql")
    assert (plan.canonical_id, plan.catalog, plan.schema) == (P, "idu_demo", "unified")
    assert len(plan.loop.files) == 3


def test_every_file_starts_with_use_lines(files: dict[str, str]) -> None:
    for name, text in files.items():
        assert text.startswith("USE CATALOG idu_demo;\nUSE SCHEMA unified;\n"), name


def test_loop_files_reference_only_their_two_loop_tables(files: dict[str, str]) -> None:
    for k in (1, 2, 3):
        text = files[f"04_unify_loop_iteration_{k:02d}.sql"]
        numbers = set(re.findall(rf"{P}_graph_unify_loop_(\d+)", text))
        assert numbers == {str(k - 1), str(k)}
        assert f"CREATE OR REPLACE TABLE idu_demo.unified.{P}_graph_unify_loop_{k} (" in text
        assert f"INSERT INTO idu_demo.unified.{P}_graph_unify_loop_{k}\n" in text


def _code(statement: str) -> str:
    return "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()


def _tables(statement: str) -> list[exp.Table]:
    tree = sqlglot.parse_one(statement, read="databricks")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return [t for t in tree.find_all(exp.Table) if t.name not in ctes]


def test_tables_are_fully_qualified(files: dict[str, str]) -> None:
    for name, text in files.items():
        for statement in split_statements(text)[2:]:  # after the USE lines
            for table in _tables(statement):
                assert table.catalog == "idu_demo", f"{name}: {table.sql('databricks')} is not c.s.t"
                assert table.db in ("unified", "customer_db"), f"{name}: {table.sql('databricks')}"


def test_source_schema_defaults_to_each_tables_database() -> None:
    doc = {
        "keys": [{"name": "email"}],
        "tables": [
            {"database": "crm", "table": "a", "key_columns": [{"column": "e", "key": "email"}]},
            {"database": "web", "table": "b", "key_columns": [{"column": "e", "key": "email"}]},
        ],
        "canonical_ids": [{"name": "uid", "merge_by_keys": ["email"]}],
    }
    text = render_sql_files(parse_unify_config(doc), catalog="c", schema="s", source_catalog="raw")[
        "02_extract_merge.sql"
    ]
    assert "FROM raw.crm.a\n" in text and "FROM raw.web.b\n" in text


@pytest.mark.parametrize(
    "name",
    [
        "10_enrich_orders.sql",
        "20_master_customer_master.sql",
        "30_unification_metadata.sql",
        "31_filter_lookup.sql",
        "32_column_lookup.sql",
    ],
)
def test_outputs_commit_through_tmp_tables(files: dict[str, str], name: str) -> None:
    table = re.sub(r"^\d\d_(master_)?", "", name.removesuffix(".sql"))
    table = table.replace("enrich_", "enriched_")
    *_, create, drop, rename = [_code(s) for s in split_statements(files[name])]
    assert create.startswith(f"CREATE OR REPLACE TABLE idu_demo.unified.{table}_tmp ")
    assert drop == f"DROP TABLE IF EXISTS idu_demo.unified.{table}"
    assert rename == f"ALTER TABLE idu_demo.unified.{table}_tmp RENAME TO idu_demo.unified.{table}"


def test_every_statement_translates_to_duckdb(files: dict[str, str]) -> None:
    for name, text in files.items():
        for statement in split_statements(text):
            assert translate_statement(statement).statements or statement.startswith("USE CATALOG"), name


def test_no_nondeterministic_functions(files: dict[str, str]) -> None:
    banned = re.compile(
        r"current_timestamp|current_date|now\(|rand\(|uuid\(|\bfirst\(|\blast\(", re.IGNORECASE
    )
    for name, text in files.items():
        assert not banned.search(text), name


def test_string_literals_survive_quotes_and_backslashes() -> None:
    con = duckdb_connection()
    for text in ["it's", "a\\d+", "\\'", "", "N/A", "tab\there"]:
        [sql] = translate_statement(f"SELECT {string_literal(text)}").statements
        assert con.execute(sql).fetchone() == (text,)


# -- canonical ids ----------------------------------------------------------------

CONTRACT_MASKS = {1: "0ffdbcf0c666ce190d", 2: "61a821f2b646a4e890", 3: "acd2206c3f88b3ee27"}


def reference_canonical_id(leader_id: str, ns: int) -> str:
    """Written from the contract text, independent of airflow_idu.generate.canonical."""
    if ns in CONTRACT_MASKS:
        mask = bytes.fromhex(CONTRACT_MASKS[ns])
    else:  # documented rule for key types beyond the published three
        mask = hashlib.sha256(f"airflow-idu canonical id mask {ns}".encode()).digest()[:9]
    head = hashlib.sha256(leader_id.encode("utf-8")).digest()[:8]
    raw = bytes(h ^ m for h, m in zip(head, mask[:8], strict=True)) + mask[8:9]
    return base64.b64encode(raw).decode().replace("+", "-").replace("/", "_").rstrip("=")


def sample_ids() -> list[str]:
    rng = random.Random(11)
    ids = ["", "a", "user1@example.com", "C0001", "5550000001", "ünïcødé@例え.jp", "x" * 300]
    ids += [f"id-{rng.getrandbits(64):x}" for _ in range(300)]
    return ids


def test_sample_covers_hashes_with_the_top_bit_set_and_clear() -> None:
    tops = {hashlib.sha256(i.encode()).digest()[0] >= 0x80 for i in sample_ids()}
    assert tops == {True, False}


def test_canonical_id_sql_on_duckdb_matches_python() -> None:
    con = duckdb_connection()
    con.execute("CREATE TABLE ids (id VARCHAR, ns BIGINT)")
    rows = [(i, ns) for i in sample_ids() for ns in range(1, 6)]
    con.executemany("INSERT INTO ids VALUES (?, ?)", rows)
    [sql] = translate_statement(f"SELECT id, ns, {canonical_id_sql('id', 'ns', 5)} FROM ids").statements
    got = {(i, ns): cid for i, ns, cid in con.execute(sql).fetchall()}
    wrong = {k: (v, reference_canonical_id(*k)) for k, v in got.items() if v != reference_canonical_id(*k)}
    assert len(got) == len(rows) and not wrong, list(wrong.items())[:5]


def test_canonical_ids_are_url_safe_and_unpadded() -> None:
    cids = {reference_canonical_id(i, 3) for i in sample_ids()}
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{12}", c) for c in cids)
    assert any(("-" in c or "_" in c) for c in cids)  # the translate() step is exercised
