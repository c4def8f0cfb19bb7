"""Render a SQL directory in the style of the published Databricks generator users bring.

Our own code and our own SQL text; what it imitates is the *style*: extraction through
``FILTER(ARRAY(CASE ... STRUCT(...)))`` and ``LATERAL VIEW EXPLODE``, ``COLLECT_LIST(DISTINCT
STRUCT)``, struct comparison and ``MIN(struct) OVER`` in the loop, ``ARRAY_DISTINCT(FLATTEN(
COLLECT_LIST(...)))``, the canonical id as URL-safe base64 of binary values concatenated
(``concat(unhex(...), unhex(...))``) with key masks from a ``VALUES`` table, ``GROUPING SETS``
with ``BOOL_OR``/``COUNT_IF``, histograms through ``MAP_FROM_ARRAYS``/``ARRAY_SORT``/
``ARRAY_DISTINCT``/``TRANSFORM``/``FILTER``, ``_tmp`` tables renamed into place, master
attributes by ``MAX(NAMED_STRUCT(order, value))`` with priorities and arrays, metadata through
``VALUES``. Files and table names follow ``docs/sql-directory-contract.md``.
"""

from __future__ import annotations

from pathlib import Path

from tests.fidelity.directories.spec import Attribute, DirectorySpec, MasterTable, SourceTable, key_mask

GRAPH_COLUMNS = """(
  follower_id STRING,
  follower_ns BIGINT,
  leader_id STRING,
  leader_ns BIGINT,
  follower_first_seen_at BIGINT,
  follower_last_seen_at BIGINT,
  follower_source_table_ids ARRAY<BIGINT>,
  follower_last_processed_at BIGINT
)"""


def write_directory(spec: DirectorySpec, out_dir: Path) -> Path:
    """Write the directory's files into ``out_dir`` (created) and return it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in render(spec).items():
        (out_dir / name).write_text(text, encoding="utf-8")
    return out_dir


def render(spec: DirectorySpec) -> dict[str, str]:
    """File name -> SQL text, in the contract's phases."""
    files = {
        "01_create_graph.sql": _create_graph(spec),
        "02_extract_merge.sql": _extract_merge(spec),
        "03_source_key_stats.sql": _source_key_stats(spec),
    }
    for k in range(1, spec.merge_iterations + 1):
        files[f"04_unify_loop_iteration_{k:02d}.sql"] = _iteration(spec, k)
    files["05_canonicalize.sql"] = _canonicalize(spec)
    files["06_result_key_stats.sql"] = _result_key_stats(spec)
    for table in spec.tables:
        if spec.merge_columns(table):
            files[f"10_enrich_{table.name}.sql"] = _enrich(spec, table)
    for master in spec.master_tables:
        files[f"20_master_{master.name}.sql"] = _master(spec, master)
    files["30_unification_metadata.sql"] = _unification_metadata(spec)
    files["31_filter_lookup.sql"] = _filter_lookup(spec)
    files["32_column_lookup.sql"] = _column_lookup(spec)
    return files


# -- names and shared expressions -----------------------------------------------------


def _t(spec: DirectorySpec, name: str) -> str:
    return f"{spec.catalog}.{spec.schema}.{name}"


def _src(spec: DirectorySpec, table: str) -> str:
    return f"{spec.src_catalog}.{spec.source_schema}.{table}"


def _head(spec: DirectorySpec) -> str:
    return f"USE CATALOG {spec.catalog};\nUSE SCHEMA {spec.schema};\n\n"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _valid(spec: DirectorySpec, key_name: str, column: str) -> str:
    """The record's value passes its key's valid_regexp and is not one of its invalid_texts."""
    key = spec.key(key_name)
    text = f"CAST({column} AS STRING)"
    conditions = []
    if key.valid_regexp:
        conditions.append(f"REGEXP_LIKE({text}, {_quote(key.valid_regexp)})")
    listed = [v for v in key.invalid_texts if v is not None]
    if listed:
        conditions.append(f"{text} NOT IN ({', '.join(_quote(v) for v in listed)})")
    if None in key.invalid_texts:
        conditions.append(f"{text} IS NOT NULL")
    return " AND ".join(conditions) or "TRUE"


