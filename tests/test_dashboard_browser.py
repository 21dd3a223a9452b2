"""The dashboard as management sees it: a real ``iso20k dashboard`` (Voila) process on a demo
company built by ``build_demo``, driven in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import date
from pathlib import Path

import pytest
import websocket

from browser import chromium_page
from dashboard_world import dashboard, expected_table, fingerprint, make_world
from iso20k.tracks import track_title

pytestmark = pytest.mark.slow
TRACKS = ("all-staff", "key-personnel", "document-writing")


#: A department name longer than any real one (the demo's longest is "网络与基础设施部 Network &
#: Infrastructure"): the status chart must show it whole, inside the chart, in both languages.
LONG_DEPARTMENT = ("信息技术服务管理体系持续改进与合规审计部 IT Service Management System Continual "
                   "Improvement & Compliance Audit")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from datetime import timedelta

    from iso20k.roster import write_employees
    from iso20k.roster.validate import Employee
    from iso20k.store import ProgressStore

    base = tmp_path_factory.mktemp("dashboard")
    settings, env, summary = make_world(base, departments=8)  # all the demo's real department names
    store = ProgressStore(settings.effective_db_url)
    due = date.today() - timedelta(days=3)
    write_employees([Employee("E9001", "欧阳长名", LONG_DEPARTMENT, "manager", "e9001@demo.example.com",
                              ("all-staff", "key-personnel"), {"all-staff": due, "key-personnel": due})],
                    store, partial=True)
    store.close()
    before = fingerprint(settings)
    with dashboard(env, base / "voila.log") as url:
        yield settings, url, base
    assert fingerprint(settings) == before, "the dashboard changed a database file"


def open_dashboard(page, url: str, refused: list[str] | None = None):
    if refused is not None:
        def route(r):
            if r.request.url.startswith(("data:", url.rstrip("/"))):
                r.continue_()
            else:
                refused.append(r.request.url)
                r.abort()
        page.route("**/*", route)
    page.goto(url)
    page.wait_for_selector("table.iso20k-table[data-view=departments]", timeout=90_000)


def table(page, name: str = "departments") -> list[list[str]]:
    return page.eval_on_selector(
        f"table.iso20k-table[data-view={name}]",
        "t => [...t.querySelectorAll('tr')].map(r => [...r.children].map(c => c.textContent.trim()))")


def version(page) -> int:
    return int(page.get_attribute(".iso20k-departments", "data-version"))


def choose(page, label: str, value_text: str) -> None:
    """Pick an option of the drop-down labelled ``label``, as a person would, and wait for the update."""
    before = version(page)
    page.locator(".widget-dropdown", has=page.locator(f"label:text-is('{label}')")).locator("select") \
        .select_option(label=value_text)
    page.wait_for_function(f"+document.querySelector('.iso20k-departments').dataset.version > {before}",
                           timeout=20_000)


def test_page_renders_the_numbers_of_the_databases_with_nothing_from_the_internet(world):
    settings, url, _ = world
    refused: list[str] = []
    with chromium_page() as page:
        open_dashboard(page, url, refused)
        rows = table(page)
        text = page.inner_text("body")
    assert refused == []
    assert "Traceback" not in text and "import " not in text  # no code shown
    expected = expected_table(settings, date.today())
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header[:2] == ["Department", "Employees"]
    assert {r[0] for r in body} == set(expected)
    for r in body:
        want = expected[r[0]]
        cells = [want["employees"]]
        for track in TRACKS:
            required, trained, overdue = want.get(track, (0, 0, 0))
            pct = "—" if not required else f"{100 * trained / required:.0f}%"
            cells += [required, trained, pct, overdue]
        assert r[1:] == [str(c) for c in cells], f"row {r[0]}"
    assert total[1] == str(sum(v["employees"] for v in expected.values()))
    assert sum(int(r[3]) for r in body) > 0, "the demo company has people who passed"
    assert sum(int(r[5]) for r in body) > 0, "the demo company has people overdue"


def test_filters_change_the_table_and_the_csv_is_exactly_the_table(world):
    settings, url, _ = world
    with chromium_page() as page:
        open_dashboard(page, url)
        everyone = table(page)
        department = everyone[1][0]
        choose(page, "Department", department)
        one = table(page)
        assert [r[0] for r in one[1:-1]] == [department] and one[-1][1:] == everyone[1][1:]
        people = table(page, "people")
        assert len(people) - 1 == int(everyone[1][1])  # the drill-down lists every employee there
        choose(page, "Track", "Key-personnel track")
        key = table(page)
        assert len(key[0]) == 6 and key[0][2].startswith(track_title("key-personnel", "en", short=True))

        before = version(page)
        page.fill("input[type=date]", "2026-01-01")  # "as of" a day before anyone started
        page.wait_for_function(f"+document.querySelector('.iso20k-departments').dataset.version > {before}")
        early = table(page)
        assert [r[3] for r in early[1:]] == ["0"] * (len(early) - 1), "nobody had passed yet"
        page.fill("input[type=date]", date.today().isoformat())
        page.wait_for_function(f"+document.querySelector('.iso20k-departments').dataset.version > {before + 1}")
        assert table(page) == key

        with page.expect_download() as download:
            page.click("a.iso20k-download[data-view=departments]")
        saved = Path(download.value.path()).read_bytes().decode("utf-8-sig")
        assert list(csv.reader(io.StringIO(saved))) == key
        assert download.value.suggested_filename.startswith("training-completion-")


def test_chinese_uses_real_cjk_fonts(world):
    _, url, _ = world
    with chromium_page() as page:
        open_dashboard(page, url)
        before = version(page)
        page.click("button:text-is('简体中文')")
        page.wait_for_function(f"+document.querySelector('.iso20k-departments').dataset.version > {before}")
        assert table(page)[0][:2] == ["部门", "员工人数"]
        assert "各部门培训完成情况" in page.inner_text("body")
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "table.iso20k-table th"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    assert any("CJK" in f["familyName"] for f in fonts), fonts


def _kernel_socket(page, url: str):
    config = json.loads(page.inner_text("script#jupyter-config-data"))
    ws_url = url.replace("http://", "ws://") + f"api/kernels/{config['kernelId']}/channels"
    ws = websocket.create_connection(ws_url, timeout=5)
    return ws


def _send(ws, channel: str, msg_type: str, content: dict) -> None:
    msg_id = f"test-{time.monotonic_ns()}"
    ws.send(json.dumps({"channel": channel, "header": {"msg_id": msg_id, "msg_type": msg_type, "username": "x",
                                                       "session": "test", "version": "5.3", "date": ""},
                        "parent_header": {}, "metadata": {}, "content": content, "buffers": []}))


def _drain(ws, seconds: float) -> list[dict]:
    got, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            got.append(json.loads(ws.recv()))
        except websocket.WebSocketTimeoutException:
            pass
        except Exception:
            break
    return got


def test_the_kernel_runs_no_code_sent_to_it(world):
    _, url, base = world
    marker = base / "executed.txt"
    with chromium_page() as page:
        open_dashboard(page, url)
        ws = _kernel_socket(page, url)
        ws.settimeout(0.5)
        _send(ws, "shell", "execute_request", {"code": f"open({str(marker)!r}, 'w').write('x')", "silent": False,
                                               "store_history": True, "user_expressions": {}, "allow_stdin": False})
        got = _drain(ws, 4)
        ws.close()
    assert not marker.exists()
    assert not [m for m in got if m.get("msg_type") in ("execute_reply", "execute_input", "execute_result")]


def test_out_of_range_widget_messages_leak_no_traceback(world):
    _, url, _ = world
    with chromium_page() as page:
        open_dashboard(page, url)
        ws = _kernel_socket(page, url)
        ws.settimeout(0.5)
        _send(ws, "shell", "comm_info_request", {"target_name": "jupyter.widget"})
        replies = [m for m in _drain(ws, 3) if m.get("msg_type") == "comm_info_reply"]
        comms = list(replies[0]["content"]["comms"])
        for comm_id in comms:
            _send(ws, "shell", "comm_msg", {"comm_id": comm_id, "data": {"method": "request_state"}})
        models = {m["content"]["comm_id"]: m["content"]["data"]["state"].get("_model_name")
                  for m in _drain(ws, 3) if m.get("msg_type") == "comm_msg"
                  and m["content"]["data"].get("method") == "update" and "state" in m["content"]["data"]}
        bad = {"DropdownModel": {"index": 99999}, "ToggleButtonsModel": {"index": -5},
               "DatePickerModel": {"value": {"year": "never", "month": 13, "date": 99}}}
        sent = 0
        for comm_id, model in models.items():
            if model in bad:  # an index no list has, a date no calendar has
                _send(ws, "shell", "comm_msg", {"comm_id": comm_id, "data": {
                    "method": "update", "state": bad[model], "buffer_paths": []}})
                sent += 1
        assert sent == 6, models  # track, department, role, sort; language; as-of day
        got = _drain(ws, 4)
        ws.close()
        page.wait_for_timeout(500)
        text = page.inner_text("body")
        assert not [m for m in got if m.get("msg_type") == "error"]
        assert "Traceback" not in json.dumps(got) and "Traceback" not in text
        assert "TraitError" not in text
        # The page still works afterwards.
        choose(page, "Role", "Manager")
        assert len(table(page)) >= 2


def test_kernels_of_closed_pages_are_shut_down(world, tmp_path):
    settings, _, _ = world
    env = {"ISO20K_DATA_DIR": str(settings.data_dir), "ISO20K_COURSE_ROOT": str(settings.course_root),
           "ISO20K_DASHBOARD_CULL_IDLE_S": "5"}
    log = tmp_path / "voila.log"
    with dashboard(env, log) as url:
        with chromium_page() as page:
            open_dashboard(page, url)
            kernel = json.loads(page.inner_text("script#jupyter-config-data"))["kernelId"]
        deadline = time.monotonic() + 60
        while f"Kernel shutdown: {kernel}" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert f"Kernel shutdown: {kernel}" in log.read_text(), "the closed page's kernel was left running"


def test_dashboard_needs_a_token_off_localhost(world, tmp_path):
    import urllib.error
    import urllib.request

    settings, _, _ = world
    env = {"ISO20K_DATA_DIR": str(settings.data_dir), "ISO20K_COURSE_ROOT": str(settings.course_root),
           "ISO20K_DASHBOARD_TOKEN": "s3cret-token"}
    with dashboard(env, tmp_path / "voila.log", extra=("--ip", "0.0.0.0")) as url:
        try:  # without the token: refused, or sent to the log-in page
            with urllib.request.urlopen(url, timeout=10) as answer:
                assert "/login" in answer.url, answer.url
                assert "jupyter-config-data" not in answer.read().decode()
        except urllib.error.HTTPError as refused:
            assert refused.code in (401, 403)
        with chromium_page() as page:
            page.goto(url + "?token=s3cret-token")
            page.wait_for_selector("table.iso20k-table", timeout=90_000)
    assert "s3cret-token" not in (tmp_path / "voila.log").read_text()  # never in the log


#: Every label of the charts whose box is not inside its chart's box, or whose text is cut; the
#: pass-mark labels a bar covers; the y-axis ticks of each histogram and of the history.
MEASURE_LABELS = """() => {
  const problems = [];
  const inside = (r, box) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5
                             && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
  const within = (chart, labels, what) => {
    const box = chart.getBoundingClientRect();
    for (const label of labels) {
      const r = label.getBoundingClientRect();
      const text = label.textContent;
      if (!r.width || !r.height) problems.push(`${what}: "${text}" is not drawn`);
      else if (!inside(r, box)) problems.push(`${what}: "${text}" [${r.left},${r.right}]x[${r.top},${r.bottom}] `
                                              + `is outside [${box.left},${box.right}]x[${box.top},${box.bottom}]`);
      if (label instanceof HTMLElement && label.scrollWidth > label.clientWidth + 1) problems.push(`${what}: "${text}" is cut`);
    }
  };
  const chart = document.querySelector('.iso20k-chart');
  const bars = chart.querySelector('.iso20k-bars');
  within(bars, bars.querySelectorAll('.iso20k-bar-label, .iso20k-bar-total, text'), 'status chart');
  within(chart, chart.querySelectorAll('h3, .iso20k-legend > span'), 'status chart title or legend');
  const svgs = [...document.querySelectorAll('.iso20k-hist svg, svg.iso20k-history')];
  for (const svg of svgs) within(svg, svg.querySelectorAll('text'), svg.querySelector('title').textContent);
  const covered = [], ticks = {};
  for (const hist of document.querySelectorAll('.iso20k-hist')) {
    const svg = hist.querySelector('svg');
    if (!svg) continue;
    const label = svg.querySelector('.iso20k-passmark');
    if (!label) { problems.push(`${hist.dataset.track}: no pass-mark label`); continue; }
    const mark = label.getBoundingClientRect();
    for (const rect of svg.querySelectorAll('rect')) {
      const r = rect.getBoundingClientRect();
      if (r.left < mark.right && mark.left < r.right && r.top < mark.bottom && mark.top < r.bottom)
        covered.push(hist.dataset.track);
    }
    ticks[hist.dataset.track] = [...svg.querySelectorAll('text.iso20k-tick[text-anchor=end]')].map(t => t.textContent);
  }
  ticks.history = [...document.querySelectorAll('svg.iso20k-history text.iso20k-tick[text-anchor=end]')].map(t => t.textContent);
  return {problems, covered, ticks, charts: svgs.length,
          departments: [...bars.querySelectorAll('.iso20k-bar-label')].map(l => l.textContent),
          lang: document.documentElement.lang};
}"""


def test_no_chart_label_is_cut_or_covered_in_either_language(world):
    """Every label (department names, totals, legend, titles, ticks, axis titles, pass marks) lies
    inside its chart's box in Chromium, in English and in Chinese, with the demo company's longest
    department names and a longer one; pass-mark labels clear of the bars; y-axes with ticks
    between 0 and the top; clause rows titled in the page's language; the page's <html lang>."""
    _, url, _ = world
    with chromium_page() as page:
        open_dashboard(page, url)
        departments = [r[0] for r in table(page)[1:-1]]
        for language in ("en", "zh"):
            if language == "zh":
                before = version(page)
                page.click("button:text-is('简体中文')")
                page.wait_for_function(f"+document.querySelector('.iso20k-departments').dataset.version > {before}")
            found = page.evaluate(MEASURE_LABELS)
            assert found["problems"] == [], (language, found["problems"])
            assert found["covered"] == [], f"{language}: a bar covers the pass-mark label of {found['covered']}"
            assert found["departments"] == departments and LONG_DEPARTMENT in departments  # whole names
            assert found["charts"] >= 2
            assert len(found["ticks"]["all-staff"]) >= 3, found["ticks"]  # 0, a step or more, the top
            assert found["ticks"]["history"] == ["0%", "25%", "50%", "75%", "100%"]
            assert found["lang"] == {"en": "en", "zh": "zh-Hans"}[language]
            clauses = table(page, "clauses")[1:]
            titled = [row for row in clauses if row[0].split(" ", 1)[0][0].isdigit()]
            assert titled and all(" " in row[0] for row in titled), clauses  # "8.2.5 Asset management"
            sources = " ".join(row[-1] for row in clauses)
            if language == "zh":
                assert "quiz" not in sources and "exam" not in sources and "测验" in sources
                assert all(re.search(r"[\u4e00-\u9fff]", row[0]) for row in titled), clauses
