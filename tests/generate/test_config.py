"""unify.yml validation: every error names the offending field path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from airflow_idu.generate.config import (
    UnifyConfigError,
    load_unify_config,
    parse_unify_config,
)

EXAMPLE_YML = Path(__file__).resolve().parents[2] / "examples" / "customer_unification" / "unify.yml"


def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE_YML.read_text(encoding="utf-8"))


def test_example_parses() -> None:
    config = load_unify_config(EXAMPLE_YML)
    assert [k.name for k in config.keys] == ["email", "customer_id", "phone_number"]
    assert config.canonical_id.merge_by_keys == ("email", "customer_id", "phone_number")
    assert config.canonical_id.merge_iterations == 3
    assert config.tables[2].key_columns[1].column == "phone"
    attr = config.master_tables[0].attributes[4]
    assert (attr.name, attr.array_elements, attr.source_columns[1].priority) == ("all_emails", 5, 2)
    assert config.key("customer_id").invalid_texts == ("", "N/A", "null", "0")


def _set(path: str, value: Any) -> Any:
    """A mutation setting ``path`` (dotted, with [i]) in a copy of the example."""

    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.replace("[", ".").replace("]", "").split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if last.isdigit():
            node[int(last)] = value
        elif value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return mutate


_DELETE = object()


def _merge_by_unused_key(doc: dict[str, Any]) -> None:
    doc["keys"].append({"name": "fax"})
    doc["canonical_ids"][0]["merge_by_keys"] = ["fax"]


CASES = [
    (
        "unknown-key-ref",
        _set("tables[1].key_columns[0].key", "mail"),
        "tables[1].key_columns[0].key: 'mail' is not a key defined under keys (known: email, customer_id, phone_number)",
    ),
    ("duplicate-key", _set("keys[2].name", "email"), "keys[2].name: 'email' is defined twice"),
    (
        "bad-regex",
        _set("keys[0].valid_regexp", "([a-z"),
        "keys[0].valid_regexp: '([a-z' is not a valid regular",
    ),
    (
        "merge-by-unknown",
        _set("canonical_ids[0].merge_by_keys", ["email", "fax"]),
        "canonical_ids[0].merge_by_keys[1]: 'fax' is not a key defined under keys",
    ),
    (
        "merge-by-duplicate",
        _set("canonical_ids[0].merge_by_keys", ["email", "email"]),
        "canonical_ids[0].merge_by_keys[1]: 'email' is defined twice",
    ),
    (
        "master-unknown-table",
        _set("master_tables[0].attributes[1].source_columns[1].table", "crm"),
        "master_tables[0].attributes[1].source_columns[1].table: 'crm' is not a table defined under tables",
    ),
    (
        "array-elements-zero",
        _set("master_tables[0].attributes[4].array_elements", 0),
        "master_tables[0].attributes[4].array_elements: 0 is out of range",
    ),
    (
        "order-invalid",
        _set("master_tables[0].attributes[0].source_columns[0].order", "latest"),
        "master_tables[0].attributes[0].source_columns[0].order: 'latest' is not allowed; use 'first' or 'last'",
    ),
    (
        "bad-table-identifier",
        _set("tables[0].table", "customer-profiles"),
        "tables[0].table: 'customer-profiles' is not a plain SQL identifier",
    ),
    (
        "bad-column-identifier",
        _set("tables[2].key_columns[0].column", "1st"),
        "tables[2].key_columns[0].column: '1st' is not a plain SQL identifier",
    ),
    (
        "bad-canonical-name",
        _set("canonical_ids[0].name", "unified id"),
        "canonical_ids[0].name: 'unified id' is not a plain SQL identifier",
    ),
    ("unknown-field", _set("tables[0].key_column", []), "tables[0].key_column: unknown field"),
    ("missing-field", _set("tables[3].database", _DELETE), "tables[3].database: is required"),
    (
        "iterations-not-int",
        _set("canonical_ids[0].merge_iterations", "3"),
        "canonical_ids[0].merge_iterations: expected an integer",
    ),
    (
        "iterations-too-many",
        _set("canonical_ids[0].merge_iterations", 100),
        "canonical_ids[0].merge_iterations: 100 is out of range",
    ),
    (
        "master-unknown-canonical",
        _set("master_tables[0].canonical_id", "other_id"),
        "master_tables[0].canonical_id: 'other_id' is not a canonical_ids name",
    ),
    (
        "two-canonical-ids",
        lambda d: d["canonical_ids"].append(dict(d["canonical_ids"][0], name="other")),
        "canonical_ids: exactly one canonical id is supported",
    ),
    (
        "no-merged-key-column",
        lambda d: _merge_by_unused_key(d),
        "canonical_ids[0].merge_by_keys: no table has a key column of these keys",
    ),
    (
        "duplicate-table",
        _set("tables[1].table", "customer_profiles"),
        "tables[1].table: 'customer_profiles' is defined twice",
    ),
    ("empty-key-columns", _set("tables[0].key_columns", []), "tables[0].key_columns: is empty"),
    ("keys-not-list", _set("keys", {"email": {}}), "keys: expected a list, got dict"),
]


@pytest.mark.parametrize(("mutate", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validation_error_names_the_field(mutate: Any, message: str) -> None:
    doc = copy.deepcopy(example())
    mutate(doc)
    with pytest.raises(UnifyConfigError) as info:
        parse_unify_config(doc)
    assert message in str(info.value)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "unify.yml"
    path.write_text("keys: [unclosed\n", encoding="utf-8")
    with pytest.raises(UnifyConfigError, match=r"unify\.yml: not valid YAML"):
        load_unify_config(path)


def test_numeric_invalid_texts_compare_as_strings() -> None:
    doc = example()
    doc["keys"][1]["invalid_texts"] = [0, "N/A"]  # YAML `0` is an int
    assert parse_unify_config(doc).key("customer_id").invalid_texts == ("0", "N/A")