def canonical_id_expr(spec: DirectorySpec, value: str, mask: str) -> str:
    """URL-safe unpadded base64 of (first 8 bytes of SHA-256(value) XOR mask bytes 1-8) || mask byte 9.

    ``mask`` is a SQL expression of 18 hex digits (a column or a literal). The XOR works on two
    32-bit halves so every intermediate fits a signed BIGINT, as the published style does.
    """
    halves = [
        f"lpad(upper(conv(\n        cast(conv(substr(sha2({value}, 256), {start}, 8), 16, 10) as long)"
        f" ^ cast(conv(substr({mask}, {start}, 8), 16, 10) as long),\n        10, 16)), 8, '0')"
        for start in (1, 9)
    ]
    if spec.hash_style == "published":
        body = f"concat(\n      unhex(concat({halves[0]},\n      {halves[1]})),\n      unhex(substr({mask}, 17, 2)))"
        return f"replace(replace(replace(base64({body}), '+', '-'), '/', '_'), '=', '')"
    body = f"unhex({halves[0]}) || unhex({halves[1]}) || unhex(substr({mask}, 17, 2))"
    return f"regexp_replace(translate(base64({body}), '+/', '-_'), '=+$', '')"


def _flags(spec: DirectorySpec) -> list[str]:
    return [
        f"BOOL_OR(ARRAY_CONTAINS(follower_source_table_ids, {i})) AS from_{t.name}"
        for i, t in enumerate(spec.tables, 1)
    ]


def _from_table_case(spec: DirectorySpec) -> str:
    whens = " ".join(f"WHEN from_{t.name} THEN '{t.name}'" for t in spec.tables)
    return f"CASE {whens} ELSE '*' END"


def _grouping_sets(spec: DirectorySpec) -> str:
    sets = ", ".join(f"(from_{t.name})" for t in spec.tables)
    having = " AND ".join(f"COALESCE(from_{t.name}, TRUE)" for t in spec.tables)
    return f"GROUP BY GROUPING SETS ({sets}, ())\n  HAVING {having}"


# -- 01-03 ------------------------------------------------------------------------------


def _create_graph(spec: DirectorySpec) -> str:
    table = _t(spec, f"{spec.canonical_id}_graph_unify_loop_0")
    return (
        _head(spec)
        + f"CREATE OR REPLACE TABLE {table} {GRAPH_COLUMNS}\nUSING DELTA\nCLUSTER BY (follower_id);\n"
    )


def _extract(spec: DirectorySpec, table_id: int, table: SourceTable) -> str:
    cases = [
        f"CASE WHEN {_valid(spec, column.key or '', column.name)}\n"
        f"          THEN STRUCT(CAST({column.name} AS STRING) AS id, {ns} AS ns) ELSE NULL END"
        for column, ns in spec.merge_columns(table)
    ]
    if not cases:
        return (
            f"SELECT ARRAY() AS id_ns_array, time, {table_id} AS source_table_id\n"
            f"    FROM {_src(spec, table.name)} WHERE FALSE"
        )
    joined = ",\n        ".join(cases)
    return (
        f"SELECT\n      FILTER(ARRAY(\n        {joined}\n      ), x -> x IS NOT NULL) AS id_ns_array,\n"
        f"      time,\n      {table_id} AS source_table_id\n    FROM {_src(spec, table.name)}\n    WHERE TRUE"
    )


