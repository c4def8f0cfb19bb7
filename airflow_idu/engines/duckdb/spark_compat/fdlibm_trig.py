"""fdlibm 5.3's ``asin``, ``acos``, ``atan`` and ``atan2``, bit for bit (see :mod:`.fdlibm`).

Ports of OpenJDK's ``FdLibm.Asin``, ``Acos``, ``Atan`` and ``Atan2``: the same constants as the
same hex literals, the same operations in the same order.
"""

from __future__ import annotations

import math

from airflow_idu.engines.duckdb.spark_compat.fdlibm import EXP_BITS, EXP_SIGNIF_BITS, NAN, hi, lo, set_lo

__all__ = ["acos", "asin", "atan", "atan2"]

_HUGE = 1.0e300
_PIO2_HI = float.fromhex("0x1.921fb54442d18p0")  # 1.57079632679489655800e+00
_PIO2_LO = float.fromhex("0x1.1a62633145c07p-54")  # 6.12323399573676603587e-17
_PIO4_HI = float.fromhex("0x1.921fb54442d18p-1")  # 7.85398163397448278999e-01
# coefficients for R(x^2)
_PS0 = float.fromhex("0x1.5555555555555p-3")  # 1.66666666666666657415e-01
_PS1 = -float.fromhex("0x1.4d61203eb6f7dp-2")  # -3.25565818622400915405e-01
_PS2 = float.fromhex("0x1.9c1550e884455p-3")  # 2.01212532134862925881e-01
_PS3 = -float.fromhex("0x1.48228b5688f3bp-5")  # -4.00555345006794114027e-02
_PS4 = float.fromhex("0x1.9efe07501b288p-11")  # 7.91534994289814532176e-04
_PS5 = float.fromhex("0x1.23de10dfdf709p-15")  # 3.47933107596021167570e-05
_QS1 = -float.fromhex("0x1.33a271c8a2d4bp1")  # -2.40339491173441421878e+00
_QS2 = float.fromhex("0x1.02ae59c598ac8p1")  # 2.02094576023350569471e+00
_QS3 = -float.fromhex("0x1.6066c1b8d0159p-1")  # -6.88283971605453293030e-01
_QS4 = float.fromhex("0x1.3b8c5b12e9282p-4")  # 7.70381505559019352791e-02


def _p(t: float) -> float:
    return t * (_PS0 + t * (_PS1 + t * (_PS2 + t * (_PS3 + t * (_PS4 + t * _PS5)))))


def _q(t: float) -> float:
    return 1.0 + t * (_QS1 + t * (_QS2 + t * (_QS3 + t * _QS4)))


def asin(x: float) -> float:
    """``FdLibm.Asin.compute``."""
    t = 0.0
    hx = hi(x)
    ix = hx & EXP_SIGNIF_BITS
    if ix >= 0x3FF0_0000:  # |x| >= 1
        if ((ix - 0x3FF0_0000) | lo(x)) == 0:
            return x * _PIO2_HI + x * _PIO2_LO  # asin(1) = +-pi/2 with inexact
        return NAN  # asin(|x| > 1) is NaN: (x - x)/(x - x)
    if ix < 0x3FE0_0000:  # |x| < 0.5
        if ix < 0x3E40_0000:  # if |x| < 2**-27
            if _HUGE + x > 1.0:  # return x with inexact if x != 0
                return x
        else:
            t = x * x
        p = _p(t)
        q = _q(t)
        w = p / q
        return x + x * w
    # 1 > |x| >= 0.5
    w = 1.0 - abs(x)
    t = w * 0.5
    p = _p(t)
    q = _q(t)
    s = math.sqrt(t)
    if ix >= 0x3FEF_3333:  # if |x| > 0.975
        w = p / q
        t = _PIO2_HI - (2.0 * (s + s * w) - _PIO2_LO)
    else:
        w = s
        w = set_lo(w, 0)
        c = (t - w * w) / (s + w)
        r = p / q
        p = 2.0 * s * r - (_PIO2_LO - 2.0 * c)
        q = _PIO4_HI - 2.0 * w
        t = _PIO4_HI - (p - q)
    return t if hx > 0 else -t


