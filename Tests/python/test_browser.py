"""What a user sees in JupyterLab: a real JupyterLab server from .venv driven in headless Chromium (selenium).

The launcher shows the kernel with its logo; a training cell run from the keyboard draws a live plot that
changes while the cell runs; the toolbar's stop button ends a long training and the kernel goes back to Idle;
Tab after `data.` lists the data module's members. A screenshot of the notebook with its plot goes to
results/jupyterlab.png. The debugger, switched on from the toolbar, stops at a breakpoint clicked in the gutter
and shows the local's value (results/debugger.png).

Needs Debian's `chromium` and `chromium-driver` (skipped without them)."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip("needs Debian's chromium and chromium-driver", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

KERNEL_NAME = "Swift (Classification)"
NOTEBOOK = "training.ipynb"
# A softmax regression epoch on Fashion-MNIST takes 0.06-0.1 s here once the data is in memory (the
# first one of a session 0.2-2 s); the plot is redrawn at most every 0.25 s. 30 epochs take 2-4 s and
# give the plot about ten frames. The interrupted training would take a minute if the stop were ignored.
PLOT_EPOCHS = 30
LONG_EPOCHS = 1000
CELLS = [
    "let data = FashionMNIST(batchSize: 256)",
    f"let model = SoftmaxRegression(numOutputs: 10, lr: 0.1)\nTrainer(maxEpochs: {PLOT_EPOCHS}).fit(model, data)",
    f"let longModel = SoftmaxRegression(numOutputs: 10, lr: 0.1)\nTrainer(maxEpochs: {LONG_EPOCHS}).fit(longModel, data)",
    "",
]
DATA, PLOT, LONG, COMPLETION = range(4)
DONE = re.compile(r"^\[\d+\]:$")


# The server and the browser.

def _jupyter_processes(marker):
    """Pids of processes whose command line holds marker (our kernels hold our runtime dir)."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


@pytest.fixture(scope="module")
def lab():
    """A JupyterLab server on a free port with no auth, its own config, runtime, settings and workspace
    folders, and conftest's Jupyter path (our kernelspec first). Yields its base URL and root folder."""
    home = tempfile.mkdtemp(prefix="swift-kernel-lab-")
    root, config, runtime, settings, workspaces = (os.path.join(home, d) for d in
                                                   ("root", "config", "runtime", "settings", "workspaces"))
    for d in (root, config, runtime, workspaces):
        os.makedirs(d)
    # No "Would you like to get notified about official Jupyter news?" toast over the notebook.
    notification = os.path.join(settings, "@jupyterlab", "apputils-extension")
    os.makedirs(notification)
    with open(os.path.join(notification, "notification.jupyterlab-settings"), "w") as f:
        json.dump({"fetchNews": "false", "checkForUpdates": False}, f)
    with open(os.path.join(config, "jupyter_server_config.json"), "w") as f:
        json.dump({"LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}}, f)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=config, JUPYTER_RUNTIME_DIR=runtime)
    log_path = os.path.join(home, "server.log")
    log = open(log_path, "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         "--ServerApp.port=0", "--IdentityProvider.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={root}", f"--LabServerApp.user_settings_dir={settings}",
         f"--LabServerApp.workspaces_dir={workspaces}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def server_log():
        with open(log_path, errors="replace") as f:
            return f.read()[-3000:]

    try:
        # The server writes its port to jpserver-<pid>.json in its runtime folder.
        info_path = os.path.join(runtime, f"jpserver-{server.pid}.json")
        deadline = time.time() + 60
        url = None
        while time.time() < deadline and server.poll() is None:
            if url is None and os.path.exists(info_path):
                try:
                    with open(info_path) as f:
                        url = f"http://127.0.0.1:{json.load(f)['port']}"
                except (ValueError, KeyError):
                    pass  # being written
            if url is not None:
                try:
                    if _get(url + "/api/status")[0] == 200:
                        break
                except OSError:
                    pass
            time.sleep(0.2)
        else:
            pytest.fail(f"JupyterLab did not answer within 60 s:\n{server_log()}")
        yield {"url": url, "root": root, "log": server_log}
    finally:
        kernels = _jupyter_processes(runtime)
        server.send_signal(signal.SIGTERM)  # the server shuts its kernels down as it stops
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        deadline = time.time() + 15
        while time.time() < deadline and any(os.path.exists(f"/proc/{pid}") for pid in kernels):
            time.sleep(0.2)
        for pid in kernels:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver, timeout=60):
    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,))