def _extract_merge(spec: DirectorySpec) -> str:
    union = "\n    UNION ALL\n    ".join(_extract(spec, i, t) for i, t in enumerate(spec.tables, 1))
    graph = _t(spec, f"{spec.canonical_id}_graph_unify_loop_0")
    return (
        _head(spec)
        + f"""-- every valid identifier of a record follows the record's first valid identifier
INSERT INTO {graph}
SELECT
  follower_id, follower_ns,
  leader.id AS leader_id, leader.ns AS leader_ns,
  follower_first_seen_at, follower_last_seen_at, follower_source_table_ids, follower_last_processed_at
FROM (
  SELECT
    follower_id, follower_ns,
    COLLECT_LIST(DISTINCT STRUCT(leader_id AS id, leader_ns AS ns)) AS leaders,
    COLLECT_LIST(DISTINCT source_table_id) AS follower_source_table_ids,
    MIN(time) AS follower_first_seen_at,
    MAX(time) AS follower_last_seen_at,
    MAX(processed_at) AS follower_last_processed_at
  FROM (
    SELECT
      f.id AS follower_id, f.ns AS follower_ns,
      id_ns_array[0].id AS leader_id, id_ns_array[0].ns AS leader_ns,
      time, source_table_id, {spec.now} AS processed_at
    FROM (
    {union}
    ) records
    LATERAL VIEW EXPLODE(id_ns_array) exploded AS f
    WHERE SIZE(id_ns_array) > 0
  ) pairs
  GROUP BY follower_id, follower_ns
) followers
LATERAL VIEW EXPLODE(leaders) exploded_leaders AS leader;
"""
    )


def _source_key_stats(spec: DirectorySpec) -> str:
    keys = spec.merge_by_keys
    graph = _t(spec, f"{spec.canonical_id}_graph_unify_loop_0")
    stats = _t(spec, f"{spec.canonical_id}_source_key_stats")
    from_cols = ", ".join(f"from_{t.name}" for t in spec.tables)
    flags = ",\n        ".join(_flags(spec))
    counts = ", ".join(f"COUNT_IF(follower_ns = {spec.ns(k)}) AS distinct_{k}" for k in keys)
    distinct = ", ".join(f"distinct_{k}" for k in keys)
    defs = ",\n  ".join(f"distinct_{k} BIGINT" for k in keys)
    return (
        _head(spec)
        + f"""CREATE OR REPLACE TABLE {stats} (
  from_table STRING,
  total_distinct BIGINT,
  {defs},
  time BIGINT
) USING DELTA;

INSERT INTO {stats}
SELECT l.from_table, l.total_distinct, {", ".join(f"f.{c}" for c in distinct.split(", "))}, {spec.now} AS time
FROM (
  SELECT {_from_table_case(spec)} AS from_table, total_distinct
  FROM (
    SELECT {from_cols}, COUNT(*) AS total_distinct
    FROM (
      SELECT leader_id, leader_ns,
        {flags}
      FROM {graph}
      GROUP BY leader_id, leader_ns
    ) per_leader
    {_grouping_sets(spec)}
  ) leader_sets
) l
JOIN (
  SELECT {_from_table_case(spec)} AS from_table, {distinct}
  FROM (
    SELECT {from_cols}, {counts}
    FROM (
      SELECT follower_id, follower_ns,
        {flags}
      FROM {graph}
      GROUP BY follower_id, follower_ns
    ) per_follower
    {_grouping_sets(spec)}
  ) follower_sets
) f
ON l.from_table = f.from_table;
"""
    )


# -- 04 ----------------------------------------------------------------------------------


