"""Forms of the theta and tuple sketch functions for the function harness (function_inventory.py).

Sketches as Spark writes them (local Spark 4.3), one per row through CASE, so the functions that read
sketches run over every input row; and scalar functions over grouped sketches (``AGGREGATED_FORMS``
run with GROUP BY g). A tuple sketch is accepted only inside another tuple function, so every tuple
form ends in an estimate, a summary or a theta.
"""

from __future__ import annotations

__all__ = ["AGGREGATED_FORMS", "SKETCH_FORMS"]

# Theta sketches (Spark's bytes, from local Spark): {1, 2, 3}, {1}, empty, 0..99 at lgNomEntries 4 (16 of
# 100 hashes, theta < 1) and its intersection with 1000..1099 (no hash, theta < 1)
_THETA_A = "X'0104033e011acc930316861af72df7e4558fbe9c3477e9eaefb2e5966badaa3dc0'"
_THETA_1, _THETA_E = "X'01030300003acc9315f97dcbbd86a105'", "X'01030300001e0000'"
_THETA_BIG = (
    "X'0204033a011acc936a918b0b0be72c0f1057e1c72df6c88282f9cf6d19e16f188993241a609050d48321d8ac4ad90e37b3cdc48cb"
    "e847cf84cd7d310b26b31ad78c3b4a027f8c606fbd5e208e2a84314369cdf9230678cf87f915eba7a2652b374198ceeb08aad29bc2f23"
    "22b464d242759fd19422faf31a4354a9e08545494be26bed49d1'"
)
_THETA_NONE = "X'03030300001acc93000000000000803f6a918b0b0be72c0f'"
_THETA_ROW = f"CASE WHEN k > 3 THEN {_THETA_A} WHEN b THEN {_THETA_BIG} WHEN i > 0 THEN {_THETA_1} ELSE {_THETA_NONE} END"
_THETA_ROW2 = f"CASE WHEN b THEN {_THETA_A} WHEN k < 2 THEN {_THETA_E} WHEN n > 0 THEN {_THETA_BIG} END"
SKETCH_FORMS: dict[str, tuple[str, ...]] = dict(
    {
        "theta_sketch_agg": (
            "theta_sketch_agg(i)",
            "theta_sketch_agg(n, 4)",
            "theta_sketch_agg(d)",
            "theta_sketch_agg(s)",
            "theta_sketch_agg(s2, 26)",
            "theta_sketch_agg(bin)",
            "theta_sketch_agg(arr)",
            "theta_sketch_agg(k, 4)",
            "theta_sketch_agg(CAST(d AS FLOAT))",
            "theta_sketch_agg(CAST(arr AS ARRAY<BIGINT>))",
        ),
        "theta_union_agg": (
            f"theta_union_agg({_THETA_ROW})",
            f"theta_union_agg({_THETA_ROW2}, 4)",
            f"theta_union_agg({_THETA_ROW}, 5)",
        ),
        "theta_intersection_agg": (
            f"theta_intersection_agg({_THETA_ROW})",
            f"theta_intersection_agg({_THETA_ROW2})",
            f"theta_intersection_agg(IF(k > 3, {_THETA_A}, {_THETA_BIG}))",
        ),
        "theta_sketch_estimate": (
            f"theta_sketch_estimate({_THETA_ROW})",
            f"theta_sketch_estimate({_THETA_ROW2})",
        ),
        "theta_union": (
            f"theta_union({_THETA_ROW}, {_THETA_ROW2})",
            f"theta_union({_THETA_ROW2}, {_THETA_ROW}, 4)",
        ),
        "theta_intersection": (
            f"theta_intersection({_THETA_ROW}, {_THETA_ROW2})",
            f"theta_intersection({_THETA_ROW2}, {_THETA_ROW})",
        ),
        "theta_difference": (
            f"theta_difference({_THETA_ROW}, {_THETA_ROW2})",
            f"theta_difference({_THETA_ROW2}, {_THETA_ROW})",
        ),
    }
)
# Scalar functions of aggregates: run grouped (GROUP BY g), each group's sketches built from its rows
AGGREGATED_FORMS: dict[str, tuple[str, ...]] = {
    "theta_sketch_estimate": (
        "theta_sketch_estimate(theta_sketch_agg(s))",
        "theta_sketch_estimate(theta_sketch_agg(d))",
        "theta_sketch_estimate(theta_sketch_agg(bin, 4))",
        "theta_sketch_estimate(theta_sketch_agg(arr))",
        "theta_sketch_estimate(theta_sketch_agg(n, 4))",
    ),
    "theta_union": (
        "theta_union(theta_sketch_agg(i), theta_sketch_agg(n))",
        "theta_union(theta_sketch_agg(s), theta_sketch_agg(s2), 4)",
        "theta_union(theta_sketch_agg(k), theta_sketch_agg(arr))",
    ),
    "theta_intersection": (
        "theta_intersection(theta_sketch_agg(i), theta_sketch_agg(k))",
        "theta_intersection(theta_sketch_agg(s, 4), theta_sketch_agg(s2))",
    ),
    "theta_difference": (
        "theta_difference(theta_sketch_agg(i), theta_sketch_agg(k))",
        "theta_difference(theta_sketch_agg(s2), theta_sketch_agg(s))",
    ),
}

