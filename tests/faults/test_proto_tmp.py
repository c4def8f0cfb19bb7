import time
import pytest
from tests.faults import injector
from tests.faults.harness import run, snapshot, diff_tables

pytestmark = pytest.mark.faults

def test_proto(fault_dag, baseline, fault_db, monkeypatch, capfd):
    t = time.time()
    injector.install(monkeypatch, injector.Fault(kind="sql", task_id="setup.02_extract_merge", statement=3))
    r = run(fault_dag.dag)
    print("ELAPSED", time.time() - t, r.state, r.task_states, r.tries, injector.FIRED)
    out = capfd.readouterr()
    import re
    for line in (out.out + out.err).splitlines():
        if "statement 3" in line: print("LINE", line[:400])
    print("ITER", baseline.loop["iterations"], [h["source"] for h in baseline.loop["history"]])
    t = time.time()
    injector.install(monkeypatch, injector.Fault(kind="transient", task_id="enrichment.10_enrich_orders", statement=4))
    r = run(fault_dag.dag)
    print("ELAPSED2", time.time() - t, r.state, r.tries, injector.FIRED)
    print(diff_tables(baseline.tables, snapshot(fault_db)))
    assert 0
