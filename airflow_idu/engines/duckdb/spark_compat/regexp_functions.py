"""Spark's ``regexp_count``, ``regexp_substr``, ``regexp_instr`` and ``regexp_extract_all`` on RE2.

Spark reads the pattern as a Java regular expression and scans with ``Matcher.find``; DuckDB
reads it with RE2. Only a literal pattern whose every construct means the same in both is
accepted (:func:`java_pattern_check`): literals, classes without nesting or intersection,
groups (``(?:`` but no other ``(?``), quantifiers, ``^``, ``\\A``, ``\\z``, ``\\d \\w`` and their
negations, ``\\x`` escapes. Three constructs read the same except on some characters, and rows
holding those are refused when run (``[IDU_REFUSED]``, :func:`_guard`):

* ``.`` and ``$``: Java's ``.`` also stops at ``\\r``, U+0085, U+2028 and U+2029, and Java's ``$``
  also matches before a final line terminator (``\\n`` included);
* ``\\s``/``\\S``: Java's ``\\s`` also holds the vertical tab U+000B;
* ``\\b``/``\\B``: Java's word boundary counts every Unicode letter and digit as a word character,
  RE2's only ASCII ones, so any non-ASCII character.

A pattern that can match the empty string is refused: Java and RE2 step past empty matches
differently. Then:

* ``regexp_count`` is the number of matches (INT); ``regexp_substr`` the first match, or NULL;
* ``regexp_instr`` the 1-based code-point position of the first match, 0 without one (Spark
  ignores its third argument): the length of the shortest prefix after which the pattern matches;
* ``regexp_extract_all(s, p[, idx])`` each match's group ``idx`` ('' for a group that did not take
  part); an ``idx`` beyond the pattern's groups raises where a match is found, as Spark does.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.more_functions import text
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "REGEXP_MACROS",
    "anonymous_check",
    "guard_java_patterns",
    "java_pattern_check",
    "regexp_functions",
]

_CALLS = (exp.RegexpCount, exp.RegexpSubstr, exp.RegexpInstr, exp.RegexpExtractAll)
# and Spark's raw string literals r'...' (no escapes read: DuckDB's strings have none either)
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({*_CALLS, exp.RawString})
ANONYMOUS: frozenset[str] = frozenset()
_SAME_ESCAPES = frozenset("dDwWtnrfAz\\.-[](){}*+?|^$/ '\"#,:;<>=!@%&_~`")
_GUARDS = {
    "dot": r"\r\x{85}\x{2028}\x{2029}",
    "dollar": r"\n\r\x{85}\x{2028}\x{2029}",
    "space": r"\x{0B}",
    "boundary": r"\x{80}-\x{10FFFF}",
}


def _escape(pattern: str, i: int, guards: set[str]) -> str | None:
    """The refusal for the escape at ``pattern[i]`` (a backslash), or None; adds its guard."""
    c = pattern[i + 1] if i + 1 < len(pattern) else ""
    if c in "sS":
        guards.add("space")
    elif c in "bB":
        guards.add("boundary")
    elif c == "x":
        if not re.match(r"x(?:[0-9A-Fa-f]{2}|\{[0-9A-Fa-f]{1,6}\})", pattern[i + 1 :]):
            return "a \\x escape other than \\xhh or \\x{h...h}"
    elif not c or c not in _SAME_ESCAPES:
        return f"the escape \\{c} (Java and RE2 read it differently)"
    return None


def _flags(pattern: str, i: int, guards: set[str]) -> None:
    """Guards for an inline flag group at ``pattern[i]``: Java's (?i) folds ASCII only, (?m) knows more
    line terminators."""
    flags = re.match(r"\(\?([a-zA-Z-]*)", pattern[i:])
    letters = flags.group(1) if flags else ""
    if "i" in letters:
        guards.add("boundary")
    if "m" in letters:
        guards.add("dollar")


def _scan(pattern: str) -> tuple[str | None, set[str], int]:
    """(the first refusal, guards, number of capturing groups) of a Java pattern; the guards of the
    whole pattern even where it is refused (they protect the functions :mod:`.allowed` accepts too)."""
    guards: set[str] = set()
    refusals: list[str] = []
    groups, i, in_class = 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            refusals.append(_escape(pattern, i, guards) or "")
            i += 2
            continue
        if in_class:
            if ch == "[" or pattern.startswith("&&", i):
                refusals.append("a nested class or a class intersection (Java only)")
            in_class = ch != "]"
        elif ch == "[":
            if pattern[i + 1 : i + 2] == "]" or pattern[i + 1 : i + 3] == "^]":
                refusals.append("a class starting with ]")
            in_class = True
            i += 2 if pattern[i + 1 : i + 2] == "^" else 1
            continue
        elif ch == "(":
            if pattern[i + 1 : i + 2] == "?" and pattern[i + 2 : i + 3] != ":":
                refusals.append("a (? group other than (?: (flags, lookaround, named groups)")
                _flags(pattern, i, guards)
            groups += pattern[i + 1 : i + 2] != "?"
        elif ch in ".$":
            guards.add("dot" if ch == "." else "dollar")
        elif pattern.startswith("{,", i):
            refusals.append("a quantifier {,n} (Java rejects it, RE2 reads it literally)")
        i += 1
    refusals.append("an unclosed class" if in_class else "")
    return next((r for r in refusals if r), None), guards, groups


def _matches_empty(pattern: str) -> bool:
    stripped = re.sub(r"\\[bBAz]|[\^$]", "", pattern)
    try:
        return re.fullmatch(stripped, "") is not None
    except re.error:
        return True


def java_pattern_check(node: exp.Expr | None) -> str | None:
    """Why a pattern argument cannot run on RE2 with Java's meaning, or None."""
    if not (isinstance(node, exp.RawString) or (isinstance(node, exp.Literal) and node.is_string)):
        return "the regular expression must be a string literal"
    refusal = _scan(node.this)[0]
    if refusal:
        return f"regular expression {node.this!r}: {refusal}"
    if _matches_empty(node.this):
        return f"regular expression {node.this!r} can match the empty string (Java and RE2 step past it differently)"
    return None