# The notebook.

def cell(driver, index):
    return driver.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Notebook .jp-Cell")[index]


def prompt(driver, index):
    """The cell's input prompt as shown: "[ ]:", "[*]:" while it runs, "[3]:" when done."""
    return cell(driver, index).find_element(By.CSS_SELECTOR, ".jp-InputPrompt").text.strip()


def kernel_status(driver):
    """The status bar's "Swift (Classification) | Idle" and the toolbar's execution indicator ("idle"/"busy")."""
    return driver.execute_script("""
        const bar = [...document.querySelectorAll('.jp-StatusBar-TextItem')]
            .map(e => e.textContent.trim()).find(t => t.includes(' | '));
        const indicator = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
        return [bar || '', indicator ? indicator.dataset.status : ''];""")


def outputs(driver, index):
    """(mime type, text) of each output of the cell."""
    return [(o.get_attribute("data-mime-type"), o.text)
            for o in cell(driver, index).find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")]


def plot_state(driver, index):
    """In one look: the cell's prompt and the SVGs of its output area (JupyterLab shows an SVG output
    as an <img> whose src is the SVG itself, as a data URI)."""
    return driver.execute_script("""
        const cell = document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')[arguments[0]];
        return [cell.querySelector('.jp-InputPrompt').textContent.trim(),
                [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="image/svg+xml"] img')]
                    .map(img => img.getAttribute('src'))];""", index)


def svg_text(src):
    prefix = "data:image/svg+xml,"
    assert src.startswith(prefix), src[:100]
    return urllib.parse.unquote(src[len(prefix):])


def run_cell(driver, index):
    """Clicks into the cell's editor and presses Shift+Enter, as a user runs a cell."""
    editor = cell(driver, index).find_element(By.CSS_SELECTOR, ".jp-InputArea-editor .cm-content")
    editor.click()
    driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.ENTER)


def wait_done(driver, index, timeout=120):
    wait(driver, timeout).until(lambda d: DONE.match(prompt(d, index)),
                                f"cell {index} still shows {prompt(driver, index)!r} after {timeout} s")


@pytest.fixture(scope="module")
def notebook(lab, browser):
    """training.ipynb (the kernelspec in its metadata) open in JupyterLab, its first cell run: `data` is loaded."""
    nb = new_notebook(cells=[new_code_cell(source) for source in CELLS], metadata={
        "kernelspec": {"name": "swift", "display_name": KERNEL_NAME, "language": "swift"},
        "language_info": {"name": "swift"}})
    nbformat.write(nb, os.path.join(lab["root"], NOTEBOOK))
    browser.get(f"{lab['url']}/lab/tree/{NOTEBOOK}")
    wait(browser).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Cell")) == len(CELLS))
    wait(browser).until(lambda d: kernel_status(d)[0] == f"{KERNEL_NAME} | Idle",
                        f"the kernel did not start: {kernel_status(browser)}\n{lab['log']()}")
    run_cell(browser, DATA)
    wait_done(browser, DATA)
    assert outputs(browser, DATA) == [], outputs(browser, DATA)
    return browser


def completer_items(driver):
    """The items of the completer popup on screen (a closed one stays in the page, hidden)."""
    return [item for popup in driver.find_elements(By.CSS_SELECTOR, ".jp-Completer") if popup.is_displayed()
            for item in popup.find_elements(By.CSS_SELECTOR, ".jp-Completer-item")]


# The tests.

