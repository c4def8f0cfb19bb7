"""Split a SQL script into statements.

A semicolon separates statements only outside string literals, quoted
identifiers and comments. Databricks (Spark) SQL strings accept backslash
escapes and doubled quotes, so both are honoured.
"""

from __future__ import annotations

__all__ = ["blank_comments", "first_line", "split_statements", "split_statements_with_lines"]


def split_statements(script: str) -> list[str]:
    """Return the non-empty statements of ``script`` in order, without the trailing ``;``.

    Comments are kept inside the statement they belong to (they are harmless to
    the engine and useful in query history); a chunk holding only comments and
    whitespace is dropped.
    """
    return [statement for statement, _line in split_statements_with_lines(script)]


def split_statements_with_lines(script: str) -> list[tuple[str, int]]:
    """Like :func:`split_statements`, with the 1-based line of the script each statement starts on."""
    statements: list[tuple[str, int]] = []
    start = 0
    i = 0
    n = len(script)
    has_code = False  # the current chunk holds something other than comments/whitespace
    while i < n:
        ch = script[i]
        nxt = script[i + 1] if i + 1 < n else ""
        if ch == "-" and nxt == "-":
            end = script.find("\n", i)
            i = n if end == -1 else end + 1
            continue
        if ch == "/" and nxt == "*":
            end = script.find("*/", i + 2)
            i = n if end == -1 else end + 2
            continue
        if ch in ("'", '"', "`"):
            i = _skip_quoted(script, i, ch)
            has_code = True
            continue
        if ch == ";":
            if has_code:
                statements.append(_located(script, start, i))
            start = i + 1
            has_code = False
            i += 1
            continue
        if not ch.isspace():
            has_code = True
        i += 1
    if has_code:
        statements.append(_located(script, start, n))
    return statements


def _located(script: str, start: int, end: int) -> tuple[str, int]:
    chunk = script[start:end]
    offset = len(chunk) - len(chunk.lstrip())
    return chunk.strip(), script.count("\n", 0, start + offset) + 1


def blank_comments(statement: str) -> str:
    """``statement`` with every comment replaced by spaces (newlines kept, so lines stay put).
    Quotes are honoured: ``'--'`` in a string literal is not a comment."""
    out: list[str] = []
    i, n = 0, len(statement)
    while i < n:
        ch = statement[i]
        nxt = statement[i + 1] if i + 1 < n else ""
        if (ch == "-" and nxt == "-") or (ch == "/" and nxt == "*"):
            if ch == "-":
                end = statement.find("\n", i)
                end = n if end == -1 else end
            else:
                end = statement.find("*/", i + 2)
                end = n if end == -1 else end + 2
            out.append("".join(c if c == "\n" else " " for c in statement[i:end]))
            i = end
            continue
        if ch in ("'", '"', "`"):
            end = _skip_quoted(statement, i, ch)
            out.append(statement[i:end])
            i = end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _skip_quoted(script: str, i: int, quote: str) -> int:
    """Return the index just past the quoted token starting at ``i``."""
    n = len(script)
    j = i + 1
    while j < n:
        ch = script[j]
        if ch == "\\" and quote != "`":
            j += 2
            continue
        if ch == quote:
            if j + 1 < n and script[j + 1] == quote:  # doubled quote is an escaped quote
                j += 2
                continue
            return j + 1
        j += 1
    return n  # unterminated: the rest of the script is the literal


def first_line(statement: str, width: int = 100) -> str:
    """The first non-comment line of a statement, shortened for logs and error messages."""
    for line in statement.splitlines():
        text = line.strip()
        if text and not text.startswith("--"):
            return text if len(text) <= width else text[: width - 3] + "..."
    return statement.strip()[:width]
