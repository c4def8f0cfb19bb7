"""fdlibm 5.3's ``expm1``, ``log1p``, ``sinh``, ``cosh`` and ``tanh``, bit for bit (see :mod:`.fdlibm`).

Ports of OpenJDK's ``FdLibm.Expm1``, ``Log1p``, ``Sinh``, ``Cosh`` and ``Tanh``: the same constants
as the same hex literals, the same operations in the same order. ``sinh``/``cosh``/``tanh`` call
``expm1`` and ``exp`` (:func:`.fdlibm.exp`) as Java's call ``StrictMath.expm1``/``StrictMath.exp``.
"""

from __future__ import annotations

from airflow_idu.engines.duckdb.spark_compat.fdlibm import (
    EXP_BITS,
    EXP_SIGNIF_BITS,
    INF,
    NAN,
    exp,
    hi,
    lo,
    set_hi,
)

__all__ = ["cosh", "expm1", "log1p", "sinh", "tanh"]

_HUGE = 1.0e300
_TINY = 1.0e-300
_TWO54 = float.fromhex("0x1.0p54")
_O_THRESHOLD = float.fromhex("0x1.62e42fefa39efp9")  # 7.09782712893383973096e+02
_LN2_HI = float.fromhex("0x1.62e42feep-1")  # 6.93147180369123816490e-01
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")  # 1.90821492927058770002e-10
_INVLN2 = float.fromhex("0x1.71547652b82fep0")  # 1.44269504088896338700e+00
# scaled coefficients related to expm1
_Q1 = -float.fromhex("0x1.11111111110f4p-5")  # -3.33333333333331316428e-02
_Q2 = float.fromhex("0x1.a01a019fe5585p-10")  # 1.58730158725481460165e-03
_Q3 = -float.fromhex("0x1.4ce199eaadbb7p-14")  # -7.93650757867487942473e-05
_Q4 = float.fromhex("0x1.0cfca86e65239p-18")  # 4.00821782732936239552e-06
_Q5 = -float.fromhex("0x1.afdb76e09c32dp-23")  # -2.01099218183624371326e-07


def _expm1_reduce(x: float, hx: int, xsb: int) -> tuple[float, float, int]:
    """expm1's argument reduction for |x| > 0.5 ln2: the reduced x, its correction c, and k."""
    if hx < 0x3FF0_A2B2:  # and |x| < 1.5 ln2
        if xsb == 0:
            hi_, lo_, k = x - _LN2_HI, _LN2_LO, 1
        else:
            hi_, lo_, k = x + _LN2_HI, -_LN2_LO, -1
    else:
        k = int(_INVLN2 * x + (0.5 if xsb == 0 else -0.5))  # Java's (int): toward zero
        t = float(k)
        hi_ = x - t * _LN2_HI  # t*ln2_hi is exact here
        lo_ = t * _LN2_LO
    x = hi_ - lo_
    return x, (hi_ - x) - lo_, k


def _expm1_scale(x: float, e: float, c: float, hxs: float, k: int) -> float:
    """expm1(r + c) scaled back by 2^k, k != 0."""
    e = x * (e - c) - c
    e -= hxs
    if k == -1:
        return 0.5 * (x - e) - 0.5
    if k == 1:
        if x < -0.25:
            return -2.0 * (e - (x + 0.5))
        return 1.0 + 2.0 * (x - e)
    if k <= -2 or k > 56:  # suffice to return exp(x) - 1
        y = 1.0 - (e - x)
        y = set_hi(y, hi(y) + (k << 20))  # add k to y's exponent
        return y - 1.0
    t = 1.0
    if k < 20:
        t = set_hi(t, 0x3FF0_0000 - (0x2_00000 >> k))  # t = 1-2^-k
        y = t - (e - x)
        return set_hi(y, hi(y) + (k << 20))
    t = set_hi(t, (0x3FF - k) << 20)  # 2^-k
    y = x - (e + t)
    y += 1.0
    return set_hi(y, hi(y) + (k << 20))


