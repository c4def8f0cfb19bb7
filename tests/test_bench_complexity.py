"""bench.complexity's verdict: a construct is judged by the growth it adds to the primitive it rests on."""

from __future__ import annotations

import pytest

from bench import complexity

SIZES = (10_000, 100_000, 1_000_000)


def _times(exponent: float, at_1m: float = 1.0) -> dict[int, float]:
    return {n: at_1m * (n / SIZES[-1]) ** exponent for n in SIZES}


@pytest.mark.parametrize(
    ("own", "reference", "expected"),
    [
        pytest.param(1.6, 1.6, 0.0, id="hash-set-cache-growth-shared-with-its-primitive"),
        pytest.param(2.6, 1.6, 1.0, id="quadratic-over-its-primitive"),
        pytest.param(1.08, None, 0.08, id="n-log-n-scan"),
        pytest.param(2.0, None, 1.0, id="quadratic-scan"),
    ],
)
def test_excess(own: float, reference: float | None, expected: float) -> None:
    assert complexity.excess(own, reference) == pytest.approx(expected)


def test_too_quick_is_not_judged() -> None:
    assert complexity.exponent(_times(2.0, at_1m=0.01)) is None
    assert complexity.excess(None, 1.5) is None


def test_judge_flags_only_growth_beyond_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = "reference: hash"
    monkeypatch.setattr(
        complexity,
        "CONSTRUCTS",
        (("same as its primitive", "", ref), ("quadratic macro", "", ref), ("plain scan", "", None)),
    )
    results = {
        ref: _times(1.6),
        "same as its primitive": _times(1.62),
        "quadratic macro": _times(2.6),
        "plain scan": _times(1.0),
    }
    rows, judged = complexity.judge(results, limit=0.25)
    assert dict(judged) == pytest.approx(
        {"same as its primitive": 0.02, "quadratic macro": 1.0, "plain scan": 0.0}
    )
    assert [row[-1] for row in rows] == ["ok", "TOO FAST GROWTH", "ok"]
