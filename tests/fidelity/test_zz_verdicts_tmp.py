from typing import Any
import pytest
from tests.fidelity.test_functions import verdicts  # noqa: F401
from tests.fidelity.function_report import _cell

pytestmark = [pytest.mark.spark, pytest.mark.beyond_test]

def test_print(verdicts: Any) -> None:
    for v in verdicts:
        print(f"\nROW| `{v.function.name}` | {v.function.group.removesuffix('_funcs')} | {v.verdict} | {_cell(v.detail)} |")
        for f in v.forms:
            print("     ", f.status.name, f.form.expression, "::", f.detail[:250])
