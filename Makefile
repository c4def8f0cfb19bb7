# Two commands for a fresh machine:  make demo   |   make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   := $(abspath .demo)
PEOPLE ?= 5000

AIRFLOW_ENV := AIRFLOW_HOME=$(DEMO)/airflow \
	AIRFLOW__CORE__DAGS_FOLDER=$(abspath dags) \
	AIRFLOW__CORE__LOAD_EXAMPLES=False \
	AIRFLOW_CONN_IDU_DEFAULT='{"conn_type": "duckdb", "host": "$(DEMO)/idu_demo.duckdb"}'

.PHONY: bench-smoke fidelity-functions fidelity-probe fidelity-spark-connect spark-connect persistent-ids-large incremental-runs install demo test unit lint bench fidelity clean wheel-check

install: $(VENV)/.installed

# Installs are pinned by the committed constraints file (the official Airflow constraints URL is not reachable).
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e ".[test,spark]"
	touch $@

demo: install
	rm -rf $(DEMO) && mkdir -p $(DEMO)/airflow
	$(BIN)/airflow-idu demo-data --database $(DEMO)/idu_demo.duckdb --schema customer_db --people $(PEOPLE) --seed 42
	$(AIRFLOW_ENV) $(BIN)/airflow db migrate > $(DEMO)/db-migrate.log 2>&1
	@echo "Running the example DAG with 'airflow dags test idu_example' (log: .demo/dags-test.log) ..."
	$(AIRFLOW_ENV) $(BIN)/airflow dags test idu_example 2026-01-01 > $(DEMO)/dags-test.log 2>&1 \
		|| (tail -n 60 $(DEMO)/dags-test.log; exit 1)
	@grep -q "DagRun Finished.*state=success" $(DEMO)/dags-test.log \
		|| (tail -n 60 $(DEMO)/dags-test.log; echo "the example DAG run did not succeed"; exit 1)
	@echo "DAG run idu_example: success"
	$(AIRFLOW_ENV) $(BIN)/airflow-idu summary --database $(DEMO)/idu_demo.duckdb --schema unified \
		--canonical-id unified_customer_id --dag-id idu_example

# The wheel as a user installs it: built from this tree, installed with the constraints file into a fresh
# virtual environment holding only Airflow and the wheel, then the example DAG run there with
# `airflow dags test` on demo data. Run from outside the tree, so nothing is imported from the sources.
CHECK := $(abspath .wheel-check)
CHECK_ENV := AIRFLOW_HOME=$(CHECK)/airflow \
	AIRFLOW__CORE__DAGS_FOLDER=$(abspath dags) \
	AIRFLOW__CORE__LOAD_EXAMPLES=False \
	AIRFLOW_CONN_IDU_DEFAULT='{"conn_type": "duckdb", "host": "$(CHECK)/idu_demo.duckdb"}'

wheel-check:
	rm -rf $(CHECK) && mkdir -p $(CHECK)/airflow $(CHECK)/dist
	$(PYTHON) -m venv $(CHECK)/venv
	$(CHECK)/venv/bin/pip install -q --upgrade pip
	$(CHECK)/venv/bin/pip wheel -q --no-deps -w $(CHECK)/dist .
	$(CHECK)/venv/bin/pip install -q -c constraints.txt $(CHECK)/dist/airflow_idu-*.whl
	cd $(CHECK) && env -u PYTHONPATH $(CHECK)/venv/bin/python -c \
		"import airflow_idu, sys; p = airflow_idu.__file__; print('airflow_idu from', p); sys.exit(not p.startswith('$(CHECK)/venv/'))"
	cd $(CHECK) && env -u PYTHONPATH $(CHECK)/venv/bin/airflow-idu demo-data --database $(CHECK)/idu_demo.duckdb --people 500
	cd $(CHECK) && env -u PYTHONPATH $(CHECK_ENV) $(CHECK)/venv/bin/airflow db migrate > $(CHECK)/db-migrate.log 2>&1
	cd $(CHECK) && env -u PYTHONPATH $(CHECK_ENV) $(CHECK)/venv/bin/airflow dags test idu_example 2026-01-01 \
		> $(CHECK)/dags-test.log 2>&1 || (tail -n 60 $(CHECK)/dags-test.log; exit 1)
	@grep -q "DagRun Finished.*state=success" $(CHECK)/dags-test.log \
		|| (tail -n 60 $(CHECK)/dags-test.log; echo "wheel-check: the example DAG did not succeed"; exit 1)
	@echo "wheel-check: the installed wheel ran idu_example: success (log: .wheel-check/dags-test.log)"