def _iteration(spec: DirectorySpec, k: int) -> str:
    prev = _t(spec, f"{spec.canonical_id}_graph_unify_loop_{k - 1}")
    curr = _t(spec, f"{spec.canonical_id}_graph_unify_loop_{k}")
    prio = " ".join(f"WHEN {ns} THEN {ns}" for ns in range(1, len(spec.merge_by_keys) + 1))
    cols = (
        "follower_id, follower_ns, leader_id, leader_ns, follower_first_seen_at, follower_last_seen_at,\n"
        "    follower_source_table_ids, follower_last_processed_at"
    )
    return (
        _head(spec)
        + f"""CREATE OR REPLACE TABLE {curr} {GRAPH_COLUMNS}
USING DELTA
CLUSTER BY (follower_id);

INSERT INTO {curr}
WITH with_leader_rows AS (
  SELECT {cols}
  FROM {prev}
  UNION ALL
  -- a leader that is itself a follower: a row leading it to itself, beside its own leaders
  SELECT follower_id, follower_ns, leader_id, leader_ns, follower_first_seen_at, follower_last_seen_at,
    follower_source_table_ids, follower_last_processed_at
  FROM (SELECT DISTINCT leader_id, leader_ns FROM {prev}) leaders
  JOIN (
    SELECT follower_id, follower_ns, follower_first_seen_at, follower_last_seen_at,
      follower_source_table_ids, follower_last_processed_at
    FROM {prev}
  ) followers
    ON leaders.leader_id = followers.follower_id AND leaders.leader_ns = followers.follower_ns
),
moves AS (
  -- every leader seen beside a smaller one moves to the smallest it is seen beside
  SELECT DISTINCT older.p AS older_ns, older.id AS older_id, newer.p AS newer_ns, newer.id AS newer_id
  FROM (
    SELECT older, MIN(newer) AS newer
    FROM (
      SELECT ldr AS older, MIN(ldr) OVER (PARTITION BY follower_id, follower_ns) AS newer
      FROM (
        SELECT follower_id, follower_ns,
          STRUCT(CASE leader_ns {prio} ELSE leader_ns END AS p, leader_id AS id) AS ldr
        FROM with_leader_rows
      ) ranked
    ) windowed
    WHERE older > newer
    GROUP BY older
  ) smallest
)
SELECT
  follower_id, follower_ns, leader_id, leader_ns,
  MIN(follower_first_seen_at) AS follower_first_seen_at,
  MAX(follower_last_seen_at) AS follower_last_seen_at,
  ARRAY_DISTINCT(FLATTEN(COLLECT_LIST(follower_source_table_ids))) AS follower_source_table_ids,
  MAX(follower_last_processed_at) AS follower_last_processed_at
FROM (
  SELECT
    r.follower_id, r.follower_ns,
    COALESCE(m.newer_id, r.leader_id) AS leader_id,
    COALESCE(m.newer_ns, r.leader_ns) AS leader_ns,
    r.follower_first_seen_at, r.follower_last_seen_at, r.follower_source_table_ids,
    CASE WHEN m.newer_id IS NULL THEN r.follower_last_processed_at ELSE {spec.now} END
      AS follower_last_processed_at
  FROM with_leader_rows r
  LEFT JOIN moves m ON r.leader_id = m.older_id AND r.leader_ns = m.older_ns
) moved
GROUP BY follower_id, follower_ns, leader_id, leader_ns;
"""
    )


# -- 05-06 -----------------------------------------------------------------------------


