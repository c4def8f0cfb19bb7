"""What Spark's lexer reads that sqlglot's does not, spelled in the statement's text before the parse.

* A quote doubled inside a string is one quote character: Spark reads ``'O''Brien'`` as
  ``O'Brien`` (and ``"a""b"`` as ``a"b``), where sqlglot reads two adjacent literals and
  concatenates them (``OBrien``): a silent difference. The doubled quote is spelled with a
  backslash (``'O\\'Brien'``), which both read as the quote. Literals separated by whitespace
  (``'a' 'b'``) stay two literals, concatenated by both;
* ``a >>> b`` (:func:`.bitwise_operators.mark_unsigned_shifts`) and ``X 'hex'``
  (:func:`.text_functions.join_hex_literals`).
"""

from __future__ import annotations

from airflow_idu.engines.duckdb.spark_compat.bitwise_operators import mark_unsigned_shifts
from airflow_idu.engines.duckdb.spark_compat.text_functions import join_hex_literals

__all__ = ["escape_doubled_quotes", "repair_source"]


def escape_doubled_quotes(code: str) -> str:
    """``code`` with each quote doubled inside a '...' or "..." string spelled with a backslash."""
    if "''" not in code and '""' not in code:
        return code
    out, quote, i = [], "", 0
    while i < len(code):
        ch = code[i]
        if quote and ch == "\\":
            out.append(code[i : i + 2])
            i += 2
            continue
        if quote and ch == quote:
            if quote != "`" and code[i + 1 : i + 2] == quote:
                out.append("\\" + quote)
                i += 2
                continue
            quote = ""
        elif not quote and ch in "'\"`":
            quote = ch
        out.append(ch)
        i += 1
    return "".join(out)


def repair_source(code: str) -> str:
    return join_hex_literals(mark_unsigned_shifts(escape_doubled_quotes(code)))
