"""A subset of XPath 1.0, evaluated as Xalan (the JDK's ``javax.xml.xpath``) evaluates it for Spark.

The expressions: a location path (``a/b``, ``/a``, ``//b``, ``a//b``, ``.``, ``..``, ``*``, ``@x``,
``@*``, ``text()``, ``node()``) whose steps may carry predicates ``[n]`` (a position) or ``[path]``,
``[path = literal]``, ``[path != literal]`` (a string or number literal); ``sum(path)`` and
``count(path)``; and, for a boolean, ``path = literal`` or ``path != literal``. Anything else
(other axes and functions, unions, arithmetic, variables) is refused when translated.

XPath 1.0's conversions, as Xalan does them: a node's string value (an element's is the text of
its descendants in document order); a string's number is NaN unless it is, between blanks, an
optional ``-`` and digits with an optional ``.`` (no ``+``, exponent or ``Infinity``: Java's
``Double.parseDouble`` of that, correctly rounded like Python's ``float``); ``sum`` adds in document
order (plain double additions); a node set compared with a string (a number) is true when some
node's string value (its number) compares so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from airflow_idu.engines.duckdb.spark_compat.xml_document import Node

__all__ = ["Compiled", "Unsupported", "compile_xpath", "number_of", "string_value"]

_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
_TOKEN = re.compile(
    rf"[ \t\r\n]*(?:(//|/|\.\.|!=|[.@*\[\]()=|])|({_NAME})|([0-9]+(?:\.[0-9]*)?|\.[0-9]+)|\"([^\"]*)\"|'([^']*)')"
)
_NUMBER = re.compile(r"[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*")


class Unsupported(ValueError):
    """An XPath expression outside the subset."""


@dataclass(frozen=True)
class Step:
    axis: str  # child, attribute, self, parent, descendant-or-self
    test: str  # a name, "*", "text()" or "node()"
    predicates: tuple[Predicate, ...] = ()


@dataclass(frozen=True)
class Path:
    absolute: bool
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Comparison:
    path: Path
    operator: str  # "=" or "!=", or "" (the path's node set is not empty)
    literal: str | float | None = None


@dataclass(frozen=True)
class Predicate:
    position: int = 0  # [n]; 0: a comparison
    comparison: Comparison | None = None


@dataclass(frozen=True)
class Compiled:
    kind: str  # path, sum, count, compare
    comparison: Comparison


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: op, name, number, literal."""
    out, pos = [], 0
    while text[pos:].strip(" \t\r\n"):
        found = _TOKEN.match(text, pos)
        if found is None:
            raise Unsupported(f"the XPath expression {text!r} (outside the supported subset)")
        kind = ("op", "name", "number", "literal", "literal")[found.lastindex - 1 if found.lastindex else 0]
        out.append((kind, found.group(found.lastindex or 0)))
        pos = found.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self, kind: str, value: str | None = None) -> str:
        found = self.peek()
        if found[0] != kind or (value is not None and found[1] != value):
            raise Unsupported(f"the XPath expression {self.text!r} (outside the supported subset)")
        self.pos += 1
        return found[1]

    def path(self, relative_only: bool = False) -> Path:
        absolute, steps = False, []
        if self.peek() in (("op", "/"), ("op", "//")) and not relative_only:
            absolute = True
            if self.take("op") == "//":
                steps.append(Step("descendant-or-self", "node()"))
            elif not self._starts_step():
                return Path(True, ())
        steps.append(self.step())
        while self.peek() in (("op", "/"), ("op", "//")):
            if self.take("op") == "//":
                steps.append(Step("descendant-or-self", "node()"))
            steps.append(self.step())
        return Path(absolute, tuple(steps))

    def _starts_step(self) -> bool:
        kind, value = self.peek()
        return kind == "name" or (kind == "op" and value in (".", "..", "@", "*"))

    def step(self) -> Step:
        kind, value = self.peek()
        if kind == "op" and value in (".", ".."):
            self.pos += 1
            return Step("self" if value == "." else "parent", "node()")
        axis = "attribute" if (kind, value) == ("op", "@") else "child"
        if axis == "attribute":
            self.pos += 1
        if self.peek() == ("op", "*"):
            self.pos += 1
            test = "*"
        else:
            test = self.take("name")
            if self.peek() == ("op", "("):
                if test not in ("text", "node"):
                    raise Unsupported(
                        f"the XPath function or node test {test}() (outside the supported subset)"
                    )
                self.take("op", "(")
                self.take("op", ")")
                test += "()"
        predicates = []
        while self.peek() == ("op", "["):
            self.pos += 1
            predicates.append(self.predicate())
            self.take("op", "]")
        return Step(axis, test, tuple(predicates))

    def predicate(self) -> Predicate:
        kind, value = self.peek()
        if kind == "number":
            if not value.isdigit():
                raise Unsupported("a predicate with a number that is not a whole number")
            self.pos += 1
            return Predicate(position=int(value))
        return Predicate(comparison=self.comparison(relative_only=True))

    def comparison(self, relative_only: bool = False) -> Comparison:
        path = self.path(relative_only)
        if self.peek() not in (("op", "="), ("op", "!=")):
            return Comparison(path, "")
        operator = self.take("op")
        kind, value = self.peek()
        if kind not in ("number", "literal"):
            raise Unsupported("a comparison with something other than a string or number literal")
        self.pos += 1
        return Comparison(path, operator, float(value) if kind == "number" else value)