def _canonicalize(spec: DirectorySpec) -> str:
    p = spec.canonical_id
    keys = ", ".join(f"({i}, '{k}')" for i, k in enumerate(spec.merge_by_keys, 1))
    tables = ", ".join(f"({i}, '{t.name}')" for i, t in enumerate(spec.tables, 1))
    masks = ", ".join(f"({i}, '{key_mask(i)}')" for i in range(1, len(spec.merge_by_keys) + 1))
    final = _t(spec, f"{p}_graph_unify_loop_final")
    cid = canonical_id_expr(spec, "g.leader_id", "km.key_mask")
    renames = "\n".join(
        f"DROP TABLE IF EXISTS {_t(spec, f'{p}_{n}')};\nALTER TABLE {_t(spec, f'{p}_{n}_tmp')} RENAME TO {p}_{n};"
        for n in ("lookup", "keys", "tables")
    )
    return (
        _head(spec)
        + f"""CREATE OR REPLACE TABLE {_t(spec, f"{p}_keys_tmp")}
USING DELTA AS
SELECT * FROM VALUES {keys} AS t (key_type, key_name);

CREATE OR REPLACE TABLE {_t(spec, f"{p}_tables_tmp")}
USING DELTA AS
SELECT * FROM VALUES {tables} AS t (table_id, table_name);

CREATE OR REPLACE TABLE {_t(spec, f"{p}_lookup_tmp")}
USING DELTA AS
SELECT
  {cid} AS canonical_id,
  g.follower_id AS id,
  g.follower_ns AS id_key_type,
  c.canonical_id_first_seen_at,
  c.canonical_id_last_seen_at,
  g.follower_first_seen_at AS id_first_seen_at,
  g.follower_last_seen_at AS id_last_seen_at,
  g.follower_source_table_ids AS id_source_table_ids,
  g.follower_last_processed_at AS id_last_processed_at
FROM {final} g
JOIN (
  SELECT k.key_type, k.key_name, m.key_mask
  FROM {_t(spec, f"{p}_keys_tmp")} k
  JOIN (SELECT * FROM VALUES {masks} AS t (key_type, key_mask)) m ON k.key_type = m.key_type
) km ON km.key_type = g.leader_ns
JOIN (
  SELECT leader_id, leader_ns,
    MIN(follower_first_seen_at) AS canonical_id_first_seen_at,
    MAX(follower_last_seen_at) AS canonical_id_last_seen_at
  FROM {final}
  GROUP BY leader_id, leader_ns
) c ON c.leader_id = g.leader_id AND c.leader_ns = g.leader_ns;

{renames}
DROP TABLE IF EXISTS {_t(spec, f"{p}_graph")};
ALTER TABLE {final} RENAME TO {p}_graph;
"""
    )


def _histogram(key: str) -> str:
    values = f"COLLECT_LIST(CASE WHEN distinct_{key} > 0 THEN distinct_{key} END)"
    return f"""MAP_FROM_ARRAYS(
      ARRAY_SORT(ARRAY_DISTINCT({values})),
      TRANSFORM(ARRAY_SORT(ARRAY_DISTINCT({values})), k -> SIZE(FILTER({values}, x -> x = k)))
    ) AS histogram_{key}"""


def _result_key_stats(spec: DirectorySpec) -> str:
    p, keys = spec.canonical_id, spec.merge_by_keys
    stats = _t(spec, f"{p}_result_key_stats")
    flags = ",\n      ".join(_flags(spec))
    counts = ", ".join(f"COUNT_IF(follower_ns = {spec.ns(k)}) AS distinct_{k}" for k in keys)
    with_cols = ", ".join(f"COUNT_IF(distinct_{k} > 0) AS distinct_with_{k}" for k in keys)
    hists = ",\n    ".join(_histogram(k) for k in keys)
    as_text = ",\n  ".join(
        f"CONCAT_WS(',', TRANSFORM(SORT_ARRAY(MAP_ENTRIES(histogram_{k})),"
        f" e -> CONCAT(CAST(e.key AS STRING), ':', CAST(e.value AS STRING)))) AS histogram_{k}"
        for k in keys
    )
    defs = ",\n  ".join([f"distinct_with_{k} BIGINT" for k in keys] + [f"histogram_{k} STRING" for k in keys])
    return (
        _head(spec)
        + f"""CREATE OR REPLACE TABLE {stats} (
  from_table STRING,
  total_distinct BIGINT,
  {defs},
  time BIGINT
) USING DELTA;

INSERT INTO {stats}
SELECT
  {_from_table_case(spec)} AS from_table,
  total_distinct,
  {", ".join(f"distinct_with_{k}" for k in keys)},
  {as_text},
  {spec.now} AS time
FROM (
  SELECT
    {", ".join(f"from_{t.name}" for t in spec.tables)},
    {with_cols},
    {hists},
    COUNT(*) AS total_distinct
  FROM (
    SELECT leader_id, leader_ns,
      {flags},
      {counts}
    FROM {_t(spec, f"{p}_graph")}
    GROUP BY leader_id, leader_ns
  ) per_leader
  {_grouping_sets(spec)}
) sets;
"""
    )