def acos(x: float) -> float:
    """``FdLibm.Acos.compute``."""
    hx = hi(x)
    ix = hx & EXP_SIGNIF_BITS
    if ix >= 0x3FF0_0000:  # |x| >= 1
        if ((ix - 0x3FF0_0000) | lo(x)) == 0:  # |x| == 1
            return 0.0 if hx > 0 else math.pi + 2.0 * _PIO2_LO  # acos(1) = 0, acos(-1) = pi
        return NAN  # acos(|x| > 1) is NaN
    if ix < 0x3FE0_0000:  # |x| < 0.5
        if ix <= 0x3C60_0000:  # if |x| < 2**-57
            return _PIO2_HI + _PIO2_LO
        z = x * x
        r = _p(z) / _q(z)
        return _PIO2_HI - (x - (_PIO2_LO - x * r))
    if hx < 0:  # x < -0.5
        z = (1.0 + x) * 0.5
        p = _p(z)
        q = _q(z)
        s = math.sqrt(z)
        r = p / q
        w = r * s - _PIO2_LO
        return math.pi - 2.0 * (s + w)
    # x > 0.5
    z = (1.0 - x) * 0.5
    s = math.sqrt(z)
    df = s
    df = set_lo(df, 0)
    c = (z - df * df) / (s + df)
    p = _p(z)
    q = _q(z)
    r = p / q
    w = r * s + c
    return 2.0 * (df + w)


_ATANHI = (
    float.fromhex("0x1.dac670561bb4fp-2"),  # atan(0.5)hi 4.63647609000806093515e-01
    float.fromhex("0x1.921fb54442d18p-1"),  # atan(1.0)hi 7.85398163397448278999e-01
    float.fromhex("0x1.f730bd281f69bp-1"),  # atan(1.5)hi 9.82793723247329054082e-01
    float.fromhex("0x1.921fb54442d18p0"),  # atan(inf)hi 1.57079632679489655800e+00
)
_ATANLO = (
    float.fromhex("0x1.a2b7f222f65e2p-56"),  # atan(0.5)lo 2.26987774529616870924e-17
    float.fromhex("0x1.1a62633145c07p-55"),  # atan(1.0)lo 3.06161699786838301793e-17
    float.fromhex("0x1.007887af0cbbdp-56"),  # atan(1.5)lo 1.39033110312309984516e-17
    float.fromhex("0x1.1a62633145c07p-54"),  # atan(inf)lo 6.12323399573676603587e-17
)
_AT = (
    float.fromhex("0x1.555555555550dp-2"),  # 3.33333333333329318027e-01
    -float.fromhex("0x1.999999998ebc4p-3"),  # -1.99999999998764832476e-01
    float.fromhex("0x1.24924920083ffp-3"),  # 1.42857142725034663711e-01
    -float.fromhex("0x1.c71c6fe231671p-4"),  # -1.11111104054623557880e-01
    float.fromhex("0x1.745cdc54c206ep-4"),  # 9.09088713343650656196e-02
    -float.fromhex("0x1.3b0f2af749a6dp-4"),  # -7.69187620504482999495e-02
    float.fromhex("0x1.10d66a0d03d51p-4"),  # 6.66107313738753120669e-02
    -float.fromhex("0x1.dde2d52defd9ap-5"),  # -5.83357013379057348645e-02
    float.fromhex("0x1.97b4b24760debp-5"),  # 4.97687799461593236017e-02
    -float.fromhex("0x1.2b4442c6a6c2fp-5"),  # -3.65315727442169155270e-02
    float.fromhex("0x1.0ad3ae322da11p-6"),  # 1.62858201153657823623e-02
)


def _atan_reduce(x: float, ix: int) -> tuple[float, int]:
    """The argument reduction of atan for |x| >= 0.4375: the reduced x and the table index."""
    x = abs(x)
    if ix < 0x3FF3_0000:  # |x| < 1.1875
        if ix < 0x3FE60000:  # 7/16 <= |x| < 11/16
            return (2.0 * x - 1.0) / (2.0 + x), 0
        return (x - 1.0) / (x + 1.0), 1  # 11/16 <= |x| < 19/16
    if ix < 0x4003_8000:  # |x| < 2.4375
        return (x - 1.5) / (1.0 + 1.5 * x), 2
    return -1.0 / x, 3  # 2.4375 <= |x| < 2^66