# Tuple sketches, per summary type: {1, 2, 3} (sum), {2, 3, 4} (max), {1}, empty, and a union at lgNomEntries 4
# of 0..19 and 10..29 (16 hashes, theta < 1)
_TD_A = (
    "X'02030901000acc93030000000000000015f97dcbbd86a105000000000000f83f00ba40b3c1da06695d000000000000f0bf00"
    "c397fc1281709d1e000000000000004000'"
)
_TD_B = (
    "X'02030901000acc930300000000000000ba40b3c1da06695d00000000000010400240de2ee1c9db3d08000000000000204002"
    "c397fc1281709d1e000000000000e03f02'"
)
_TD_S = "X'01030901000acc9315f97dcbbd86a105000000000000044000'"
_TD_E = "X'01030901000ecc93'"
_TD_BIG = (
    "X'03030901000acc931000000000000000f796fbd50949aa2540de2ee1c9db3d0800000000000010400023a55b381afd741f00"
    "00000000002c4000e56b61eec88044200000000000000000009ba3841106ddc91b0000000000000040004ff24de0bc0cae1c"
    "000000000000004000698bb991b8685708000000000000204000919df55cf66fba11000000000000004000fe162113fb98bc"
    "100000000000001840006da916bc4a66611e000000000000314000c397fc1281709d1e00000000000000400015f97dcbbd86"
    "a105000000000000f03f00e2dacf9fcdeabe040000000000000040001ad1300b998c2f22000000000000224000fb38798913"
    "248f010000000000002a4000bd3273724691cc140000000000001440003ebadca36f6fb620000000000000304000'"
)
_TI_A = (
    "X'02030901000acc93030000000000000015f97dcbbd86a1050300000000ba40b3c1da06695d0700000000c397fc1281709d1e"
    "feffffff00'"
)
_TI_B = (
    "X'02030901000acc930300000000000000ba40b3c1da06695d0b0000000240de2ee1c9db3d08fcffffff02c397fc1281709d1e"
    "0500000002'"
)
_TI_S = "X'01030901000acc9315f97dcbbd86a1050600000000'"
_TI_E = "X'01030901000ecc93'"
_TI_BIG = (
    "X'03030901000acc931000000000000000f796fbd50949aa2540de2ee1c9db3d08040000000023a55b381afd741f0e00000000"
    "e56b61eec880442000000000009ba3841106ddc91b02000000004ff24de0bc0cae1c0200000000698bb991b8685708080000"
    "0000919df55cf66fba110200000000fe162113fb98bc1006000000006da916bc4a66611e1100000000c397fc1281709d1e02"
    "0000000015f97dcbbd86a1050100000000e2dacf9fcdeabe0402000000001ad1300b998c2f220900000000fb38798913248f"
    "010d00000000bd3273724691cc1405000000003ebadca36f6fb6201000000000'"
)