# -- 10 enrichment ---------------------------------------------------------------------


def _enrich(spec: DirectorySpec, table: SourceTable) -> str:
    p = spec.canonical_id
    merge = spec.merge_columns(table)
    conds = [(_valid(spec, c.key or "", f"p.{c.name}"), c, ns) for c, ns in merge]
    hashes = "\n      ".join(
        f"WHEN {cond}\n      THEN {canonical_id_expr(spec, f'CAST(p.{c.name} AS STRING)', repr(key_mask(ns)))}"
        for cond, c, ns in conds
    )
    ids = "\n    ".join(f"WHEN {cond} THEN CAST(p.{c.name} AS STRING)" for cond, c, _ in conds)
    types = "\n    ".join(f"WHEN {cond} THEN {ns}" for cond, _, ns in conds)
    name = f"{spec.out_prefix}enriched_{table.name}"
    return (
        _head(spec)
        + f"""CREATE OR REPLACE TABLE {_t(spec, name + "_tmp")}
USING DELTA AS
WITH src AS (
  SELECT * FROM {_src(spec, table.name)}
  WHERE TRUE
)
SELECT
  p.*,
  COALESCE(
    k0.canonical_id,
    CASE
      {hashes}
      ELSE NULL
    END
  ) AS {p}
FROM src p
LEFT JOIN {_t(spec, f"{p}_lookup")} k0
  ON k0.id = CASE
    {ids}
    ELSE NULL END
  AND k0.id_key_type = CASE
    {types}
    ELSE NULL END;

DROP TABLE IF EXISTS {_t(spec, name)};
ALTER TABLE {_t(spec, name + "_tmp")} RENAME TO {name};
"""
    )


# -- 20 master tables -------------------------------------------------------------------


def _slot(attr: Attribute, priority: int) -> str:
    return f"{attr.name}_p{priority}"


def _master(spec: DirectorySpec, master: MasterTable) -> str:
    p = spec.canonical_id
    tables = sorted({s.table for a in master.attributes for s in a.sources})
    arms = []
    for table_name in tables:
        table = spec.table(table_name)
        select = [p]
        for attr in master.attributes:
            for source in attr.sources:
                slot = _slot(attr, source.priority)
                kind = spec.table(source.table).column(source.column).type
                if source.table == table_name:
                    select += [f"{source.column} AS {slot}_attr", f"{source.order_by} AS {slot}_order"]
                else:
                    select += [
                        f"CAST(NULL AS {kind}) AS {slot}_attr",
                        f"CAST(NULL AS BIGINT) AS {slot}_order",
                    ]
        columns = ",\n      ".join(select)
        arms.append(
            f"SELECT\n      {columns}\n    FROM {_t(spec, f'{spec.out_prefix}enriched_{table.name}')}\n"
            f"    WHERE {p} IS NOT NULL"
        )
    union = "\n    UNION ALL\n    ".join(arms)
    picks = ",\n    ".join([p] + [_attribute(attr) for attr in master.attributes])
    return (
        _head(spec)
        + f"""CREATE OR REPLACE TABLE {_t(spec, master.name + "_tmp")}
USING DELTA AS
WITH us AS (
    {union}
),
attrs AS (
  SELECT
    {picks}
  FROM us
  GROUP BY {p}
)
SELECT * FROM attrs a
WHERE EXISTS (SELECT 1 FROM {_t(spec, f"{p}_lookup")} ids WHERE ids.canonical_id = a.{p});

DROP TABLE IF EXISTS {_t(spec, master.name)};
ALTER TABLE {_t(spec, master.name + "_tmp")} RENAME TO {master.name};
"""
    )


