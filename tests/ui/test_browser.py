"""End to end: a real Airflow (API server, scheduler, DAG processor on 127.0.0.1) runs the example DAG
and an embedding DAG; Debian's chromium (headless, through /usr/bin/chromedriver) loads the
"Identity report" tab, and what it draws is compared with the DuckDB tables the runs wrote.

Screenshots go to ``$IDU_TEST_ARTIFACTS`` (default: pytest's tmp dir); ``IDU_UPDATE_SCREENSHOT=1``
also refreshes ``docs/img/identity-report.png``.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from tests.conftest import REPO
from tests.ui import sample
from tests.ui.stack import AirflowStack, airflow_stack

pytestmark = pytest.mark.e2e

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
PEOPLE = 300
SCHEMA = "unified"
CANONICAL = "unified_customer_id"
MIN_COVERAGE = 0.9  # the demo's lowest coverage is ~93%: the run passes and the page draws the line


@dataclass
class Runs:
    stack: AirflowStack
    admin: str
    example: str  # run id of idu_example (succeeded)
    embedded: str  # run id of idu_embedded (loop failed at max_iterations=1)
    artifacts: Path

    def page(self, dag_id: str, run_id: str) -> str:
        return f"{self.stack.base}/idu-report/dags/{dag_id}/runs/{run_id}"

    def data(self, dag_id: str, run_id: str) -> dict[str, Any]:
        response = httpx.get(
            self.page(dag_id, run_id) + "/data", headers={"Authorization": f"Bearer {self.admin}"}, timeout=30
        )
        response.raise_for_status()
        return dict(response.json())


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(
            "Debian's chromium and chromium-driver are needed: apt-get install -y chromium chromium-driver"
        )
    root = Path(tempfile.mkdtemp(prefix="idu-ui-"))  # short path: sockets and SQLite live here
    artifacts = Path(os.environ.get("IDU_TEST_ARTIFACTS") or tmp_path_factory.mktemp("ui-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    try:
        with airflow_stack(root, PEOPLE) as stack:
            admin = stack.token("admin")
            example = stack.trigger("idu_example", admin, {"min_coverage": MIN_COVERAGE})
            embedded = stack.trigger("idu_embedded", admin, {"max_iterations": 1})
            assert stack.wait_run("idu_example", example, admin) == "success", stack.log_tail("scheduler")
            assert stack.wait_run("idu_embedded", embedded, admin) == "failed", stack.log_tail("scheduler")
            yield Runs(stack, admin, example, embedded, artifacts)
    finally:
        for log in root.glob("*.log"):
            shutil.copy(log, artifacts / log.name)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(runs: Runs) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="idu-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1400,2400"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        # Log in the way the UI does: the auth manager's JWT in the "_token" cookie.
        driver.get(f"{runs.stack.base}/api/v2/monitor/health")
        driver.add_cookie({"name": "_token", "value": runs.admin, "path": "/"})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_css(driver: Any, css: str, timeout: float = 60) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def marks(driver: Any, css: str, *attrs: str) -> list[tuple[str, ...]]:
    from selenium.webdriver.common.by import By

    return [
        tuple(el.get_attribute(f"data-{a}") for a in attrs)
        for el in driver.find_elements(By.CSS_SELECTOR, css)
    ]


def save_element(driver: Any, element_id: str, path: Path) -> None:
    """Screenshot of one element of the page, also the part below the window."""
    x, y, width, height = driver.execute_script(
        "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return [r.x + window.scrollX, r.y + window.scrollY, r.width, r.height];",
        element_id,
    )
    clip = {"x": x, "y": y, "width": width, "height": height, "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def tables(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def loop_log(database: Path) -> list[tuple[int, int]]:
    return [
        (int(k), int(n))
        for k, n in tables(
            database,
            f"SELECT iteration, updated_count FROM {SCHEMA}.{CANONICAL}_unify_loop_log ORDER BY iteration",
        )
    ]


def test_report_tab_in_the_airflow_ui_draws_what_the_tables_hold(runs: Runs, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    db = runs.stack.database("example")
    browser.get(f"{runs.stack.base}/dags/idu_example/runs/{runs.example}/plugin/identity-report")
    frame = wait_css(browser, "iframe")
    assert "/idu-report/dags/idu_example/runs/" in (frame.get_attribute("src") or "")
    browser.switch_to.frame(frame)
    try:
        wait_css(browser, "svg.convergence circle.pt")
        # Convergence: one point per loop-log row, each the count the loop recorded.
        log = loop_log(db)
        assert len(log) >= 2 and log[-1][1] == 0
        assert [(int(k), int(n)) for k, n in marks(browser, "circle.pt", "iteration", "updated")] == log
        assert len(browser.find_elements(By.CSS_SELECTOR, "rect.secs")) == len(log)
        # Row counts and coverage: one bar per table, equal to COUNT(*) / COUNT(canonical id).
        rows = {t: int(n) for t, n in marks(browser, "rect.rows", "table", "rows")}
        stored = runs.data("idu_example", runs.example)["report"]["row_counts"]
        assert rows == stored and len(rows) >= 5  # graph, lookup, master and the enriched tables
        for table, n in rows.items():
            assert tables(db, f"SELECT COUNT(*) FROM {SCHEMA}.{table}") == [(n,)], table
        coverage = marks(browser, "rect.coverage", "table", "coverage", "with-id")
        assert {t for t, _, _ in coverage} == {t for t in rows if t.startswith("enriched_")}
        for table, share, with_id in coverage:
            ((total, counted),) = tables(db, f"SELECT COUNT(*), COUNT({CANONICAL}) FROM {SCHEMA}.{table}")
            assert (int(with_id or -1), float(share or -1)) == (counted, round(counted / total, 6)), table
        (line,) = browser.find_elements(By.CSS_SELECTOR, "line.min-line")
        assert float(line.get_attribute("data-value") or -1) == MIN_COVERAGE
        distinct = browser.find_element(By.CSS_SELECTOR, '[data-fact="distinct canonical ids"]').text
        ((ids,),) = tables(db, f"SELECT COUNT(DISTINCT canonical_id) FROM {SCHEMA}.{CANONICAL}_lookup")
        assert distinct == f"{ids:,}"
        # Timeline: one bar per task that ran, from the task instances.
        assert len(browser.find_elements(By.CSS_SELECTOR, "rect.ti")) == len(
            [
                t
                for t in runs.stack.api(
                    "GET", f"/api/v2/dags/idu_example/dagRuns/{runs.example}/taskInstances", runs.admin
                ).json()["task_instances"]
                if t["state"] == "success"
            ]
        )
        assert len(browser.find_elements(By.CSS_SELECTOR, "pre code")) == 6  # validation queries
        health = runs.data("idu_example", runs.example)["health"]
        if health is None:  # the run measured no identity health: every health section says so
            assert len(browser.find_elements(By.CSS_SELECTOR, ".not-measured")) == 4
        else:  # the histogram counts the lookup's clusters by size
            sizes = [
                n
                for (n,) in tables(
                    db, f"SELECT COUNT(*) FROM {SCHEMA}.{CANONICAL}_lookup GROUP BY canonical_id"
                )
            ]
            expected = [
                (b["bucket"], sum(b["min"] <= n and (b["max"] is None or n <= b["max"]) for n in sizes))
                for b in health["cluster_sizes"]["buckets"]
            ]
            assert [(b, int(n)) for b, n in marks(browser, "rect.hist", "bucket", "clusters")] == expected
    finally:
        browser.switch_to.default_content()
    browser.save_screenshot(str(runs.artifacts / "identity-report-tab.png"))
    browser.get(runs.page("idu_example", runs.example))
    wait_css(browser, "svg.convergence")
    browser.save_screenshot(str(runs.artifacts / "identity-report.png"))
    save_element(browser, "health", runs.artifacts / "identity-report-health-as-run.png")
    if os.environ.get("IDU_UPDATE_SCREENSHOT") == "1":
        (REPO / "docs" / "img").mkdir(exist_ok=True)
        shutil.copy(runs.artifacts / "identity-report-tab.png", REPO / "docs" / "img" / "identity-report.png")


def test_every_chart_shows_at_least_three_tick_labels_on_each_axis(runs: Runs, browser: Any) -> None:
    """What the browser draws: every tick label of every chart is displayed, inside its chart, with
    text; each axis of each chart has at least three, and each axis has a title."""
    from selenium.webdriver.common.by import By

    browser.get(runs.page("idu_example", runs.example))
    wait_css(browser, "svg.timeline")
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    names = [(c.get_attribute("class") or "").split()[-1] for c in charts]
    assert sorted(names) == ["convergence", "coverage", "hist", "rows", "seconds", "timeline"], names
    for name, chart in zip(names, charts, strict=True):
        box = chart.rect
        for axis in ("x", "y"):
            ticks = [
                t
                for t in chart.find_elements(By.CSS_SELECTOR, f'text.tick[data-axis="{axis}"]')
                if t.is_displayed()
            ]
            assert len(ticks) >= 3 and all(t.text.strip() for t in ticks), (
                name,
                axis,
                [t.text for t in ticks],
            )
            for tick in ticks:
                r = tick.rect
                assert box["x"] - 1 <= r["x"] and r["x"] + r["width"] <= box["x"] + box["width"] + 1, (
                    name,
                    tick.text,
                )
                assert box["y"] - 1 <= r["y"] and r["y"] + r["height"] <= box["y"] + box["height"] + 1, (
                    name,
                    tick.text,
                )
            titles = chart.find_elements(By.CSS_SELECTOR, f'text.axis-title[data-axis="{axis}"]')
            assert titles and titles[0].text.strip(), (name, axis)
    timeline = charts[names.index("timeline")]
    x_ticks = [t.text for t in timeline.find_elements(By.CSS_SELECTOR, 'text.tick[data-axis="x"]')]
    assert x_ticks[0] == "0 s" and all(t.endswith(" s") for t in x_ticks), x_ticks  # a time axis
    save_element(browser, "convergence", runs.artifacts / "identity-report-axes.png")


@pytest.mark.parametrize("suffix", ["", "/data"], ids=["page", "data"])
@pytest.mark.parametrize(
    ("user", "status"),
    [(None, 401), ("outsider", 403), ("viewer", 200), ("admin", 200)],
    ids=["no-credentials", "no-dag-access", "viewer", "admin"],
)
def test_endpoints_need_the_uis_authentication_and_dag_read_access(
    runs: Runs, user: str | None, status: int, suffix: str
) -> None:
    headers = {"Authorization": f"Bearer {runs.stack.token(user)}"} if user else {}
    for dag_id, run_id in (("idu_example", runs.example), ("idu_embedded", runs.embedded)):
        response = httpx.get(runs.page(dag_id, run_id) + suffix, headers=headers, timeout=30)
        assert response.status_code == status, (dag_id, response.text[:300])
        if status != 200:
            assert CANONICAL not in response.text
        # The UI's own API decides the same for this user and run.
        airflow_api = httpx.get(
            f"{runs.stack.base}/api/v2/dags/{dag_id}/dagRuns/{run_id}", headers=headers, timeout=30
        )
        assert airflow_api.status_code == status


def test_failed_run_of_an_embedding_dag_shows_its_partial_curve_and_the_failure(
    runs: Runs, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(runs.page("idu_embedded", runs.embedded))
    wait_css(browser, "svg.convergence circle.pt")
    log = loop_log(runs.stack.database("embedded"))
    assert len(log) == 1
    assert [(int(k), int(n)) for k, n in marks(browser, "circle.pt", "iteration", "updated")] == log
    failure = browser.find_element(By.ID, "failure")
    assert failure.is_displayed()
    assert "The unify loop did not converge within 1 iteration(s) (max_iterations 1)" in failure.text
    assert "Failed: idu.loop.unify_loop failed: unify loop did not converge in 1 iterations" in failure.text
    assert "idu.loop.unify_loop" in failure.text
    assert browser.find_element(By.CSS_SELECTOR, '[data-fact="task group"]').text == "idu"
    assert {
        el.get_attribute("data-task-id")
        for el in browser.find_elements(By.CSS_SELECTOR, "rect.ti.state-failed")
    } == {"idu.loop.unify_loop"}
    browser.save_screenshot(str(runs.artifacts / "identity-report-failed.png"))


def test_planted_identifier_renders_as_text_with_the_health_dict(runs: Runs, browser: Any) -> None:
    """The contract's health dict with a hostile identifier value, planted where the page reads health:
    the gate task's XCom ``health`` when the DAG has the gate, else the report's return value."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    health = sample.health()
    run = f"/api/v2/dags/idu_example/dagRuns/{runs.example}/taskInstances"
    task_ids = {t["task_id"] for t in runs.data("idu_example", runs.example)["tasks"]}
    if "gate.identity_health" in task_ids:
        path, value = f"{run}/gate.identity_health/xcomEntries/health", health
    else:
        path = f"{run}/report/xcomEntries/return_value"
        report = runs.stack.api("GET", path + "?deserialize=true", runs.admin).json()["value"]
        value = {**report, "health": health}
    response = runs.stack.api("PATCH", path, runs.admin, json={"value": value})
    assert response.status_code == 200, response.text
    assert runs.data("idu_example", runs.example)["health"] == health
    browser.get(runs.page("idu_example", runs.example))
    wait_css(browser, "svg.hist")
    assert browser.find_elements(By.TAG_NAME, "img") == []
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    cells = [el.text for el in browser.find_elements(By.CSS_SELECTOR, "#largest code")]
    assert cells.count(sample.XSS) == 2  # canonical id and top value, as visible text
    assert [(b, int(n)) for b, n in marks(browser, "rect.hist", "bucket", "clusters")] == [
        (b["bucket"], b["clusters"]) for b in health["cluster_sizes"]["buckets"]
    ]
    verdicts = {
        el.get_attribute("data-gate"): el.text for el in browser.find_elements(By.CSS_SELECTOR, "[data-gate]")
    }
    assert verdicts == {"max_cluster_size": "passed", "max_churn_share": "passed", "min_clusters": "skipped"}
    assert browser.find_elements(By.CSS_SELECTOR, ".not-measured") == []
    save_element(browser, "health", runs.artifacts / "identity-report-health.png")