def test_the_launcher_shows_the_kernel_with_its_logo(lab, browser):
    browser.get(f"{lab['url']}/lab")
    card = wait(browser).until(lambda d: d.find_element(
        By.CSS_SELECTOR, f'.jp-LauncherCard[data-category="Notebook"][title="{KERNEL_NAME}"]'))
    assert card.find_element(By.CSS_SELECTOR, ".jp-LauncherCard-label").text.replace("\n", " ") == KERNEL_NAME
    logo = card.find_element(By.CSS_SELECTOR, "img.jp-Launcher-kernelIcon")
    src = logo.get_attribute("src")
    match = re.search(r"/kernelspecs/swift/(logo-svg\.svg|logo-64x64\.png)$", src)
    assert match, src
    # The image loaded and has a size: the user sees the logo, not a broken-image icon.
    wait(browser, 20).until(lambda d: d.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0 && arguments[0].naturalHeight > 0", logo),
        f"the logo {src} did not load")
    # It is the kernelspec's own file.
    installed = os.path.join(os.environ["JUPYTER_PATH"], "kernels", "swift", match.group(1))
    with open(installed, "rb") as f:
        assert _get(src) == (200, f.read())
    # The console section offers the kernel too.
    assert browser.find_elements(By.CSS_SELECTOR, f'.jp-LauncherCard[data-category="Console"][title="{KERNEL_NAME}"]')


