"""Spark's ``hmac``, ``to_base32``/``from_base32`` and ``aes_decrypt``/``try_aes_decrypt`` as Python functions.

Each computes on the same bytes as Spark (a STRING argument is its UTF-8 bytes: ``idu_to_binary``)
with Python's standard implementations of the same standards, so the bytes are the same:

* ``hmac(key, message[, algorithm])``: RFC 2104 with MD5, SHA-1, SHA-224, SHA-256 (the default),
  SHA-384 or SHA-512 (a literal, any case, as Java's ``Mac`` names them); an empty key raises as
  in Spark;
* ``to_base32``: RFC 4648 with padding. ``from_base32``: Spark's decoder also accepts text that is
  not canonical base32 and then gives bytes of its own; only canonical text (upper or lower case,
  padding optional) is decoded, anything else is refused when run;
* ``aes_decrypt(input, key[, mode[, padding[, aad]]])``: Spark's ``ExpressionImplUtils``: a 16, 24
  or 32-byte key; GCM (no padding; a 12-byte IV, the ciphertext and a 16-byte tag; the AAD), CBC
  (PKCS#7; a 16-byte IV first) or ECB (PKCS#7); other combinations and bad input raise, and
  ``try_aes_decrypt`` gives NULL instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac as hmac_lib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.more_functions import text
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "anonymous_check",
    "crypto_functions",
    "register_crypto_functions",
]

_HMAC = {"MD5": "md5", "SHA-1": "sha1", "SHA-224": "sha224", "SHA-256": "sha256", "SHA-384": "sha384",
         "SHA-512": "sha512"}  # fmt: skip
_CRYPTO_ERROR = "[INVALID_PARAMETER_VALUE.AES_CRYPTO_ERROR] aes_decrypt: detail message: "


def hmac_digest(key: bytes, message: bytes, algorithm: str) -> bytes:
    if not key:
        raise ValueError("[INVALID_PARAMETER_VALUE.HMAC_CRYPTO_ERROR] hmac: detail message: Empty key")
    return hmac_lib.new(key, message, getattr(hashlib, _HMAC[algorithm.upper()])).digest()


def to_base32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii")


def from_base32(text: str) -> bytes:
    padded = text.upper() + "=" * (-len(text) % 8 if "=" not in text else 0)
    try:
        data = base64.b32decode(padded)
    except ValueError:
        data = None
    if data is None or to_base32(data) != padded:
        raise ValueError(
            "[IDU_REFUSED] from_base32 of text that is not canonical base32 (Spark decodes it its own way)"
        )
    return data


def _aes_parts(mode: str, padding: str) -> tuple[str, bool]:
    """(mode, PKCS#7 padding) of Spark's supported combinations, else raise."""
    mode, padding = mode.upper(), padding.upper()
    supported = {("ECB", "PKCS"): True, ("ECB", "DEFAULT"): True, ("GCM", "NONE"): False,
                 ("GCM", "DEFAULT"): False, ("CBC", "PKCS"): True, ("CBC", "DEFAULT"): True}  # fmt: skip
    if (mode, padding) not in supported:
        raise ValueError(
            f"[UNSUPPORTED_FEATURE.AES_MODE] AES-{mode} with the padding {padding} by aes_decrypt"
        )
    return mode, supported[(mode, padding)]


def aes_decrypt(data: bytes, key: bytes, mode: str, padding: str, aad: bytes) -> bytes:
    from cryptography.hazmat.primitives import padding as pkcs
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(key) not in (16, 24, 32):
        raise ValueError(f"[INVALID_PARAMETER_VALUE.AES_KEY_LENGTH] aes_decrypt: key of {len(key)} bytes")
    mode, pkcs7 = _aes_parts(mode, padding)
    if aad and mode != "GCM":
        raise ValueError(f"[INVALID_PARAMETER_VALUE.AES_UNSUPPORTED_AAD] aes_decrypt: AAD with {mode}")
    try:
        if mode == "GCM":
            return AESGCM(key).decrypt(data[:12], data[12:], aad or None)
        chain = modes.CBC(data[:16]) if mode == "CBC" else modes.ECB()
        body = data[16:] if mode == "CBC" else data
        decryptor = Cipher(algorithms.AES(key), chain).decryptor()
        plain = decryptor.update(body) + decryptor.finalize()
        unpadder = pkcs.PKCS7(128).unpadder()
        return unpadder.update(plain) + unpadder.finalize() if pkcs7 else plain
    except Exception as exc:  # an invalid tag, length or padding: Spark's AES_CRYPTO_ERROR
        raise ValueError(_CRYPTO_ERROR + type(exc).__name__) from None


def try_aes_decrypt(data: bytes, key: bytes, mode: str, padding: str, aad: bytes) -> bytes | None:
    if any(v is None for v in (data, key, mode, padding, aad)):
        return None
    try:
        return aes_decrypt(data, key, mode, padding, aad)
    except ValueError:
        return None


def _bytes(node: exp.Expr) -> exp.Expr:
    return _call("idu_to_binary", node)


def _aes(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    def build(a: list[exp.Expr]) -> exp.Expr:
        mode = a[2] if len(a) > 2 else exp.Literal.string("GCM")
        padding = a[3] if len(a) > 3 else exp.Literal.string("DEFAULT")
        aad = (
            _bytes(a[4])
            if len(a) > 4
            else exp.Cast(this=exp.Literal.string(""), to=exp.DataType.build("BLOB"))
        )
        return _call(name, _bytes(a[0]), _bytes(a[1]), text(mode), text(padding), aad)

    return build


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "hmac": lambda a: _call(
        "idu_hmac", _bytes(a[0]), _bytes(a[1]), a[2] if len(a) > 2 else exp.Literal.string("SHA-256")
    ),
    "aes_decrypt": _aes("idu_aes_decrypt"),
    "try_aes_decrypt": _aes("idu_try_aes_decrypt"),
}
_BUILD: dict[type[exp.Expr], Callable[[list[exp.Expr]], exp.Expr]] = {
    exp.ToBase32: lambda a: _call("idu_to_base32", _bytes(a[0])),
    exp.FromBase32: lambda a: _call("idu_from_base32", text(a[0])),
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(_BUILD)
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}


def anonymous_check(node: exp.Anonymous) -> str | None:
    name, args = node.name.lower(), node.expressions
    if name == "hmac":
        if len(args) not in (2, 3):
            return "hmac with other than two or three arguments"
        algorithm = args[2] if len(args) == 3 else None
        if algorithm is not None and not (
            isinstance(algorithm, exp.Null)
            or (
                isinstance(algorithm, exp.Literal) and algorithm.is_string and algorithm.this.upper() in _HMAC
            )
        ):
            return f"hmac with an algorithm other than the literal {', '.join(_HMAC)}"
        return None
    if not 2 <= len(args) <= 5:
        return f"{name} with {len(args)} arguments"
    return None


@gated(types=_BUILD, names=ANONYMOUS)
def crypto_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above (innermost first) to their Python functions."""
    return rewrite_calls(
        tree, by_type=_BUILD, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.iter_expressions()]
    )


def register_crypto_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register the Python functions on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    blob, varchar = t.BLOB, t.VARCHAR
    functions: tuple[tuple[str, Callable[..., Any], list[Any], Any], ...] = (
        ("idu_hmac", hmac_digest, [blob, blob, varchar], blob),
        ("idu_to_base32", to_base32, [blob], varchar),
        ("idu_from_base32", from_base32, [varchar], blob),
        ("idu_aes_decrypt", aes_decrypt, [blob, blob, varchar, varchar, blob], blob),
        ("idu_try_aes_decrypt", try_aes_decrypt, [blob, blob, varchar, varchar, blob], blob),
    )
    for name, function, parameters, result in functions:
        register_udf(con, name, function, parameters, result, sees_nulls=name.startswith("idu_try_"))
