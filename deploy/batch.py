#!/usr/bin/env python3
"""Runs a folder of parameterised notebooks over N workers and gathers the results in one table.

Each notebook runs in its own kernel, N at a time, through `swift-kernel run` (no Python or Jupyter needed on the
worker) or through papermill (`--engine papermill`, with papermill's own parameter cell and output). The same
`-p NAME=VALUE` goes to every notebook (after its cell tagged `parameters`); `--grid NAME=V1,V2,...` runs each
notebook once per value. Executed notebooks go to OUT/, and OUT/results.json and OUT/results.csv hold one row per
run: the notebook, its parameters, ok or failed, the seconds it took, the error (ename: evalue) if any, and its
results: the text of the cells tagged `results`, else of its last code cell with output.

It is a plain process pool: on one machine it fans out over its cores; under a scheduler (Airflow, Slurm, a
Kubernetes Job) each task is one `swift-kernel run` or papermill command line, the ones this script prints with -v.

usage: deploy/batch.py NOTEBOOKS_DIR OUT_DIR [--workers N] [--engine run|papermill] [-p NAME=VALUE ...]
                       [--grid NAME=V1,V2,...] [--timeout SECONDS] [--swift-kernel BIN] [--papermill BIN] [-v]
Exit status: 0 when every run succeeded, 1 otherwise. Needs only Python 3's standard library (and papermill for
that engine).
"""
import argparse
import concurrent.futures
import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import time


def runs(notebooks, parameters, grid):
    """(notebook, {name: value}) for every notebook and every value of the grid."""
    name, values = (grid.split("=", 1)[0], grid.split("=", 1)[1].split(",")) if grid else (None, [None])
    for notebook in notebooks:
        for value in values:
            yield notebook, dict(parameters, **({name: value} if name else {}))


def output_path(out_dir, notebook, parameters, grid_name):
    stem = os.path.splitext(os.path.basename(notebook))[0]
    if grid_name:
        stem += f"-{grid_name}={parameters[grid_name]}"
    return os.path.join(out_dir, stem + ".ipynb")


def command(engine, binary, notebook, out, parameters, timeout):
    if engine == "papermill":
        line = [binary, notebook, out, "-k", "swift", "--execution-timeout", str(timeout)]
        for name, value in parameters.items():
            line += ["-p", name, value]
        return line
    line = [binary, "run", notebook, "-o", out, "--timeout", str(timeout)]
    for name, value in parameters.items():
        line += ["-p", f"{name}={value}"]
    return line


def joined(text):
    """nbformat on disk may keep a multiline string as a list of lines."""
    return "".join(text) if isinstance(text, list) else (text or "")


def texts(outputs):
    parts = []
    for output in outputs:
        if output.get("output_type") == "stream":
            parts.append(joined(output.get("text")))
        elif "data" in output:
            parts.append(joined(output["data"].get("text/plain")))
    return "".join(parts).strip()


def gather(out):
    """(error or None, results text) of an executed notebook."""
    try:
        with open(out) as f:
            cells = [c for c in json.load(f)["cells"] if c.get("cell_type") == "code"]
    except (OSError, ValueError, KeyError, TypeError):
        return "no notebook was written", ""
    error = next((f"{o.get('ename')}: {o.get('evalue')}" for c in cells for o in c.get("outputs", [])
                  if o.get("output_type") == "error"), None)
    tagged = [c for c in cells if "results" in c.get("metadata", {}).get("tags", [])]
    chosen = tagged or [c for c in cells if c.get("outputs")][-1:]
    return error, "\n".join(texts(c.get("outputs", [])) for c in chosen)


def run_one(engine, binary, notebook, out, parameters, timeout, verbose):
    line = command(engine, binary, notebook, out, parameters, timeout)
    if verbose:
        print("batch:", " ".join(line), file=sys.stderr)
    started = time.monotonic()
    finished = subprocess.run(line, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = round(time.monotonic() - started, 2)
    error, results = gather(out)
    ok = finished.returncode == 0 and error is None
    if not ok and error is None:
        error = (finished.stderr.strip().splitlines() or [f"exit status {finished.returncode}"])[-1]
    return {"notebook": os.path.basename(notebook), "parameters": parameters, "status": "ok" if ok else "failed",
            "seconds": seconds, "error": error, "results": results, "output": out}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", help="a folder of .ipynb files (or one notebook)")
    parser.add_argument("out", help="where the executed notebooks and results.json/.csv go")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--engine", choices=["run", "papermill"], default="run")
    parser.add_argument("-p", dest="parameters", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--grid", metavar="NAME=V1,V2,...", help="run each notebook once per value")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds a cell may take")
    parser.add_argument("--swift-kernel", default=shutil.which("swift-kernel") or "swift-kernel")
    parser.add_argument("--papermill", default=shutil.which("papermill") or "papermill")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    notebooks = ([args.notebooks] if args.notebooks.endswith(".ipynb")
                 else sorted(glob.glob(os.path.join(args.notebooks, "*.ipynb"))))
    if not notebooks:
        parser.error(f"no notebooks in {args.notebooks}")
    parameters = dict(p.split("=", 1) for p in args.parameters)
    grid_name = args.grid.split("=", 1)[0] if args.grid else None
    binary = args.papermill if args.engine == "papermill" else args.swift_kernel
    os.makedirs(args.out, exist_ok=True)

    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
        futures = [pool.submit(run_one, args.engine, binary, notebook,
                               output_path(args.out, notebook, p, grid_name), p, args.timeout, args.verbose)
                   for notebook, p in runs(notebooks, parameters, args.grid)]
        for future in concurrent.futures.as_completed(futures):
            row = future.result()
            rows.append(row)
            print(f"batch: {row['status']:6} {row['seconds']:8.2f} s  {row['notebook']} {row['parameters']}"
                  + (f"  {row['error']}" if row["error"] else ""), file=sys.stderr)
    rows.sort(key=lambda r: (r["notebook"], json.dumps(r["parameters"], sort_keys=True)))
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)
    with open(os.path.join(args.out, "results.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["notebook", "parameters", "status", "seconds", "error", "results"])
        for r in rows:
            writer.writerow([r["notebook"], json.dumps(r["parameters"]), r["status"], r["seconds"], r["error"] or "",
                             r["results"]])
    failed = sum(r["status"] != "ok" for r in rows)
    print(f"batch: {len(rows) - failed} ok, {failed} failed; {os.path.join(args.out, 'results.csv')}",
          file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
