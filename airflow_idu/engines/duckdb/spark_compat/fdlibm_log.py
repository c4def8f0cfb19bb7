"""fdlibm 5.3's ``log`` and ``log10``, bit for bit (see :mod:`.fdlibm`), and Spark's functions on them.

Ports of OpenJDK's ``FdLibm.Log`` (fdlibm's ``__ieee754_log``, e_log.c) and ``FdLibm.Log10``
(``__ieee754_log10``, e_log10.c, which calls ``log``): the same constants as the same hex literals,
the same operations in the same order. Java's ``-TWO54/0.0`` and ``(x - x)/0.0`` are written as their
values (-Infinity, NaN).

Then Spark 4.3's own formulas on ``StrictMath`` (read with ``javap -c`` from spark-catalyst's
``Log2``, ``Logarithm``, ``Atanh`` and ``ExpressionImplUtils.asinh``/``acosh``; the generated code
and the interpreted ``eval`` run the same operations): each operation rounds as Java's does, and a
division is Java's (:func:`java_divide`: a zero divisor gives ±Infinity or NaN, not an exception).
"""

from __future__ import annotations

import math

from airflow_idu.engines.duckdb.spark_compat.fdlibm import EXP_BITS, EXP_SIGNIF_BITS, INF, NAN, hi, lo, set_hi
from airflow_idu.engines.duckdb.spark_compat.fdlibm_hyperbolic import log1p

__all__ = ["acosh", "asinh", "atanh", "java_divide", "log", "log2", "log10", "logarithm"]

_TWO54 = float.fromhex("0x1.0p54")  # 1.80143985094819840000e+16
_LN2_HI = float.fromhex("0x1.62e42feep-1")  # 6.93147180369123816490e-01
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")  # 1.90821492927058770002e-10
_LG1 = float.fromhex("0x1.5555555555593p-1")  # 6.666666666666735130e-01
_LG2 = float.fromhex("0x1.999999997fa04p-2")  # 3.999999999940941908e-01
_LG3 = float.fromhex("0x1.2492494229359p-2")  # 2.857142874366239149e-01
_LG4 = float.fromhex("0x1.c71c51d8e78afp-3")  # 2.222219843214978396e-01
_LG5 = float.fromhex("0x1.7466496cb03dep-3")  # 1.818357216161805012e-01
_LG6 = float.fromhex("0x1.39a09d078c69fp-3")  # 1.531383769920937332e-01
_LG7 = float.fromhex("0x1.2f112df3e5244p-3")  # 1.479819860511658591e-01


def _reduce(x: float) -> tuple[float, int, int] | float:
    """The start both logs share: x scaled up if subnormal and its exponent k, or the result of an edge
    (log(±0) = -Infinity, log(negative) = NaN, log(+Infinity or NaN) = x + x)."""
    hx = hi(x)
    k = 0
    if hx < 0x0010_0000:  # x < 2**-1022
        if ((hx & EXP_SIGNIF_BITS) | lo(x)) == 0:  # log(+-0) = -inf
            return -INF
        if hx < 0:  # log(-#) = NaN
            return NAN
        k -= 54
        x *= _TWO54  # subnormal number, scale up x
        hx = hi(x)
    if hx >= EXP_BITS:
        return x + x
    return x, hx, k


def log(x: float) -> float:
    """``FdLibm.Log.compute`` (fdlibm's ``__ieee754_log``)."""
    reduced = _reduce(x)
    if isinstance(reduced, float):
        return reduced
    x, hx, k = reduced
    k += (hx >> 20) - 1023
    hx &= 0x000F_FFFF
    i = (hx + 0x9_5F64) & 0x10_0000
    x = set_hi(x, hx | (i ^ 0x3FF0_0000))  # normalize x or x/2
    k += i >> 20
    f = x - 1.0
    if (0x000F_FFFF & (2 + hx)) < 3:  # |f| < 2**-20
        if f == 0.0:
            if k == 0:
                return 0.0
            dk = float(k)
            return dk * _LN2_HI + dk * _LN2_LO
        r = f * f * (0.5 - 0.33333333333333333 * f)
        if k == 0:
            return f - r
        dk = float(k)
        return dk * _LN2_HI - ((r - dk * _LN2_LO) - f)
    s = f / (2.0 + f)
    dk = float(k)
    z = s * s
    i = hx - 0x6_147A
    w = z * z
    j = 0x6B851 - hx
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    i |= j
    r = t2 + t1
    if i > 0:
        hfsq = 0.5 * f * f
        if k == 0:
            return f - (hfsq - s * (hfsq + r))
        return dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO)) - f)
    if k == 0:
        return f - s * (f - r)
    return dk * _LN2_HI - ((s * (f - r) - dk * _LN2_LO) - f)


