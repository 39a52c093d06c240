"""deploy/batch.py: a folder of parameterised notebooks fanned out over workers, through `swift-kernel run` and
through papermill, the results gathered in one table, and no kernel or executor left when it returns."""
import csv
import json
import os
import subprocess
import sys
import time

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import BINARY, ROOT

BATCH = os.path.join(ROOT, "deploy", "batch.py")
VENV_BIN = os.path.dirname(sys.executable)


def write(path, cells):
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "swift", "display_name": "Swift", "language": "swift"}})
    nbformat.write(nb, str(path))


def folder(tmp_path):
    """Three notebooks with a `parameters` cell: two compute from the parameter, one fails."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name, factor in (("double", 2), ("triple", 3)):
        write(notebooks / f"{name}.ipynb", [
            new_code_cell("var n = 1", metadata={"tags": ["parameters"]}),
            new_code_cell(f"let value = n * {factor}"),
            new_code_cell('print("value", value)', metadata={"tags": ["results"]}),
            new_code_cell("value + 1000"),
        ])
    write(notebooks / "broken.ipynb", [
        new_code_cell("var n = 1", metadata={"tags": ["parameters"]}),
        new_code_cell("let a = [1, 2, 3]\nprint(a[n + 10])"),
    ])
    return notebooks


def processes_of_this_binary_since(started):
    """Kernels and executors (`swift-kernel run` is both a client and a kernel; papermill's kernels start in sessions
    of their own) of the build under test that started at or after `started` and still live."""
    binary = os.path.realpath(BINARY)
    left = []
    for p in psutil.process_iter(["exe", "create_time", "status"]):
        try:
            if (p.info["exe"] and os.path.realpath(p.info["exe"]) == binary and p.info["create_time"] >= started - 1
                    and p.info["status"] != psutil.STATUS_ZOMBIE):
                left.append(p.pid)
        except (psutil.Error, OSError):
            pass
    return left


@pytest.mark.parametrize("engine", ["run", "papermill"])
def test_a_folder_fans_out_over_workers_and_the_results_are_gathered(tmp_path, engine):
    notebooks, out = folder(tmp_path), tmp_path / "out"
    started = time.time()
    batch = subprocess.Popen(
        [sys.executable, BATCH, str(notebooks), str(out), "--workers", "3", "--engine", engine, "-p", "n=5",
         "--swift-kernel", BINARY, "--papermill", os.path.join(VENV_BIN, "papermill"), "--timeout", "300"],
        stderr=subprocess.PIPE, text=True)
    _, stderr = batch.communicate(timeout=600)
    assert batch.returncode == 1 and (out / "results.json").exists(), stderr  # one notebook failed
    rows = {r["notebook"]: r for r in json.load(open(out / "results.json"))}
    assert set(rows) == {"double.ipynb", "triple.ipynb", "broken.ipynb"}
    assert rows["double.ipynb"]["status"] == "ok" and rows["double.ipynb"]["results"] == "value 10"
    assert rows["triple.ipynb"]["status"] == "ok" and rows["triple.ipynb"]["results"] == "value 15"
    assert rows["broken.ipynb"]["status"] == "failed" and "Index out of range" in rows["broken.ipynb"]["error"]
    assert all(r["parameters"] == {"n": "5"} for r in rows.values())
    table = list(csv.DictReader(open(out / "results.csv")))
    assert [r["notebook"] for r in table] == ["broken.ipynb", "double.ipynb", "triple.ipynb"]
    # The executed notebooks are there, with the parameter injected after the parameters cell.
    executed = nbformat.read(str(out / "triple.ipynb"), as_version=4)
    assert "n = 5" in executed.cells[1].source
    assert "1015" in json.dumps(executed.cells[-1].outputs)
    # Every kernel and executor of the batch ends (an executor a moment after its kernel: waited for, 30 s at most).
    deadline = time.time() + 30
    while processes_of_this_binary_since(started) and time.time() < deadline:
        time.sleep(0.1)
    assert processes_of_this_binary_since(started) == []


def test_a_grid_runs_each_notebook_once_per_value(tmp_path):
    notebooks, out = folder(tmp_path), tmp_path / "out"
    (notebooks / "broken.ipynb").unlink()
    result = subprocess.run(
        [sys.executable, BATCH, str(notebooks), str(out), "--workers", "2", "--grid", "n=1,2,7",
         "--swift-kernel", BINARY], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = json.load(open(out / "results.json"))
    got = sorted((r["notebook"], r["parameters"]["n"], r["results"]) for r in rows)
    assert got == [("double.ipynb", "1", "value 2"), ("double.ipynb", "2", "value 4"), ("double.ipynb", "7", "value 14"),
                   ("triple.ipynb", "1", "value 3"), ("triple.ipynb", "2", "value 6"), ("triple.ipynb", "7", "value 21")]
    assert len(os.listdir(out)) == 6 + 2