def expm1(x: float) -> float:
    """``FdLibm.Expm1.compute``."""
    c = 0.0
    hx = hi(x)
    xsb = hx & 0x8000_0000  # sign bit of x (hi is signed: the bit alone, nonzero when negative)
    hx &= EXP_SIGNIF_BITS  # high word of |x|
    if hx >= 0x4043_687A:  # if |x| >= 56*ln2
        if hx >= 0x4086_2E42:  # if |x| >= 709.78...
            if hx >= 0x7FF_00000:
                if ((hx & 0xF_FFFF) | lo(x)) != 0:
                    return x + x  # NaN
                return x if xsb == 0 else -1.0  # exp(+-inf) = {inf, -1}
            if x > _O_THRESHOLD:
                return INF  # overflow (huge * huge)
        if xsb != 0 and x + _TINY < 0.0:  # x < -56*ln2, return -1.0 with inexact
            return _TINY - 1.0
    if hx > 0x3FD6_2E42:  # if |x| > 0.5 ln2
        x, c, k = _expm1_reduce(x, hx, xsb)
    elif hx < 0x3C90_0000:  # when |x| < 2**-54, return x
        t = _HUGE + x  # return x with inexact flags when x != 0
        return x - (t - (_HUGE + x))
    else:
        k = 0
    # x is now in primary range
    hfx = 0.5 * x
    hxs = x * hfx
    r1 = 1.0 + hxs * (_Q1 + hxs * (_Q2 + hxs * (_Q3 + hxs * (_Q4 + hxs * _Q5))))
    t = 3.0 - r1 * hfx
    e = hxs * ((r1 - t) / (6.0 - x * t))
    if k == 0:
        return x - (x * e - hxs)  # c is 0
    return _expm1_scale(x, e, c, hxs, k)


_LP = (
    float.fromhex("0x1.5555555555593p-1"),  # 6.666666666666735130e-01
    float.fromhex("0x1.999999997fa04p-2"),  # 3.999999999940941908e-01
    float.fromhex("0x1.2492494229359p-2"),  # 2.857142874366239149e-01
    float.fromhex("0x1.c71c51d8e78afp-3"),  # 2.222219843214978396e-01
    float.fromhex("0x1.7466496cb03dep-3"),  # 1.818357216161805012e-01
    float.fromhex("0x1.39a09d078c69fp-3"),  # 1.531383769920937332e-01
    float.fromhex("0x1.2f112df3e5244p-3"),  # 1.479819860511658591e-01
)
_BFD2_BEC3 = 0xBFD2_BEC3 - (1 << 32)  # Java's int literal 0xbfd2_bec3: negative


def _log1p_split(x: float, hx: int) -> tuple[float, float, int, int]:
    """log1p's reduction 1+x = 2^k * (1+f) for k != 0: f, the correction c, k and hu."""
    if hx < 0x4340_0000:
        u = 1.0 + x
        hu = hi(u)
        k = (hu >> 20) - 1023
        c = 1.0 - (u - x) if k > 0 else x - (u - 1.0)  # correction term
        c /= u
    else:
        u = x
        hu = hi(u)
        k = (hu >> 20) - 1023
        c = 0.0
    hu &= 0x000F_FFFF
    if hu < 0x6_A09E:
        u = set_hi(u, hu | 0x3FF0_0000)  # normalize u
    else:
        k += 1
        u = set_hi(u, hu | 0x3FE0_0000)  # normalize u/2
        hu = (0x0010_0000 - hu) >> 2
    return u - 1.0, c, k, hu


def log1p(x: float) -> float:
    """``FdLibm.Log1p.compute``."""
    f = c = 0.0
    hu = 0
    hx = hi(x)
    ax = hx & EXP_SIGNIF_BITS
    k = 1
    if hx < 0x3FDA_827A:  # x < 0.41422
        if ax >= 0x3FF0_0000:  # x <= -1.0
            return -INF if x == -1.0 else NAN
        if ax < 0x3E20_0000:  # |x| < 2**-29
            if _TWO54 + x > 0.0 and ax < 0x3C90_0000:  # |x| < 2**-54
                return x
            return x - x * x * 0.5
        if hx > 0 or hx <= _BFD2_BEC3:  # -0.2929 < x < 0.41422
            k, f, hu = 0, x, 1
    if hx >= EXP_BITS:
        return x + x
    if k != 0:
        f, c, k, hu = _log1p_split(x, hx)
    hfsq = 0.5 * f * f
    if hu == 0:  # |f| < 2**-20
        if f == 0.0:
            if k == 0:
                return 0.0
            c += k * _LN2_LO
            return k * _LN2_HI + c
        r = hfsq * (1.0 - 0.66666666666666666 * f)
        if k == 0:
            return f - r
        return k * _LN2_HI - ((r - (k * _LN2_LO + c)) - f)
    s = f / (2.0 + f)
    z = s * s
    r = z * (_LP[0] + z * (_LP[1] + z * (_LP[2] + z * (_LP[3] + z * (_LP[4] + z * (_LP[5] + z * _LP[6]))))))
    if k == 0:
        return f - (hfsq - s * (hfsq + r))
    return k * _LN2_HI - ((hfsq - (s * (hfsq + r) + (k * _LN2_LO + c))) - f)