def atan(x: float) -> float:
    """``FdLibm.Atan.compute``."""
    hx = hi(x)
    ix = hx & EXP_SIGNIF_BITS
    if ix >= 0x4410_0000:  # if |x| >= 2^66
        if ix > EXP_BITS or (ix == EXP_BITS and lo(x) != 0):
            return x + x  # NaN
        return _ATANHI[3] + _ATANLO[3] if hx > 0 else -_ATANHI[3] - _ATANLO[3]
    if ix < 0x3FDC_0000:  # |x| < 0.4375
        if ix < 0x3E20_0000 and _HUGE + x > 1.0:  # |x| < 2^-29: raise inexact
            return x
        id_ = -1
    else:
        x, id_ = _atan_reduce(x, ix)
    # end of argument reduction
    z = x * x
    w = z * z
    # break sum from i=0 to 10 aT[i]z**(i+1) into odd and even poly
    s1 = z * (_AT[0] + w * (_AT[2] + w * (_AT[4] + w * (_AT[6] + w * (_AT[8] + w * _AT[10])))))
    s2 = w * (_AT[1] + w * (_AT[3] + w * (_AT[5] + w * (_AT[7] + w * _AT[9]))))
    if id_ < 0:
        return x - x * (s1 + s2)
    z = _ATANHI[id_] - ((x * (s1 + s2) - _ATANLO[id_]) - x)
    return -z if hx < 0 else z


_TINY = 1.0e-300
_PI_O_4 = float.fromhex("0x1.921fb54442d18p-1")  # 7.8539816339744827900E-01
_PI_O_2 = float.fromhex("0x1.921fb54442d18p0")  # 1.5707963267948965580E+00
_PI_LO = float.fromhex("0x1.1a62633145c07p-53")  # 1.2246467991473531772E-16


def _atan2_infinite_x(m: int, iy: int) -> float:
    """atan2 when x is +-INF: m is 2*sign(x) + sign(y)."""
    if iy == EXP_BITS:
        return (_PI_O_4 + _TINY, -_PI_O_4 - _TINY, 3.0 * _PI_O_4 + _TINY, -3.0 * _PI_O_4 - _TINY)[m]
    return (0.0, -0.0, math.pi + _TINY, -math.pi - _TINY)[m]


def atan2(y: float, x: float) -> float:
    """``FdLibm.Atan2.compute`` (y first, as Java's ``atan2(y, x)``)."""
    hx = hi(x)
    ix = hx & EXP_SIGNIF_BITS
    lx = lo(x)
    hy = hi(y)
    iy = hy & EXP_SIGNIF_BITS
    ly = lo(y)
    if math.isnan(x) or math.isnan(y):
        return x + y
    if ((hx - 0x3FF0_0000) | lx) == 0:  # x = 1.0
        return atan(y)
    m = ((hy >> 31) & 1) | ((hx >> 30) & 2)  # 2*sign(x) + sign(y)
    if (iy | ly) == 0:  # when y = 0
        return (y, y, math.pi + _TINY, -math.pi - _TINY)[m]
    if (ix | lx) == 0:  # when x = 0
        return -_PI_O_2 - _TINY if hy < 0 else _PI_O_2 + _TINY
    if ix == EXP_BITS:  # when x is INF
        return _atan2_infinite_x(m, iy)
    if iy == EXP_BITS:  # when y is INF
        return -_PI_O_2 - _TINY if hy < 0 else _PI_O_2 + _TINY
    # compute y/x
    k = (iy - ix) >> 20
    if k > 60:  # |y/x| > 2**60
        z = _PI_O_2 + 0.5 * _PI_LO
    elif hx < 0 and k < -60:  # |y|/x < -2**60
        z = 0.0
    else:  # safe to do y/x
        z = atan(abs(y / x))
    if m == 0:
        return z  # atan(+, +)
    if m == 1:
        return -z  # atan(-, +)
    if m == 2:
        return math.pi - (z - _PI_LO)  # atan(+, -)
    return (z - _PI_LO) - math.pi  # atan(-, -)
