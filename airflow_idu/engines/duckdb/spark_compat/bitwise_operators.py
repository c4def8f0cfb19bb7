"""Spark's bitwise operators as Spark parses them: ``>>>`` and the precedence of ``<< >> >>> & ^ |``.

Spark's grammar puts the shifts (``<<``, ``>>``, ``>>>``) above ``&``, ``&`` above ``^`` and ``^``
above ``|``, each left-associative: ``4 & 6 >> 1`` is ``4 & (6 >> 1)`` = 0 and ``5 | 2 ^ 3 & 1`` is
``5 | (2 ^ (3 & 1))`` = 7. sqlglot reads all six at one level, left to right (``(4 & 6) >> 1`` = 2),
and DuckDB also gives them one level, so the tree is regrouped here before anything else reads
it, and every regrouped operand is parenthesised so that DuckDB prints and reads the same grouping.

sqlglot does not parse ``>>>`` (the unsigned right shift) at all: :func:`mark_unsigned_shifts`
spells ``a >>> b`` as ``a >> __idu_ushr() + b`` in the text (outside quotes), which sqlglot parses
exactly as it parses ``a >> b`` with a marker added to the right operand's leftmost term;
:func:`repair_bitwise` removes the marker and makes that shift ``shiftrightunsigned(a, b)``, which
:mod:`.scalars` runs with Java's semantics.
"""

from __future__ import annotations

from sqlglot import exp

__all__ = ["mark_unsigned_shifts", "repair_bitwise"]

_MARKER = "__idu_ushr"
_UNSIGNED = "shiftrightunsigned"
_LEVEL: dict[type[exp.Expr], int] = {
    exp.BitwiseLeftShift: 4,
    exp.BitwiseRightShift: 4,
    exp.BitwiseAnd: 3,
    exp.BitwiseXor: 2,
    exp.BitwiseOr: 1,
}
_OPERATORS = tuple(_LEVEL)


def mark_unsigned_shifts(code: str) -> str:
    """``code`` with each ``>>>`` outside quotes spelled ``>> __idu_ushr() +``."""
    if ">>>" not in code:
        return code
    out, quote, i = [], "", 0
    while i < len(code):
        ch = code[i]
        if quote:
            if ch == "\\" and quote != "`":
                out.append(code[i : i + 2])
                i += 2
                continue
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif code.startswith(">>>", i):
            out.append(f">> {_MARKER}() + ")
            i += 3
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unmark(tree: exp.Expr) -> set[int]:
    """Drop each marker; the ids of the ``>>`` nodes that were ``>>>``."""
    unsigned: set[int] = set()
    for marker in [a for a in tree.find_all(exp.Anonymous) if a.name.lower() == _MARKER]:
        plus = marker.parent
        if not isinstance(plus, exp.Add) or plus.this is not marker:
            continue
        shift = plus.parent
        plus.replace(plus.expression)
        while shift is not None and not isinstance(shift, exp.BitwiseRightShift):
            shift = shift.parent
        if shift is not None:
            unsigned.add(id(shift))
    return unsigned


def _chain(node: exp.Expr) -> tuple[list[exp.Expr], list[exp.Expr]]:
    """The operands and the operators (the nodes themselves) of an unparenthesised left spine."""
    operands: list[exp.Expr] = []
    operators: list[exp.Expr] = []
    while isinstance(node, _OPERATORS):
        operators.insert(0, node)
        operands.insert(0, node.expression)
        node = node.this
    operands.insert(0, node)
    return operands, operators


def _combine(op: exp.Expr, left: exp.Expr, right: exp.Expr, unsigned: set[int]) -> exp.Expr:
    def grouped(operand: exp.Expr) -> exp.Expr:
        return exp.Paren(this=operand) if isinstance(operand, _OPERATORS) else operand

    if id(op) in unsigned:
        return exp.Anonymous(this=_UNSIGNED, expressions=[grouped(left), grouped(right)])
    return type(op)(this=grouped(left), expression=grouped(right))


def _regroup(root: exp.Expr, unsigned: set[int]) -> exp.Expr:
    """The chain under ``root`` grouped by Spark's precedence (operator precedence parsing)."""
    operands, operators = _chain(root)
    values: list[exp.Expr] = [operands[0].copy()]
    pending: list[exp.Expr] = []
    for op, operand in zip(operators, operands[1:], strict=True):
        while pending and _LEVEL[type(pending[-1])] >= _LEVEL[type(op)]:
            right = values.pop()
            values.append(_combine(pending.pop(), values.pop(), right, unsigned))
        pending.append(op)
        values.append(operand.copy())
    while pending:
        right = values.pop()
        values.append(_combine(pending.pop(), values.pop(), right, unsigned))
    return values[0]


def repair_bitwise(tree: exp.Expr) -> exp.Expr:
    """``tree`` with ``>>>`` restored and the bitwise operators grouped as Spark groups them."""
    unsigned = _unmark(tree)
    roots = [
        n for n in tree.find_all(*_OPERATORS)
        if not (isinstance(n.parent, _OPERATORS) and n.arg_key == "this")
    ]  # fmt: skip
    for root in reversed(roots):  # the innermost first: an outer chain copies its operands
        new = _regroup(root, unsigned)
        if root is tree:
            return new
        root.replace(new)
    return tree