def _attribute(attr: Attribute) -> str:
    sources = sorted(attr.sources, key=lambda s: s.priority)
    if attr.array_elements:
        # newest first for order=last, oldest first for order=first; ties by value: Spark's order is defined
        parts = [
            f"TRANSFORM(SORT_ARRAY(COLLECT_LIST(CASE WHEN {_slot(attr, s.priority)}_attr IS NOT NULL THEN "
            f"NAMED_STRUCT('order_val', {_slot(attr, s.priority)}_order, 'attr_val', {_slot(attr, s.priority)}_attr)"
            f" END), {'false' if s.order == 'last' else 'true'}), x -> x.attr_val)"
            for s in sources
        ]
        joined = ",\n      ".join(parts)
        return f"SLICE(ARRAY_DISTINCT(CONCAT(\n      {joined})), 1, {attr.array_elements}) AS {attr.name}"
    picks = [
        f"{'MAX' if s.order == 'last' else 'MIN'}(CASE WHEN {_slot(attr, s.priority)}_attr IS NOT NULL THEN "
        f"NAMED_STRUCT('order_val', {_slot(attr, s.priority)}_order, 'attr_val', {_slot(attr, s.priority)}_attr)"
        " END).attr_val"
        for s in sources
    ]
    if len(picks) == 1:
        return f"{picks[0]} AS {attr.name}"
    joined = ",\n      ".join(picks)
    return f"COALESCE(\n      {joined}) AS {attr.name}"


# -- 30+ metadata --------------------------------------------------------------------------


def _unification_metadata(spec: DirectorySpec) -> str:
    table = _t(spec, f"{spec.out_prefix}unification_metadata")
    return (
        _head(spec)
        + f"""CREATE OR REPLACE TABLE {table} (
  canonical_id_name STRING,
  canonical_id_type STRING
) USING DELTA;

INSERT INTO {table}
SELECT canonical_id_name, canonical_id_type
FROM VALUES ('{spec.canonical_id}', 'canonical_id') AS t (canonical_id_name, canonical_id_type);
"""
    )


def _filter_lookup(spec: DirectorySpec) -> str:
    table = _t(spec, f"{spec.out_prefix}filter_lookup")
    rows = []
    for key in spec.keys:
        texts = ", ".join("NULL" if v is None else _quote(v) for v in key.invalid_texts)
        regexp = _quote(key.valid_regexp) if key.valid_regexp else "CAST(NULL AS STRING)"
        rows.append(f"('{key.name}', ARRAY({texts}), {regexp})")
    values = ",\n  ".join(rows)
    return (
        _head(spec)
        + f"""CREATE OR REPLACE TABLE {table} (
  key_name STRING,
  invalid_texts ARRAY<STRING>,
  valid_regexp STRING
) USING DELTA;

INSERT INTO {table}
SELECT key_name, invalid_texts, valid_regexp
FROM VALUES
  {values}
AS t (key_name, invalid_texts, valid_regexp);
"""
    )


def _column_lookup(spec: DirectorySpec) -> str:
    table = _t(spec, f"{spec.out_prefix}column_lookup")
    rows = [
        f"('{spec.source_schema}', '{t.name}', '{c.name}', '{c.key}')"
        for t in spec.tables
        for c in t.key_columns
    ]
    values = ",\n  ".join(rows)
    return (
        _head(spec)
        + f"""CREATE OR REPLACE TABLE {table} (
  database_name STRING,
  table_name STRING,
  column_name STRING,
  key_name STRING
) USING DELTA;

INSERT INTO {table}
SELECT database_name, table_name, column_name, key_name
FROM VALUES
  {values}
AS t (database_name, table_name, column_name, key_name);
"""
    )
