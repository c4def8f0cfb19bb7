"""fdlibm 5.3 in Python, bit for bit: the algorithms Java's ``StrictMath`` is specified to run.

A line-by-line port of OpenJDK's ``java.lang.FdLibm`` (its pure-Java port of fdlibm, JDK 21+; the
JDK 17 ``StrictMath`` natives are the same fdlibm C code): the same constants as the same hex
literals, the same operations in the same order. Python floats are IEEE doubles rounded to
nearest, as Java's ``double`` arithmetic is (strictfp everywhere since JDK 17), so each ``+ - * /``
and ``math.sqrt`` rounds as Java's does and the results are Java's to the last bit. Java's
``(x - x)/(x - x)`` for a NaN and ``huge * huge`` for an overflow are written as their values
(Python raises on a float division by zero). The words of a double are read and set through its
64 bits: ``hi`` is the signed high 32-bit word (Java's ``__HI``), ``lo`` the low word unsigned (every
use of ``__LO`` is a test for zero or an unsigned comparison).

This module: the word helpers, ``cbrt``, ``hypot`` and ``exp`` (``__ieee754_exp``, which ``sinh`` and
``cosh`` call); :mod:`.fdlibm_trig` has the inverse trigonometric functions, :mod:`.fdlibm_hyperbolic`
``expm1``, ``log1p`` and the hyperbolic ones.
"""

from __future__ import annotations

import math
import struct

__all__ = ["INF", "NAN", "cbrt", "exp", "hi", "hi_lo", "hypot", "lo", "set_hi", "set_lo"]

_DOUBLE = struct.Struct("<d")
_BITS = struct.Struct("<Q")
INF = math.inf
NAN = math.nan
EXP_BITS = 0x7FF0_0000
EXP_SIGNIF_BITS = 0x7FFF_FFFF


def _bits(x: float) -> int:
    return int(_BITS.unpack(_DOUBLE.pack(x))[0])


def _double(bits: int) -> float:
    return float(_DOUBLE.unpack(_BITS.pack(bits & 0xFFFF_FFFF_FFFF_FFFF))[0])


def hi(x: float) -> int:
    """Java's ``__HI(x)``: the high 32 bits as a signed int."""
    word = _bits(x) >> 32
    return word - (1 << 32) if word & 0x8000_0000 else word


def lo(x: float) -> int:
    """The low 32 bits, unsigned (Java's ``__LO(x)`` only tested for zero or compared unsigned)."""
    return _bits(x) & 0xFFFF_FFFF


def set_hi(x: float, high: int) -> float:
    """Java's ``__HI(x, high)``: x with its high word replaced (an int: wrapped to 32 bits)."""
    return _double(((high & 0xFFFF_FFFF) << 32) | (_bits(x) & 0xFFFF_FFFF))


def set_lo(x: float, low: int) -> float:
    """Java's ``__LO(x, low)``: x with its low word replaced."""
    return _double((_bits(x) & 0xFFFF_FFFF_0000_0000) | (low & 0xFFFF_FFFF))


def hi_lo(high: int, low: int) -> float:
    """Java's ``__HI_LO(high, low)``."""
    return _double(((high & 0xFFFF_FFFF) << 32) | (low & 0xFFFF_FFFF))


# Cbrt
_B1 = 715094163  # B1 = (682-0.03306235651)*2**20
_B2 = 696219795  # B2 = (664-0.03306235651)*2**20
_C = float.fromhex("0x1.15f15f15f15f1p-1")  # 19/35 ~= 5.42857142857142815906e-01
_D = -float.fromhex("0x1.691de2532c834p-1")  # -864/1225 ~= 7.05306122448979611050e-01
_E = float.fromhex("0x1.6a0ea0ea0ea0fp0")  # 99/70 ~= 1.41428571428571436819e+00
_F = float.fromhex("0x1.9b6db6db6db6ep0")  # 45/28 ~= 1.60714285714285720630e+00
_G = float.fromhex("0x1.6db6db6db6db7p-2")  # 5/14 ~= 3.57142857142857150787e-01