_SHUGE = 1.0e307


def _overflows(x: float, ix: int) -> bool:
    """|x| beyond the overflow threshold of sinh/cosh (the low word compared unsigned)."""
    return not (ix < 0x4086_33CE or (ix == 0x4086_33CE and lo(x) <= 0x8FB9_F87D))


def sinh(x: float) -> float:
    """``FdLibm.Sinh.compute``."""
    jx = hi(x)
    ix = jx & EXP_SIGNIF_BITS
    if ix >= EXP_BITS:  # x is INF or NaN
        return x + x
    h = -0.5 if jx < 0 else 0.5
    if ix < 0x4036_0000:  # |x| < 22
        if ix < 0x3E30_0000 and _SHUGE + x > 1.0:  # |x| < 2**-28: sinh(tiny) = tiny with inexact
            return x
        t = expm1(abs(x))
        if ix < 0x3FF0_0000:
            return h * (2.0 * t - t * t / (t + 1.0))
        return h * (t + t / (t + 1.0))
    if ix < 0x4086_2E42:  # |x| in [22, log(maxdouble)] return 0.5*exp(|x|)
        return h * exp(abs(x))
    if not _overflows(x, ix):  # |x| in [log(maxdouble), overflowthreshold]
        w = exp(0.5 * abs(x))
        t = h * w
        return t * w
    return x * _SHUGE  # |x| > overflowthreshold, sinh(x) overflow


def cosh(x: float) -> float:
    """``FdLibm.Cosh.compute``."""
    ix = hi(x) & EXP_SIGNIF_BITS
    if ix >= EXP_BITS:  # x is INF or NaN
        return x * x
    if ix < 0x3FD6_2E43:  # |x| in [0,0.5*ln2], return 1+expm1(|x|)^2/(2*exp(|x|))
        t = expm1(abs(x))
        w = 1.0 + t
        if ix < 0x3C80_0000:  # cosh(tiny) = 1
            return w
        return 1.0 + (t * t) / (w + w)
    if ix < 0x4036_0000:  # |x| in [0.5*ln2, 22], return (exp(|x|) + 1/exp(|x|)/2
        t = exp(abs(x))
        return 0.5 * t + 0.5 / t
    if ix < 0x4086_2E42:  # |x| in [22, log(maxdouble)] return 0.5*exp(|x|)
        return 0.5 * exp(abs(x))
    if not _overflows(x, ix):  # |x| in [log(maxdouble), overflowthreshold]
        w = exp(0.5 * abs(x))
        t = 0.5 * w
        return t * w
    return INF  # |x| > overflowthreshold, cosh(x) overflow (huge * huge)


def tanh(x: float) -> float:
    """``FdLibm.Tanh.compute``."""
    jx = hi(x)
    ix = jx & EXP_SIGNIF_BITS
    if ix >= EXP_BITS:  # x is INF or NaN
        return 1.0 / x + 1.0 if jx >= 0 else 1.0 / x - 1.0  # tanh(+-inf) = +-1, tanh(NaN) = NaN
    if ix < 0x4036_0000:  # |x| < 22
        if ix < 0x3C80_0000:  # |x| < 2**-55
            return x * (1.0 + x)  # tanh(small) = small
        if ix >= 0x3FF0_0000:  # |x| >= 1
            t = expm1(2.0 * abs(x))
            z = 1.0 - 2.0 / (t + 2.0)
        else:
            t = expm1(-2.0 * abs(x))
            z = -t / (t + 2.0)
    else:  # |x| > 22, return +-1
        z = 1.0 - _TINY  # raised inexact flag
    return z if jx >= 0 else -z
