"""A local Databricks SQL warehouse on a DuckDB file (tests, demos): never imported by the runtime path."""