def test_a_training_cell_draws_a_live_plot_that_changes_while_it_runs(notebook):
    driver = notebook
    run_cell(driver, PLOT)
    started = time.time()
    # Every distinct version of the plot seen while the cell shows [*], polled every 0.1 s.
    while_running = []
    final = None
    while time.time() - started < 120:
        shown, svgs = plot_state(driver, PLOT)
        if DONE.match(shown):
            final = svgs
            break
        if shown == "[*]:" and svgs:
            assert len(svgs) == 1, f"one live plot, not {len(svgs)}"
            if svgs[0] not in while_running:
                while_running.append(svgs[0])
        time.sleep(0.1)
    seconds = time.time() - started
    assert final is not None, f"the cell did not finish in 120 s: {prompt(driver, PLOT)!r}"
    assert len(while_running) >= 3, (
        f"the plot was seen in {len(while_running)} version(s) while the cell ran ({seconds:.1f} s)")
    for src in while_running:
        assert svg_text(src).startswith("<svg") and "train_loss" in svg_text(src)
    # The last frame shows all three lines; the cell's value is the history table of every epoch.
    assert len(final) == 1 and final[0] != while_running[0]
    assert all(label in svg_text(final[0]) for label in ("train_loss", "val_loss", "val_acc"))
    wait(driver, 10).until(lambda d: [kind for kind, _ in outputs(d, PLOT)] == ["image/svg+xml", "text/html"],
                           f"outputs: {outputs(driver, PLOT)}")
    table = outputs(driver, PLOT)[1][1]
    assert table.startswith("epoch train_loss val_loss val_acc seconds"), table[:200]
    assert len(table.strip().splitlines()) == PLOT_EPOCHS + 1, table
    plot = cell(driver, PLOT).find_element(By.CSS_SELECTOR, '.jp-OutputArea-output[data-mime-type="image/svg+xml"] img')
    assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", plot) > 0

    # The screenshot: the notebook with its plot.
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", cell(driver, DATA))
    wait(driver, 10).until(lambda d: d.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight", plot))
    os.makedirs(os.path.join(ROOT, "results"), exist_ok=True)
    assert driver.save_screenshot(os.path.join(ROOT, "results", "jupyterlab.png"))


def test_the_stop_button_ends_a_long_training_and_the_kernel_is_idle_again(notebook):
    driver = notebook
    run_cell(driver, LONG)
    # Training is under way once its plot shows.
    wait(driver, 120).until(lambda d: plot_state(d, LONG)[1] or DONE.match(plot_state(d, LONG)[0]))
    assert prompt(driver, LONG) == "[*]:", outputs(driver, LONG)
    assert kernel_status(driver)[0] == f"{KERNEL_NAME} | Busy"
    driver.find_element(By.CSS_SELECTOR, '.jp-NotebookPanel jp-button[data-command="notebook:interrupt-kernel"]').click()
    wait(driver, 15).until(lambda d: DONE.match(prompt(d, LONG)), "the cell still runs 15 s after the stop button")
    wait(driver, 15).until(lambda d: kernel_status(d) == [f"{KERNEL_NAME} | Idle", "idle"],
                           f"the kernel is not idle 15 s after the stop button: {kernel_status(driver)}")
    # The plot keeps what was learnt; the cell says it was interrupted (stderr), and has no history table:
    # the training did not run to its end.
    wait(driver, 10).until(
        lambda d: [kind for kind, _ in outputs(d, LONG)] == ["image/svg+xml", "application/vnd.jupyter.stderr"],
        f"outputs: {outputs(driver, LONG)}")
    shown = outputs(driver, LONG)
    assert shown[1][1].startswith("Interrupted: the cell stopped early at your request; the session's state is kept."), shown
    assert "train_loss" in svg_text(plot_state(driver, LONG)[1][0])


def test_tab_after_data_dot_lists_the_data_modules_members(notebook):
    driver = notebook
    editor = cell(driver, COMPLETION).find_element(By.CSS_SELECTOR, ".jp-InputArea-editor .cm-content")
    editor.click()
    driver.switch_to.active_element.send_keys("data.")
    wait(driver, 10).until(lambda d: editor.text == "data.")
    driver.switch_to.active_element.send_keys(Keys.TAB)
    try:
        # JupyterLab drops a kernel's completions that take over 1 s (the completer's providerTimeout).
        items = wait(driver, 10).until(lambda d: completer_items(d))
    except TimeoutException:
        driver.switch_to.active_element.send_keys(Keys.TAB)
        again = wait(driver, 10).until(lambda d: completer_items(d), "no completer popup after Tab, twice")
        pytest.fail("the first Tab showed no completer, a second one did: the kernel's first completion (which "
                    "starts its SourceKit server) took longer than JupyterLab waits for a kernel (1 s); "
                    f"the second Tab listed {[item.get_attribute('data-value') for item in again]}")
    names = [item.get_attribute("data-value") for item in items]
    for member in ("trainDataloader()", "valDataloader()", "numTrain", "batchSize"):
        assert member in names, names
    for unrelated in ("transposed()", "FashionMNIST", "Trainer"):
        assert unrelated not in names, names
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(driver, 10).until(lambda d: not completer_items(d), "Escape did not close the completer")


DEBUG_NOTEBOOK = "debugging.ipynb"
DEBUG_CELLS = ["let offset = 10", "func scaled(_ x: Int) -> Int {\n  let doubled = x * 2\n  return doubled + offset\n}\nprint(scaled(16))"]


def gutter_of_line(driver, index, line):
    """The breakpoint gutter's element beside the cell's line (1-based)."""
    return driver.execute_script("""
        const cell = document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')[arguments[0]];
        const line = cell.querySelectorAll('.cm-line')[arguments[1] - 1].getBoundingClientRect();
        return [...cell.querySelectorAll('.cm-breakpoint-gutter .cm-gutterElement')].find(e => {
            const r = e.getBoundingClientRect();
            return r.height > 0 && Math.abs(r.top - line.top) < 3; });""", index, line)


def shown_variables(driver):
    """(name, value) of each variable the debugger's variables panel shows."""
    return driver.execute_script("""
        return [...document.querySelectorAll('.jp-DebuggerVariables-body .jp-DebuggerVariables-name')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.textContent.replace(/:$/, '').trim(),
                       (e.parentElement.querySelector('.jp-DebuggerVariables-detail') || {}).textContent || '']);""")


def test_the_debugger_stops_at_a_gutter_breakpoint_and_shows_the_locals(lab, browser):
    driver = browser
    nb = new_notebook(cells=[new_code_cell(source) for source in DEBUG_CELLS], metadata={
        "kernelspec": {"name": "swift", "display_name": KERNEL_NAME, "language": "swift"},
        "language_info": {"name": "swift"}})
    nbformat.write(nb, os.path.join(lab["root"], DEBUG_NOTEBOOK))
    # `?reset`: a workspace with this notebook alone (the training notebook of the tests above stays closed).
    driver.get(f"{lab['url']}/lab/tree/{DEBUG_NOTEBOOK}?reset")
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel")) == 1
                       and len(d.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Cell")) == 2)
    wait(driver).until(lambda d: kernel_status(d)[0] == f"{KERNEL_NAME} | Idle",
                       f"the kernel did not start: {kernel_status(driver)}\n{lab['log']()}")
    run_cell(driver, 0)
    wait_done(driver, 0)

    # The bug icon is there because the kernelspec says `debugger: true`; pressing it starts the debugger.
    bug = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-DebuggerBugButton"))
    bug.click()
    wait(driver, 60).until(lambda d: d.find_element(
        By.CSS_SELECTOR, ".jp-NotebookPanel .jp-DebuggerBugButton").get_attribute("aria-pressed") == "true",
        "the debugger did not start")
    wait(driver, 30).until(lambda d: gutter_of_line(d, 1, 3) is not None, "no breakpoint gutter beside line 3")
    ActionChains(driver).move_to_element(gutter_of_line(driver, 1, 3)).click().perform()
    wait(driver, 30).until(lambda d: cell(d, 1).find_elements(By.CSS_SELECTOR, ".cm-breakpoint-gutter .cm-gutterElement:not(:empty)"),
                           "no breakpoint shown after the click in the gutter")

    run_cell(driver, 1)
    # The variables panel (in the debugger's sidebar) shows the cell's locals once it stops there.
    def stopped_with_locals(d):
        if not [e for e in d.find_elements(By.CSS_SELECTOR, ".jp-DebuggerVariables") if e.is_displayed()]:
            tabs = d.find_elements(By.CSS_SELECTOR, 'li[data-id="jp-debugger-sidebar"]')
            if tabs and "lm-mod-current" not in (tabs[0].get_attribute("class") or ""):
                tabs[0].click()
        return ("doubled", "32") in [tuple(v) for v in shown_variables(d)]
    try:
        wait(driver, 90).until(stopped_with_locals)
    except TimeoutException:
        driver.save_screenshot("/tmp/debugger-failure.png")
        pytest.fail(f"the variables panel shows {shown_variables(driver)}")
    assert ("x", "16") in [tuple(v) for v in shown_variables(driver)]
    assert prompt(driver, 1) == "[*]:"
    # JupyterLab highlights the line it stopped at: the frame's path is the one it computed for the cell.
    highlighted = cell(driver, 1).find_elements(By.CSS_SELECTOR, ".cm-line.jp-DebuggerEditor-highlight")
    assert [line.text for line in highlighted] == ["  return doubled + offset"], [line.text for line in highlighted]
    os.makedirs(os.path.join(ROOT, "results"), exist_ok=True)
    assert driver.save_screenshot(os.path.join(ROOT, "results", "debugger.png"))

    driver.find_element(By.CSS_SELECTOR, 'jp-button[data-command="debugger:continue"]').click()
    wait_done(driver, 1, timeout=60)
    wait(driver, 15).until(lambda d: kernel_status(d) == [f"{KERNEL_NAME} | Idle", "idle"],
                           f"the kernel is not idle after continue: {kernel_status(driver)}")
    assert outputs(driver, 1) == [("application/vnd.jupyter.stdout", "42")], outputs(driver, 1)
    bug = driver.find_element(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-DebuggerBugButton")
    bug.click()
    wait(driver, 30).until(lambda d: d.find_element(
        By.CSS_SELECTOR, ".jp-NotebookPanel .jp-DebuggerBugButton").get_attribute("aria-pressed") != "true")