def _tuple_forms(kind: str, value: str) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """The forms of each ``_double`` or ``_integer`` tuple function; ``value`` a summary column of that type."""
    a, b, one, empty, big = (globals()[f"_T{kind[0].upper()}_{n}"] for n in ("A", "B", "S", "E", "BIG"))
    row = f"CASE WHEN k > 3 THEN {a} WHEN b THEN {big} WHEN i > 0 THEN {one} ELSE {b} END"
    row2 = f"CASE WHEN b THEN {a} WHEN k < 2 THEN {empty} WHEN n > 0 THEN {big} END"
    est, summ, theta = (f"tuple_sketch_{f}_{kind}" for f in ("estimate", "summary", "theta"))
    agg, sk = f"tuple_sketch_agg_{kind}", "theta_sketch_agg"

    def f(name: str) -> str:
        return f"tuple_{name}_{kind}"

    rows = {
        f("sketch_agg"): (f"{est}({agg}(i, {value}))", f"{summ}({agg}(s, {value}, 12, 'min'), 'max')",
                          f"{summ}({agg}(n, {value}, 4, 'max'))", f"{theta}({agg}(bin, {value}))",
                          f"{summ}({agg}(arr, {value}, 5, 'alwaysone'), 'sum')", f"{summ}({agg}(d, {value}), 'min')",
                          f"{summ}({agg}(s2, {value}, 12, 'sum'))"),
        est: (f"{est}({row})", f"{est}({row2})"),
        summ: (f"{summ}({row}, 'sum')", f"{summ}({row2}, 'min')", f"{summ}({row}, 'max')", f"{summ}({row2}, 'alwaysone')",
               f"{summ}({row2})"),
        theta: (f"{theta}({row})", f"{theta}({row2})"),
        f("union"): (f"{est}({f('union')}({row}, {row2}))", f"{summ}({f('union')}({row2}, {row}, 4, 'min'), 'min')",
                     f"{summ}({f('union')}({row}, {row2}, 12, 'max'), 'sum')"),
        f("union_theta"): (f"{summ}({f('union_theta')}({row}, {_THETA_ROW}))",
                           f"{est}({f('union_theta')}({row2}, {_THETA_ROW2}, 4, 'min'))",
                           f"{summ}({f('union_theta')}({row2}, {_THETA_ROW}, 12, 'max'), 'max')"),
        f("intersection"): (f"{summ}({f('intersection')}({row}, {row2}))",
                            f"{summ}({f('intersection')}({row2}, {row}, 'min'), 'max')",
                            f"{est}({f('intersection')}({row}, {row2}, 'alwaysone'))"),
        f("intersection_theta"): (f"{summ}({f('intersection_theta')}({row}, {_THETA_ROW}, 'max'), 'max')",
                                  f"{est}({f('intersection_theta')}({row2}, {_THETA_ROW2}))",
                                  f"{summ}({f('intersection_theta')}({row2}, {_THETA_ROW}))"),
        f("difference"): (f"{summ}({f('difference')}({row}, {row2}))", f"{est}({f('difference')}({row2}, {row}))"),
        f("difference_theta"): (f"{summ}({f('difference_theta')}({row}, {_THETA_ROW}))",
                                f"{est}({f('difference_theta')}({row2}, {_THETA_ROW2}))"),
        f("union_agg"): (f"{summ}({f('union_agg')}({row}))", f"{est}({f('union_agg')}({row2}, 4, 'min'))",
                         f"{summ}({f('union_agg')}({row2}, 12, 'max'), 'max')"),
        f("intersection_agg"): (f"{summ}({f('intersection_agg')}({row}))", f"{est}({f('intersection_agg')}({row2}, 'min'))",
                                f"{summ}({f('intersection_agg')}(IF(k > 3, {a}, {big}), 'max'), 'min')"),
    }  # fmt: skip
    grouped = {
        est: (f"{est}({agg}(s, {value}))", f"{est}({agg}(arr, {value}, 4))"),
        summ: (f"{summ}({agg}(s, {value}))", f"{summ}({agg}(i, {value}, 12, 'min'), 'max')"),
        theta: (f"{theta}({agg}(s, {value}))",),
        f("union"): (f"{summ}({f('union')}({agg}(i, {value}), {agg}(k, {value})))",
                     f"{est}({f('union')}({agg}(s, {value}), {agg}(s2, {value}), 4, 'max'))"),
        f("union_theta"): (f"{summ}({f('union_theta')}({agg}(i, {value}), {sk}(k)), 'sum')",),
        f("intersection"): (f"{summ}({f('intersection')}({agg}(i, {value}), {agg}(k, {value})), 'sum')",),
        f("intersection_theta"): (f"{summ}({f('intersection_theta')}({agg}(i, {value}), {sk}(k)))",),
        f("difference"): (f"{summ}({f('difference')}({agg}(i, {value}), {agg}(k, {value})))",),
        f("difference_theta"): (f"{est}({f('difference_theta')}({agg}(i, {value}), {sk}(k)))",),
    }  # fmt: skip
    return rows, grouped