def _check(node: exp.Expr) -> str | None:
    refusal = java_pattern_check(node.args.get("expression"))
    if refusal or not isinstance(node, exp.RegexpExtractAll):
        return refusal
    group = node.args.get("group")
    if group is not None and not (
        isinstance(group, exp.Literal) and not group.is_string and group.this.isdigit()
    ):
        return "regexp_extract_all with a group index that is not a non-negative integer literal"
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = dict.fromkeys(_CALLS, _check)


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


def _guard(value: exp.Expr, pattern: str) -> exp.Expr:
    guards = _scan(pattern)[1]
    if not guards:
        return value
    chars = "".join(_GUARDS[g] for g in sorted(guards))
    return _call("idu_regex_guard", value, exp.Literal.string(f"[{chars}]"))


def _build(node: exp.Expr) -> exp.Expr:
    pattern = node.args["expression"].this
    value = _guard(text(node.this.copy()), pattern)
    p = exp.Literal.string(pattern)
    if isinstance(node, exp.RegexpCount):
        return _call("idu_regexp_count", value, p)
    if isinstance(node, exp.RegexpSubstr):
        return _call("idu_regexp_substr", value, p)
    if isinstance(node, exp.RegexpInstr):
        return _call("idu_regexp_instr", value, p, exp.Literal.string(f"^((?s:.)*?)(?:{pattern})"))
    group = node.args.get("group")
    index = int(group.this) if group is not None else 1
    if index > _scan(pattern)[2]:
        return _call("idu_regexp_group_error", value, p, exp.Literal.number(index))
    return _call("idu_regexp_extract_all", value, p, exp.Literal.number(index))


_JAVA_PATTERNS = (exp.RegexpLike, exp.RegexpExtract, exp.RegexpReplace, exp.RegexpSplit)


def _escaped(pattern: str, i: int) -> bool:
    """``pattern[i]`` follows an odd number of backslashes."""
    slashes = len(pattern[:i]) - len(pattern[:i].rstrip("\\"))
    return slashes % 2 == 1


def find_core(pattern: str) -> str:
    """What rlike needs of ``pattern``: rlike asks whether a match starts anywhere, so a leading or
    trailing greedy ``.*``, which may match nothing, changes no answer, in Java as in RE2 (``.*@.*``
    finds exactly where ``@`` does). Without it, no ``.`` is left to guard, and the engine may test
    for a plain substring. Patterns with alternation, groups of ``(?`` or quoting keep their ``.*``."""
    if "|" in pattern or "(?" in pattern or "\\Q" in pattern:
        return pattern
    core = pattern
    if core.startswith(".*") and core[2:3] not in ("?", "+", "*", "{"):
        core = core[2:]
    if core.endswith(".*") and not _escaped(core, len(core) - 2):
        core = core[:-2]
    return core or pattern


@gated(types=_JAVA_PATTERNS)
def guard_java_patterns(tree: exp.Expr) -> exp.Expr:
    """rlike, regexp_extract, regexp_replace and split (accepted by :mod:`.allowed`'s own check):
    the rows where Java and RE2 read their literal pattern differently refused when run. After the
    implicit casts, so that the guarded value is already text. rlike runs its :func:`find_core`."""
    for node in tree.find_all(*_JAVA_PATTERNS):
        pattern = node.args.get("expression")
        if isinstance(pattern, exp.Literal | exp.RawString) and node.this is not None:
            text = find_core(pattern.this) if isinstance(node, exp.RegexpLike) else pattern.this
            if text != pattern.this:
                node.set("expression", exp.Literal.string(text))
            node.set("this", _guard(node.this.copy(), text))
    return tree


@gated(types=_CALLS)
def regexp_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the four functions (innermost first)."""
    return replace_each(tree, reversed(list(tree.find_all(*_CALLS))), _build)


REGEXP_MACROS: tuple[str, ...] = (
    _macro(
        "idu_regex_guard(s, chars)",
        "CASE WHEN regexp_matches(s, chars) THEN error('[IDU_REFUSED] a regular expression over a line terminator, "
        "a vertical tab or a non-ASCII character where Java and RE2 read the pattern differently') ELSE s END",
    ),
    _macro("idu_regexp_count(s, p)", "CAST(len(regexp_extract_all(s, p, 0)) AS INTEGER)"),
    _macro("idu_regexp_substr(s, p)", "CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p, 0) END"),
    _macro(
        "idu_regexp_instr(s, p, prefixed)",
        "CAST(CASE WHEN s IS NULL THEN NULL WHEN regexp_matches(s, p) THEN length(regexp_extract(s, prefixed, 1)) + 1 "
        "ELSE 0 END AS INTEGER)",
    ),
    _macro(
        "idu_regexp_extract_all(s, p, i)",
        "list_transform(regexp_extract_all(s, p, i), lambda idu_g: coalesce(idu_g, ''))",
    ),
    _macro(
        "idu_regexp_group_error(s, p, i)",
        "CASE WHEN s IS NULL THEN NULL WHEN regexp_matches(s, p) THEN error('[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] "
        "regexp_extract_all: the group index ' || i || ' is beyond the pattern''s groups') ELSE CAST([] AS VARCHAR[]) END",
    ),
)
