"""Batch execution: `swift-kernel run`, and Jupyter's own tools (nbconvert, papermill) on the kernelspec."""
import glob
import re
import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import BINARY, ROOT

# The venv's own bin folder (not resolved: its python is a link into the base interpreter).
VENV_BIN = os.path.dirname(sys.executable)
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "Notebooks", "*.ipynb")))


def make(path, cells):
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "swift", "display_name": "Swift (Classification)", "language": "swift"}})
    nbformat.write(nb, str(path))
    return str(path)


def run(*args, timeout=900):
    return subprocess.run([BINARY, "run", *args], capture_output=True, text=True, timeout=timeout)


def read(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    return nb


def texts(cell):
    return [o.get("text") or o.get("data", {}).get("text/plain") or o.get("evalue") for o in cell.outputs]


def test_a_relative_output_path_is_where_the_run_started_even_after_cd(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    source = make(tmp_path / "cd.ipynb", [new_code_cell(f"%cd {elsewhere}"), new_code_cell("1 + 1")])
    result = subprocess.run([BINARY, "run", "cd.ipynb", "-o", "out.ipynb"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "out.ipynb").exists() and not (elsewhere / "out.ipynb").exists()
    assert texts(read(tmp_path / "out.ipynb").cells[1]) == ["2"]


def test_a_green_notebook_records_outputs_like_nbclient(tmp_path):
    source = make(tmp_path / "ok.ipynb", [
        new_markdown_cell("# title"),
        new_code_cell('print("a")\nprint("b")\nlet x = 20'),
        new_code_cell("x + 1"),
        new_code_cell('let h = display(text: "first")\nh.update(text: "second")\ndisplay(html: "<b>x</b>")'),
        new_code_cell('print("gone")\nclearOutput(wait: true)\nprint("kept")'),
    ])
    result = run(source, "-o", str(tmp_path / "out.ipynb"))
    assert result.returncode == 0, result.stderr
    assert "[1/4]" in result.stderr and "[4/4]" in result.stderr and 'print("a")' in result.stderr
    nb = read(tmp_path / "out.ipynb")
    assert nb.nbformat == 4 and nb.nbformat_minor >= 5 and nb.metadata.language_info.name == "swift"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3, 4]
    assert code[0].outputs == [{"output_type": "stream", "name": "stdout", "text": "a\nb\n"}]  # merged, like nbclient
    assert code[1].outputs[0]["output_type"] == "execute_result" and code[1].outputs[0]["execution_count"] == 2
    assert texts(code[1]) == ["21"]
    assert [o["output_type"] for o in code[2].outputs] == ["display_data", "display_data"]
    assert code[2].outputs[0]["data"]["text/plain"] == "second"  # the update was applied to its display
    assert texts(code[3]) == ["kept\n"]
    assert not glob.glob(str(tmp_path / ".*.tmp")), "a temporary file was left behind"


def test_an_error_stops_the_run_and_fails_unless_allowed(tmp_path):
    cells = [new_code_cell('print("before")'), new_code_cell('let n: Int = "no"'), new_code_cell('print("after")')]
    source = make(tmp_path / "error.ipynb", cells)
    result = run(source, "-o", str(tmp_path / "out.ipynb"))
    assert result.returncode == 1
    assert "cell 2 failed: CompileError" in result.stderr
    nb = read(tmp_path / "out.ipynb")
    assert nb.cells[1].outputs[0]["output_type"] == "error"
    assert nb.cells[2].outputs == [] and nb.cells[2].execution_count is None  # not run, as nbclient does
    result = run(source, "-o", str(tmp_path / "allowed.ipynb"), "--allow-errors")
    assert result.returncode == 0
    assert texts(read(tmp_path / "allowed.ipynb").cells[2]) == ["after\n"]


def test_tags_skip_execution_and_raises_exception(tmp_path):
    source = make(tmp_path / "tags.ipynb", [
        new_code_cell('print("skipped")', metadata={"tags": ["skip-execution"]}),
        new_code_cell('fatalError("expected")', metadata={"tags": ["raises-exception"]}),
        new_code_cell('print("still runs")'),
    ])
    result = run(source, "-o", str(tmp_path / "out.ipynb"))
    assert result.returncode == 0, result.stderr
    nb = read(tmp_path / "out.ipynb")
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None
    assert nb.cells[1].outputs[-1]["ename"] == "FatalError" and "expected" in nb.cells[1].outputs[-1]["evalue"]
    assert texts(nb.cells[2]) == ["still runs\n"]


def test_parameters_are_injected_after_the_parameters_cell(tmp_path):
    source = make(tmp_path / "params.ipynb", [
        new_code_cell("var epochs = 10\nlet name = \"default\"", metadata={"tags": ["parameters"]}),
        new_code_cell('print(epochs, name, rate)'),
    ])
    nb = read(source)
    nb.cells.insert(1, new_code_cell("let rate = 0.5"))
    nbformat.write(nb, source)
    result = run(source, "-o", str(tmp_path / "out.ipynb"), "-p", "epochs=2", "-p", "name=a b", "-p", "rate=0.25")
    assert result.returncode == 0, result.stderr
    out = read(tmp_path / "out.ipynb")
    assert out.cells[1].metadata.tags == ["injected-parameters"]
    assert "var epochs = 2" in out.cells[1].source and 'var name = "a b"' in out.cells[1].source
    # As with papermill, a later cell that declares a name again wins over the injected value.
    assert texts(out.cells[3]) == ["2 a b 0.5\n"]


@pytest.mark.parametrize("content,why", [
    ("not json at all", "not valid JSON"),
    ('{"cells": []}', "nbformat"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "no list of cells"),
    ("[1, 2]", "not a JSON object"),
])
def test_a_corrupt_input_is_a_clear_error_and_writes_nothing(tmp_path, content, why):
    source = tmp_path / "bad.ipynb"
    source.write_text(content)
    result = run(str(source), "-o", str(tmp_path / "out.ipynb"))
    assert result.returncode == 2
    assert "is not a Jupyter notebook" in result.stderr and why in result.stderr
    assert not (tmp_path / "out.ipynb").exists()
    missing = run(str(tmp_path / "nowhere.ipynb"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[os.path.basename(n) for n in NOTEBOOKS])
def test_every_example_notebook_is_valid_for_its_nbformat_version(notebook):
    """As written, before any reader repairs it: nbformat 4.5 wants an id on every cell (nbconvert warned of 20
    missing ones in kernel_tour.ipynb and a later nbformat will refuse them)."""
    with open(notebook) as f:
        raw = json.load(f)
    validator = nbformat.validator.get_validator(version=raw["nbformat"], version_minor=raw["nbformat_minor"])
    problems = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(raw)]
    assert not problems, problems[:5]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[os.path.basename(n) for n in NOTEBOOKS])
def test_every_example_notebook_runs_with_swift_kernel_run(tmp_path, notebook):
    out = tmp_path / "out.ipynb"
    # (resnet.ipynb's budget has a second parameter; another notebook just gets an unused variable.)
    result = run(notebook, "-o", str(out), "-p", "epochs=1", "-p", "trainExamples=1000")
    assert result.returncode == 0, result.stderr[-3000:]
    nb = read(out)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o["output_type"] == "error" and "raises-exception" not in c.metadata.get("tags", [])]
    assert not errors