# Two pytest processes side by side on the machine's 2 cores: the DAG-run suites (marker dagruns, tests/conftest.py:
# one Airflow run after another, about one core) beside all the others (Spark, browser, units). Each
# process has its own Airflow home, Spark session and local warehouse (tests/conftest.py); together they
# run exactly the tests of `-m "not beyond_test"`, with the same assertions. The second one's output
# follows the first's.
TEST_MARKS := not beyond_test
test: install
	@mkdir -p .test-logs
	@trap 'kill $$runs 2>/dev/null' INT TERM; \
	( $(BIN)/python -m pytest -q -p no:cacheprovider -m "$(TEST_MARKS) and dagruns" > .test-logs/dagruns.log 2>&1; \
	  echo $$? > .test-logs/dagruns.rc ) & runs=$$!; \
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "$(TEST_MARKS) and not dagruns"; others=$$?; \
	wait $$runs; echo "--- the DAG-run suites (marker dagruns: tests/faults, most of tests/e2e, DAG runs of tests/runstate and tests/health), run beside the above ---"; \
	cat .test-logs/dagruns.log; runs_rc=$$(cat .test-logs/dagruns.rc); \
	echo "make test: other suites exit $$others, DAG-run suites exit $$runs_rc"; \
	test $$others -eq 0 -a $$runs_rc -eq 0

# Spark's whole function list against the embedded engine (red while docs/compatibility.md lists a MISMATCH)
fidelity-functions: install
	IDU_WRITE_COMPATIBILITY=1 $(BIN)/python -m pytest -q -p no:cacheprovider -m beyond_test tests/fidelity \
	  --ignore=tests/fidelity/test_directories_dag.py

# Random compositions of Spark functions against Spark (tests/fidelity/random_probe.py): fails on a
# silent difference, lists the loud ones; IDU_PROBE_SEEDS=3,4 for other cases (a few minutes a seed)
fidelity-probe: install
	$(BIN)/python -m pytest -q -s -p no:cacheprovider -m beyond_test tests/fidelity/test_random_probe.py

# The Spark side of every fidelity and faithfulness suite on the local Spark Connect server instead of
# classic local Spark (the same assertions; one server for the session)
fidelity-spark-connect: install
	IDU_SPARK_SIDE=connect $(BIN)/python -m pytest -q -p no:cacheprovider -m "not beyond_test" tests/fidelity tests/spark

# Every Spark Connect test on a local server: the example DAG (400 people), one published-style
# variant's DAGs and the SQL error, which `make test` runs too, plus the other three variants, a
# generated case of 50,000 people and the server restarted mid-loop (about 40 minutes on 2 cores)
spark-connect: install
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/engines/test_spark_connect.py \
	  tests/fidelity/test_directories_dag.py

# Persistent ids over ten daily deliveries of 50,000 people, checked against networkx (docs/persistent-ids.md)
persistent-ids-large: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -m beyond_test tests/runstate

# Incremental runs against a full rebuild after each daily delivery (seven for 24 people, ten DAG runs
# for 50,000), a failed run, a retry part-way through every task, the worker SIGKILLed in every task
# (docs/incremental-runs.md); about 40 minutes on 2 cores, so not in `make test`.
incremental-runs: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -m beyond_test tests/incremental

# Every benchmark at a tiny size: they still run and write their sections (about 7 minutes; the
# scheduled warehouse runs start a scheduler stack each)
bench-smoke: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -m beyond_test tests/test_bench_smoke.py tests/test_bench_published_style.py \
	  tests/test_bench_warehouse_scheduled.py tests/test_bench_scheduler_idle.py

# The fast feedback loop: everything but Spark, the browser, the real scheduler and the slow DAG runs
# (tests/conftest.py marks those by directory and fixture). Under 3 minutes on 2 cores; `make test`
# is the full suite CI runs.
UNIT_MARKS := not spark and not browser and not scheduler and not slow and not beyond_test
unit: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "$(UNIT_MARKS)"

# Spark vs the embedded engine, construct by construct; rewrites docs/compatibility.md
fidelity: install
	IDU_WRITE_COMPATIBILITY=1 $(BIN)/python -m pytest -q -p no:cacheprovider -m "not beyond_test" tests/fidelity

lint: install
	$(BIN)/ruff check airflow_idu dags tests bench
	$(BIN)/ruff format --check airflow_idu dags tests bench
	$(BIN)/mypy airflow_idu

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(DEMO) $(VENV) $(CHECK)