@pytest.mark.parametrize(
    ("scheme", "background"), [("light", "rgb(255, 255, 255)"), ("dark", "rgb(17, 20, 24)")]
)
def test_page_follows_the_color_scheme(runs: Runs, browser: Any, scheme: str, background: str) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )
    try:
        browser.get(runs.page("idu_example", runs.example))
        wait_css(browser, "svg.convergence")
        assert browser.execute_script("return getComputedStyle(document.body).backgroundColor") == background
        other = "dark" if scheme == "light" else "light"
        browser.get(
            runs.page("idu_example", runs.example) + f"?theme={other}"
        )  # the theme the UI passes wins
        wait_css(browser, "svg.convergence")
        assert browser.execute_script("return getComputedStyle(document.body).backgroundColor") != background
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


@pytest.mark.parametrize(
    ("theme", "background"), [("dark", "rgb(17, 20, 24)"), ("light", "rgb(255, 255, 255)")]
)
def test_tab_follows_the_theme_chosen_in_the_airflow_ui(
    runs: Runs, browser: Any, theme: str, background: str
) -> None:
    other = "light" if theme == "dark" else "dark"
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": other}]}
    )
    try:
        browser.get(f"{runs.stack.base}/api/v2/monitor/health")
        browser.execute_script(
            "localStorage.setItem('theme', arguments[0])", theme
        )  # the UI's color-mode switch
        browser.get(f"{runs.stack.base}/dags/idu_example/runs/{runs.example}/plugin/identity-report")
        browser.switch_to.frame(wait_css(browser, "iframe"))
        wait_css(browser, "svg.convergence")
        assert browser.execute_script("return getComputedStyle(document.body).backgroundColor") == background
        if theme == "dark":
            browser.switch_to.default_content()
            browser.save_screenshot(str(runs.artifacts / "identity-report-tab-dark.png"))
    finally:
        browser.switch_to.default_content()
        browser.execute_script("localStorage.removeItem('theme')")
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