@lru_cache(maxsize=256)
def compile_xpath(text: str) -> Compiled:
    """The expression ``text`` (raises Unsupported outside the subset)."""
    parser = _Parser(text)
    if parser.peek()[0] == "name" and parser.peek(1) == ("op", "(") and parser.peek()[1] in ("sum", "count"):
        kind = parser.take("name")
        parser.take("op", "(")
        compiled = Compiled(kind, Comparison(parser.path(), ""))
        parser.take("op", ")")
    else:
        comparison = parser.comparison()
        compiled = Compiled("compare" if comparison.operator else "path", comparison)
    parser.take("end")
    return compiled


# -- evaluation -------------------------------------------------------------------------


def string_value(node: Node) -> str:
    if node.kind in ("text", "attribute"):
        return node.value
    parts, pending = [], list(reversed(node.children))
    while pending:
        child = pending.pop()
        if child.kind == "text":
            parts.append(child.value)
        else:
            pending.extend(reversed(child.children))
    return "".join(parts)


def number_of(text: str) -> float:
    """XPath's number() of a string, as Xalan reads it."""
    return float(text) if _NUMBER.fullmatch(text) else math.nan


def _descendants_or_self(node: Node) -> list[Node]:
    out, pending = [], [node]
    while pending:
        current = pending.pop()
        out.append(current)
        pending.extend(reversed(current.children))
    return out


def _matches(node: Node, test: str, principal: str) -> bool:
    if test == "node()":
        return True
    if test == "text()":
        return node.kind == "text"
    return node.kind == principal and (test == "*" or node.name == test)


def _axis(node: Node, step: Step) -> list[Node]:
    if step.axis == "child":
        return [c for c in node.children if _matches(c, step.test, "element")]
    if step.axis == "attribute":
        return [a for a in node.attributes if _matches(a, step.test, "attribute")]
    if step.axis == "self":
        return [node]
    if step.axis == "parent":
        return [node.parent] if node.parent is not None else []
    return _descendants_or_self(node)


def _filter(nodes: list[Node], predicate: Predicate) -> list[Node]:
    if predicate.comparison is None:
        return nodes[predicate.position - 1 : predicate.position] if predicate.position > 0 else []
    return [n for n in nodes if compare(predicate.comparison, n)]


def select(path: Path, context: Node) -> list[Node]:
    """The node set of ``path`` from ``context``, in document order."""
    if path.absolute:
        while context.parent is not None:
            context = context.parent
    nodes = [context]
    for step in path.steps:
        found: dict[int, Node] = {}
        for node in nodes:
            selected = _axis(node, step)
            for predicate in step.predicates:
                selected = _filter(selected, predicate)
            found.update((n.order, n) for n in selected)
        nodes = [found[k] for k in sorted(found)]
    return nodes


_COMPARE: dict[str, Callable[[object, object], bool]] = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b}


def compare(comparison: Comparison, context: Node) -> bool:
    nodes = select(comparison.path, context)
    if not comparison.operator:
        return bool(nodes)
    test = _COMPARE[comparison.operator]
    if isinstance(comparison.literal, float):
        return any(test(number_of(string_value(n)), comparison.literal) for n in nodes)
    return any(test(string_value(n), comparison.literal) for n in nodes)