def cbrt(x: float) -> float:
    """``FdLibm.Cbrt.compute``."""
    t = 0.0
    if x == 0.0 or not math.isfinite(x):
        return x  # handles signed zeros properly
    sign = -1.0 if x < 0.0 else 1.0
    x = abs(x)
    # rough cbrt to 5 bits (the high words are positive: Java's int division truncates like //)
    if x < float.fromhex("0x1.0p-1022"):  # subnormal number
        t = float.fromhex("0x1.0p54")
        t *= x
        t = set_hi(t, hi(t) // 3 + _B2)
    else:
        t = set_hi(t, hi(x) // 3 + _B1)
    # new cbrt to 23 bits
    r = t * t / x
    s = _C + r * t
    t *= _G + _F / (s + _E + _D / s)
    # chopped to 20 bits and made larger than cbrt(x)
    t = set_lo(t, 0)
    t = set_hi(t, hi(t) + 0x00000001)
    # one step newton iteration to 53 bits with error less than 0.667 ulps
    s = t * t  # t*t is exact
    r = x / s
    w = t + t
    r = (r - t) / (w + r)  # r-s is exact
    t = t + t * r
    return sign * t


_TWO_MINUS_600 = float.fromhex("0x1.0p-600")
_TWO_PLUS_600 = float.fromhex("0x1.0p+600")


def hypot(x: float, y: float) -> float:
    """``FdLibm.Hypot.compute``."""
    a, b = abs(x), abs(y)
    if not math.isfinite(a) or not math.isfinite(b):
        return INF if a == INF or b == INF else a + b
    if b > a:
        a, b = b, a
    ha, hb = hi(a), hi(b)
    if (ha - hb) > 0x3C00000:
        return a + b  # x / y > 2**60
    k = 0
    if a > float.fromhex("0x1.00000ffffffffp500"):  # a > ~2**500: scale a and b by 2**-600
        ha -= 0x25800000
        hb -= 0x25800000
        a = a * _TWO_MINUS_600
        b = b * _TWO_MINUS_600
        k += 600
    if b < float.fromhex("0x1.0p-500"):
        if b < float.fromhex("0x1.0p-1022"):  # subnormal b or 0
            if b == 0.0:
                return a
            t1 = float.fromhex("0x1.0p1022")
            b *= t1
            a *= t1
            k -= 1022
        else:  # scale a and b by 2^600
            ha += 0x25800000
            hb += 0x25800000
            a = a * _TWO_PLUS_600
            b = b * _TWO_PLUS_600
            k -= 600
    w = _hypot_medium(a, b, ha, hb)
    # Java's Math.powerOfTwoD(k) for k in {600, -600, -1022}: an exact power of two
    return 2.0**k * w if k != 0 else w


def _hypot_medium(a: float, b: float, ha: int, hb: int) -> float:
    w = a - b
    if w > b:
        t1 = set_hi(0.0, ha)
        t2 = a - t1
        return math.sqrt(t1 * t1 - (b * (-b) - t2 * (a + t1)))
    a = a + a
    y1 = set_hi(0.0, hb)
    y2 = b - y1
    t1 = set_hi(0.0, ha + 0x00100000)
    t2 = a - t1
    return math.sqrt(t1 * y1 - (w * (-w) - (t1 * y2 + t2 * b)))


# Exp
_HUGE = 1.0e300
_TWOM1000 = float.fromhex("0x1.0p-1000")  # 9.33263618503218878990e-302 = 2^-1000
_O_THRESHOLD = float.fromhex("0x1.62e42fefa39efp9")  # 7.09782712893383973096e+02
_U_THRESHOLD = -float.fromhex("0x1.74910d52d3051p9")  # -7.45133219101941108420e+02
_LN2HI = float.fromhex("0x1.62e42feep-1")  # 6.93147180369123816490e-01
_LN2LO = (float.fromhex("0x1.a39ef35793c76p-33"), -float.fromhex("0x1.a39ef35793c76p-33"))
_INVLN2 = float.fromhex("0x1.71547652b82fep0")  # 1.44269504088896338700e+00
_P1 = float.fromhex("0x1.555555555553ep-3")  # 1.66666666666666019037e-01
_P2 = -float.fromhex("0x1.6c16c16bebd93p-9")  # -2.77777777770155933842e-03
_P3 = float.fromhex("0x1.1566aaf25de2cp-14")  # 6.61375632143793436117e-05
_P4 = -float.fromhex("0x1.bbd41c5d26bf1p-20")  # -1.65339022054652515390e-06
_P5 = float.fromhex("0x1.6376972bea4d0p-25")  # 4.13813679705723846039e-08


def exp(x: float) -> float:
    """``FdLibm.Exp.compute`` (fdlibm's ``__ieee754_exp``)."""
    hi_ = lo_ = 0.0
    k = 0
    hx = hi(x)
    xsb = (hx >> 31) & 1  # sign bit of x
    hx &= EXP_SIGNIF_BITS  # high word of |x|
    if hx >= 0x40862E42:  # if |x| >= 709.78...
        if hx >= 0x7FF00000:
            if ((hx & 0xFFFFF) | lo(x)) != 0:
                return x + x  # NaN
            return x if xsb == 0 else 0.0  # exp(+-inf) = {inf, 0}
        if x > _O_THRESHOLD:
            return INF  # overflow (huge * huge)
        if x < _U_THRESHOLD:
            return 0.0  # underflow (twom1000 * twom1000)
    if hx > 0x3FD62E42:  # if |x| > 0.5 ln2
        if hx < 0x3FF0A2B2:  # and |x| < 1.5 ln2
            hi_ = x - _LN2HI * (1 - 2 * xsb)
            lo_ = _LN2LO[xsb]
            k = 1 - xsb - xsb
        else:
            k = int(_INVLN2 * x + 0.5 * (1 - 2 * xsb))  # Java's (int): toward zero
            t = float(k)
            hi_ = x - t * _LN2HI  # t*ln2HI is exact here
            lo_ = t * _LN2LO[0]
        x = hi_ - lo_
    elif hx < 0x3E300000:  # when |x| < 2**-28
        if _HUGE + x > 1.0:
            return 1.0 + x
    else:
        k = 0
    t = x * x
    c = x - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    if k == 0:
        return 1.0 - ((x * c) / (c - 2.0) - x)
    y = 1.0 - ((lo_ - (x * c) / (2.0 - c)) - hi_)
    if k >= -1021:
        return set_hi(y, hi(y) + (k << 20))  # add k to y's exponent
    y = set_hi(y, hi(y) + ((k + 1000) << 20))
    return y * _TWOM1000