def with_one_epoch(notebook, path):
    """A copy whose parameters cell says epochs = 1, and trainExamples = 1000 where it has it (nbconvert takes
    no parameters)."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = re.sub(r"var epochs = \d+", "var epochs = 1", cell.source)
            cell.source = re.sub(r"var trainExamples = \d+", "var trainExamples = 1000", cell.source)
    nbformat.write(nb, str(path))
    return str(path)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[os.path.basename(n) for n in NOTEBOOKS])
def test_every_example_notebook_runs_with_nbconvert(tmp_path, notebook):
    source = with_one_epoch(notebook, tmp_path / os.path.basename(notebook))
    result = subprocess.run(
        [os.path.join(VENV_BIN, "jupyter"), "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=swift",
         "--ExecutePreprocessor.timeout=600", "--output-dir", str(tmp_path / "out"), source],
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    nb = read(tmp_path / "out" / os.path.basename(notebook))
    assert any(c.outputs for c in nb.cells if c.cell_type == "code")


def test_papermill_with_a_parameter(tmp_path):
    out = tmp_path / "pm.ipynb"
    result = subprocess.run(
        [os.path.join(VENV_BIN, "papermill"), os.path.join(ROOT, "Notebooks", "softmax_regression.ipynb"), str(out),
         "-k", "swift", "-p", "epochs", "1"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    nb = read(out)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "var epochs = 1" in injected[0].source
    final = [t for c in nb.cells if c.cell_type == "code" for t in texts(c) if t and "final validation accuracy" in t]
    assert final and float(final[0].split()[-1]) > 0.7
    history = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "execute_result" and "<table" in o["data"].get("text/html", "")]
    assert history and history[0]["data"]["text/plain"].count("\n") == 2  # one epoch: a header and one row


def test_only_work_folders_nobody_holds_are_cleaned_up(tmp_path):
    # A kernel holds a lock on its work folder for its life; a new kernel removes the folders whose lock is
    # free. Pids alone were trusted before: across PID namespaces (containers sharing /tmp) a live
    # kernel's pid can look dead, and a dead one's pid can belong to another process.
    import fcntl
    import time
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    def folder(pid, tag, lock):
        path = temporary / f"swift-kernel-{pid}-{tag}"
        path.mkdir()
        (path / "Cell_1.swift").write_text("1")
        if lock:
            (path / ".lock").write_text("")
        return path
    free_lock_live_pid = folder(os.getpid(), "aaaaaaaa", lock=True)
    held_lock_dead_pid = folder(4_000_001, "bbbbbbbb", lock=True)
    holder = open(held_lock_dead_pid / ".lock", "r+")
    fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
    old_unlocked_dead_pid = folder(4_000_002, "cccccccc", lock=False)
    old = time.time() - 120
    os.utime(old_unlocked_dead_pid, (old, old))
    new_unlocked_dead_pid = folder(4_000_003, "dddddddd", lock=False)
    source = make(tmp_path / "one.ipynb", [new_code_cell("1 + 1")])
    result = subprocess.run([BINARY, "run", source, "-o", str(tmp_path / "out.ipynb")], capture_output=True,
                            text=True, timeout=300, env=dict(os.environ, TMPDIR=str(temporary)))
    holder.close()
    assert result.returncode == 0, result.stderr
    assert not free_lock_live_pid.exists(), "nobody holds its lock: its kernel has ended"
    assert held_lock_dead_pid.exists(), "a live kernel (in another PID namespace) holds it"
    assert not old_unlocked_dead_pid.exists(), "an older kernel's folder, its pid gone"
    assert new_unlocked_dead_pid.exists(), "a folder without a lock yet may be a kernel starting"
