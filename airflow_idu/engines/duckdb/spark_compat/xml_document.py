"""The XML documents the ``xpath`` functions read: a strict subset of XML 1.0, as Spark's DOM holds it.

Spark parses the text with the JDK's ``DocumentBuilder`` (Xerces, not namespace-aware) and runs the
XPath on that DOM (Xalan). The engine reads only documents made of: an optional ``<?xml
version="1.0"?>`` declaration (encoding UTF-8, ISO-8859-1 or US-ASCII, standalone) at the very
start, then one root element; elements and attributes named by ASCII names without a colon;
attribute values without ``&`` or ``<`` (line breaks and tabs in them read as spaces, as XML
normalizes them); text with the five predefined entities and character references. Whitespace
around the root is dropped, whitespace text inside it is kept, ``\\r\\n`` and ``\\r`` read as
``\\n``; an element's attributes come in name order (Xerces' attribute map sorts them).

Text whose first non-blank character is not ``<`` (or that is blank) is no XML document: Spark
raises, and so does the engine. Any other text outside this subset (comments, CDATA, DOCTYPE,
processing instructions, namespaces, other entities, malformed markup) is refused when run: it
may be a document the engine does not model, or one Spark rejects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["INVALID", "REFUSED", "Node", "parse_document"]

REFUSED = "[IDU_REFUSED]"
INVALID = "Invalid XML document"
_BLANK = " \t\r\n"
_S = "[ \t\r\n]"
_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
_VALUE = "(?:\"[^\"<&]*\"|'[^'<&]*')"
_OPEN = re.compile(rf"<({_NAME})((?:{_S}+{_NAME}{_S}*={_S}*{_VALUE})*){_S}*(/?)>")
_ATTRIBUTE = re.compile(rf"{_S}+({_NAME}){_S}*={_S}*(?:\"([^\"<&]*)\"|'([^'<&]*)')")
_CLOSE = re.compile(rf"</({_NAME}){_S}*>")
_TEXT = re.compile(r"[^<&]+")
_REFERENCE = re.compile(r"&(?:(amp|lt|gt|apos|quot)|#([0-9]+)|#x([0-9A-Fa-f]+));")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "apos": "'", "quot": '"'}
_QUOTED = r"(?:\"{0}\"|'{0}')"
_DECLARATION = re.compile(
    rf"<\?xml{_S}+version{_S}*={_S}*{_QUOTED.format('1[.]0')}"
    rf"(?:{_S}+encoding{_S}*={_S}*{_QUOTED.format('(?i:UTF-8|ISO-8859-1|US-ASCII)')})?"
    rf"(?:{_S}+standalone{_S}*={_S}*{_QUOTED.format('(?:yes|no)')})?{_S}*\?>"
)
# the characters XML 1.0 allows (a document with any other is rejected by Xerces)
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _is_xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


@dataclass(eq=False, slots=True)
class Node:
    """A DOM node: ``kind`` is root, element, text or attribute; ``order`` is document order."""

    kind: str
    name: str = ""
    value: str = ""
    parent: Node | None = None
    order: int = 0
    children: list[Node] = field(default_factory=list)
    attributes: list[Node] = field(default_factory=list)


def _refuse(what: str) -> ValueError:
    return ValueError(
        f"{REFUSED} xpath of an XML document with {what}: outside the XML the engine reads exactly"
    )


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _text(document: str, pos: int) -> tuple[str, int]:
    """The character data from ``pos`` to the next ``<``, references replaced."""
    parts: list[str] = []
    while pos < len(document) and document[pos] != "<":
        raw = _TEXT.match(document, pos)
        if raw is not None:
            if "]]>" in raw.group():
                raise _refuse("']]>' in text")
            parts.append(_lines(raw.group()))
            pos = raw.end()
            continue
        ref = _REFERENCE.match(document, pos)
        if ref is None:
            raise _refuse("an '&' that is not a predefined entity or a character reference")
        if ref.group(1):
            parts.append(_ENTITIES[ref.group(1)])
        else:
            code = int(ref.group(2)) if ref.group(2) else int(ref.group(3), 16)
            if not _is_xml_char(code):
                raise _refuse("a character reference to a character XML does not allow")
            parts.append(chr(code))
        pos = ref.end()
    return "".join(parts), pos


def _attributes(element: Node, text: str) -> None:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1)
        if name in found or name == "xmlns":
            raise _refuse("a repeated attribute or an xmlns attribute")
        value = match.group(2) if match.group(2) is not None else match.group(3)
        found[name] = re.sub("[\t\n]", " ", _lines(value))
    element.attributes = [Node("attribute", name, found[name], element) for name in sorted(found)]


class _Builder:
    def __init__(self) -> None:
        self.root = Node("root")
        self.stack = [self.root]
        self.count = 0

    def add(self, node: Node) -> None:
        node.parent = self.stack[-1]
        node.order = self.count = self.count + 1
        self.stack[-1].children.append(node)

    def open(self, match: re.Match[str]) -> None:
        element = Node("element", match.group(1))
        self.add(element)
        _attributes(element, match.group(2))
        for attribute in element.attributes:
            attribute.order = self.count = self.count + 1
        if not match.group(3):
            self.stack.append(element)


def _element_or_close(builder: _Builder, document: str, pos: int) -> int:
    if document.startswith("</", pos):
        close = _CLOSE.match(document, pos)
        if close is None or len(builder.stack) == 1 or close.group(1) != builder.stack[-1].name:
            raise _refuse("an end tag that does not close the open element")
        builder.stack.pop()
        return close.end()
    opened = _OPEN.match(document, pos)
    if opened is None:
        raise _refuse(
            "markup other than elements (comments, CDATA, DOCTYPE, instructions) or a malformed tag"
        )
    builder.open(opened)
    return opened.end()


def parse_document(document: str) -> Node:
    """The DOM of ``document``; raises ValueError (INVALID, or a refusal) where the engine does not read it."""
    start = len(document) - len(document.lstrip(_BLANK))
    if start == len(document) or document[start] != "<":
        raise ValueError(f"{INVALID}: content before the root element, or none")
    if _NOT_XML_CHAR.search(document):
        raise _refuse("a character XML 1.0 does not allow")
    declaration = _DECLARATION.match(document)
    pos = declaration.end() if declaration else 0
    builder = _Builder()
    while pos < len(document):
        if len(builder.stack) == 1:  # outside the root: blanks, then the root once
            blank = len(document) - len(document[pos:].lstrip(_BLANK))
            if blank == len(document):
                break
            if builder.root.children or document[blank] != "<":
                raise _refuse("content after the root element")
            pos = _element_or_close(builder, document, blank)
        elif document[pos] == "<":
            pos = _element_or_close(builder, document, pos)
        else:
            value, pos = _text(document, pos)
            builder.add(Node("text", value=value))
    if len(builder.stack) != 1 or not builder.root.children:
        raise _refuse("an element left open")
    return builder.root
