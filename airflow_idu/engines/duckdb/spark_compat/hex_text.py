"""What the translation knows of hex text and short bytes, to skip a check that cannot fail.

``unhex`` must check its text (Spark: NULL for a non-hex digit, a leading 0 for an odd length), and
``base64`` must break lines after 57 bytes (Spark's MIME encoder); both cost a lambda per row. The
canonical ids unhex ``lpad(conv(..., 10, 16), 8, '0') || ...`` (an even number of hex digits) and
base64 at most 9 bytes, so there neither check can change the value. The rules only follow
literal lengths and conv's digits; anything else is unknown (None/False) and keeps the check.
"""

from __future__ import annotations

from sqlglot import exp

__all__ = ["is_even_hex", "max_bytes"]

# conv to base 16 (conv_macros.py): upper-case hex digits only
_HEX_CONVS = frozenset(
    {"idu_conv_int_16", *(f"idu_conv_{f}_16{p}" for f in (10, 16) for p in ("", "_plain"))}
)
_UNHEX = frozenset({"unhex", "idu_unhex", "idu_unhex_plain"})


def _int(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        return int(node.this)
    return None


def _parts(node: exp.Expr) -> list[exp.Expr] | None:
    """The operands of a concat (NULL when one is NULL, or '' for it: either way the same rules)."""
    if isinstance(node, exp.Concat):
        return list(node.expressions)
    if isinstance(node, exp.DPipe):
        return [node.this, node.expression]
    return None


def _hex_pad(node: exp.Expr) -> int | None:
    """The length of ``lpad/rpad(hex text, n, hex digits)``: exactly n (cut or padded), or NULL."""
    fill = node.args.get("fill_pattern")
    if not (isinstance(fill, exp.Literal) and fill.is_string and fill.this):
        return None
    if any(c not in "0123456789abcdefABCDEF" for c in fill.this) or not _is_hex(node.this):
        return None
    return _int(node.expression)


def _is_hex(node: exp.Expr) -> bool:
    """Only hex digits (any length), or NULL."""
    if isinstance(node, exp.Anonymous) and node.name.lower() in _HEX_CONVS:
        return True
    if isinstance(node, exp.Pad):
        return _hex_pad(node) is not None
    parts = _parts(node)
    return parts is not None and all(_is_hex(p) for p in parts)


def is_even_hex(node: exp.Expr) -> bool:
    """An even number of hex digits, or NULL: DuckDB's unhex gives Spark's bytes without a check."""
    if isinstance(node, exp.Pad):
        length = _hex_pad(node)
        return length is not None and length % 2 == 0
    parts = _parts(node)
    return parts is not None and all(is_even_hex(p) for p in parts)


def _max_chars(node: exp.Expr) -> int | None:
    if isinstance(node, exp.Anonymous) and node.name.lower() == "idu_text" and len(node.expressions) == 1:
        return _max_chars(node.expressions[0])  # the text of a value of at most n characters or bytes
    if isinstance(node, exp.Pad):
        return _int(node.expression)
    if isinstance(node, exp.Substring):
        return _int(node.args.get("length"))
    parts = _parts(node)
    sizes = [_max_chars(p) for p in parts] if parts is not None else [None]
    return None if None in sizes else sum(sizes)  # type: ignore[arg-type]


def max_bytes(node: exp.Expr) -> int | None:
    """At most this many bytes (or NULL): unhex of text of known length, and concats of those."""
    text = node.this if isinstance(node, exp.Unhex) else None
    if isinstance(node, exp.Anonymous) and node.name.lower() in _UNHEX and len(node.expressions) == 1:
        text = node.expressions[0]
    if text is not None:
        chars = _max_chars(text)
        return None if chars is None else (chars + 1) // 2
    parts = _parts(node)
    sizes = [max_bytes(p) for p in parts] if parts is not None else [None]
    return None if None in sizes else sum(sizes)  # type: ignore[arg-type]