_IVLN10 = float.fromhex("0x1.bcb7b1526e50ep-2")  # 4.34294481903251816668e-01
_LOG10_2HI = float.fromhex("0x1.34413509f6p-2")  # 3.01029995663611771306e-01
_LOG10_2LO = float.fromhex("0x1.9fef311f12b36p-42")  # 3.69423907715893078616e-13


def log10(x: float) -> float:
    """``FdLibm.Log10.compute`` (fdlibm's ``__ieee754_log10``)."""
    reduced = _reduce(x)
    if isinstance(reduced, float):
        return reduced
    x, hx, k = reduced
    k += (hx >> 20) - 1023
    i = 1 if k < 0 else 0  # (k & SIGN_BIT) >>> 31
    hx = (hx & 0x000F_FFFF) | ((0x3FF - i) << 20)
    y = float(k + i)
    x = set_hi(x, hx)  # replace high word of x with hx
    z = y * _LOG10_2LO + _IVLN10 * log(x)
    return z + y * _LOG10_2HI


def java_divide(a: float, b: float) -> float:
    """Java's ``a / b``: as Python's, but a zero divisor gives ±Infinity (or NaN for 0/0, NaN/0)."""
    if b != 0.0:
        return a / b
    if a == 0.0 or math.isnan(a):
        return NAN
    return math.copysign(INF, a) * math.copysign(1.0, b)


_LOG_2 = log(2.0)


def log2(x: float) -> float:
    """Spark's ``Log2`` on x > 0: ``StrictMath.log(x) / StrictMath.log(2)``."""
    return log(x) / _LOG_2


def logarithm(base: float, x: float) -> float:
    """Spark's ``Logarithm`` on base > 0 and x > 0: ``StrictMath.log(x) / StrictMath.log(base)``
    (log(1) is 0.0: a zero divisor)."""
    return java_divide(log(x), log(base))


def asinh(x: float) -> float:
    """Spark's ``ExpressionImplUtils.asinh``."""
    a = abs(x)
    if math.isinf(a) or math.isnan(a) or a < float.fromhex("0x1.0p-28"):  # 3.725290298461914E-9
        w = a
    elif a > float.fromhex("0x1.0p28"):  # 2.68435456E8
        w = log(a) + _LOG_2
    elif a > 2.0:
        w = log(2.0 * a + 1.0 / (math.sqrt(x * x + 1.0) + a))
    else:
        t = x * x
        w = log1p(a + t / (1.0 + math.sqrt(1.0 + t)))
    return math.copysign(w, x)  # Math.copySign: NaN's sign bit is irrelevant, NaN stays NaN


def acosh(x: float) -> float:
    """Spark's ``ExpressionImplUtils.acosh`` (NaN below 1, and NaN for NaN through log1p)."""
    if x < 1.0:
        return NAN
    if x >= float.fromhex("0x1.0p28"):
        return log(x) + _LOG_2
    if x == 1.0:
        return 0.0
    if x > 2.0:
        return log(2.0 * x - 1.0 / (x + math.sqrt(x * x - 1.0)))
    t = x - 1.0
    return log1p(t + math.sqrt(2.0 * t + t * t))


def atanh(x: float) -> float:
    """Spark's ``Atanh``: ``0.5 * (StrictMath.log1p(x) - StrictMath.log1p(-x))``."""
    return 0.5 * (log1p(x) - log1p(-x))