# each function returning a tuple sketch also as a value, which the engine refuses (its bytes follow Spark's row order)
_BARE = {"sketch_agg": "i, {v}", "union_agg": "bin", "intersection_agg": "bin", "union": "bin, bin",
         "union_theta": "bin, bin", "intersection": "bin, bin", "intersection_theta": "bin, bin",
         "difference": "bin, bin", "difference_theta": "bin, bin"}  # fmt: skip
for _kind, _value in (("double", "CAST(k AS DOUBLE)"), ("integer", "k")):
    _rows, _grouped = _tuple_forms(_kind, _value)
    for _name, _args in _BARE.items():
        _function = f"tuple_{_name}_{_kind}"
        _rows[_function] = (f"{_function}({_args.format(v=_value)})", *_rows[_function])
    SKETCH_FORMS.update(_rows)
    AGGREGATED_FORMS.update(_grouped)


# HLL sketches as Spark writes them (hll_sketch_agg, local Spark 4.3): INT 1, 2, 3 and 3, 4, 5 (LIST, lgConfigK 12),
# 0..19 (SET), 1, 2, 3 at lgConfigK 4, STRING '10'..'29' at lgConfigK 8 (SET, 20 of its 24 coupons), 0..99 at
# lgConfigK 4 (HLL mode: refused when run) and an empty sketch
_HLL = {
    "l3": "X'0201070C030003082BF2FB06862FF90D758166070000000000000000000000000000000000000000'",
    "l3b": "X'0201070C030003087581660781BC5D067B65E6080000000000000000000000000000000000000000'",
    "s20": (
        "X'0301070C05000009140000000000000081BC5D0600000000CEF05B1F6EC5340600000000862FF90D0000000000000000DB522D04"
        "00000000CBD7C20400000000B05B4612AE3C881100000000C1E9170500000000D21673070000000034A2610E75816607F671F206"
        "00000000B83FF907464AB704FC2D420A7B65E6082BF2FB06C3DD5104000000007C74B907'"
    ),
    "k4": "X'02010704030003082BF2FB06862FF90D758166070000000000000000000000000000000000000000'",
    "k8": (
        "X'0301070805000009140000003BAC2C060000000039791C099958AE050000000085691B0A0000000000000000688027056"
        "9D62B060000000000000000762F110600000000000000002FF88204E99C080631DD7406522B6B080000000051643604D6B7EA"
        "04FF4EA809000000000000000039F5820900000000DB022805BCDD9C0B1D773006FE52920C1F53B205'"
    ),
    "hll": (
        "X'0A0107040000000A15EB1DC787F15440000000000000FB3F000000000000000000000000000000000402030703040306030405"
        "0202030704'"
    ),
    "empty": "X'0201070C030400080000000000000000000000000000000000000000000000000000000000000000'",
}
_HLL_ROW = f"CASE WHEN k > 3 THEN {_HLL['l3']} WHEN b THEN {_HLL['s20']} WHEN i > 0 THEN {_HLL['l3b']} ELSE {_HLL['empty']} END"
_HLL_MIXED = (
    f"CASE WHEN k > 3 THEN {_HLL['k8']} WHEN k > 0 THEN {_HLL['l3']} WHEN k < 0 THEN {_HLL['k4']} END"
)
_HLL_WIDE = f"CASE WHEN b THEN {_HLL['hll']} WHEN k > 0 THEN {_HLL['s20']} ELSE {_HLL['k8']} END"
SKETCH_FORMS["hll_union_agg"] = (
    f"hll_sketch_estimate(hll_union_agg({_HLL_ROW}))",
    f"hll_sketch_estimate(hll_union_agg({_HLL_ROW}, false))",
    f"hll_sketch_estimate(hll_union_agg({_HLL_MIXED}, true))",
    f"hll_sketch_estimate(hll_union_agg(IF(k > 3, {_HLL['k4']}, {_HLL['l3']}), true))",
    f"hll_sketch_estimate(hll_union_agg({_HLL_WIDE}, true))",
    "hll_sketch_estimate(hll_union_agg(bin))",
    f"hll_union_agg({_HLL_ROW})",
)
