#!/usr/bin/env bash
# Installs what the project needs and is missing: Debian packages, and a Python venv (.venv) with
# the Jupyter clients. Safe to run again: it only installs what is not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."

# binutils: GNU ld links each cell (it starts in half the time of the toolchain's ld.lld, the fallback).
packages=(libzmq3-dev libopenblas-dev zlib1g-dev libsqlite3-dev dataset-fashion-mnist pkg-config python3-venv binutils)
# The test command (`setup.sh --tests`) also drives JupyterLab in a real browser.
if [ "${1:-}" = "--tests" ]; then packages+=(chromium chromium-driver); fi
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "setup: the Swift toolchain is not on PATH (swift, swift-frontend)" >&2; exit 1; }

# JupyterLab's debugger runs the toolchain's lldb-dap, which links libpython3.10.so.1.0. A toolchain built
# for the system's Python needs nothing; otherwise look for a Python 3.10's library (pyenv, /usr/local, /opt)
# and record its folder for `swift-kernel install`, which checks that lldb-dap starts with it.
lldb_dap="$(dirname "$(command -v swift-frontend || command -v swift)")/lldb-dap"
recorded="${XDG_CACHE_HOME:-$HOME/.cache}/swift-kernel/lldb-dap-library-path"
if [ ! -x "$lldb_dap" ]; then
  echo "setup: the toolchain has no lldb-dap; JupyterLab's debugger will be off"
elif "$lldb_dap" --version >/dev/null 2>&1; then
  rm -f "$recorded"
else
  found=""
  for library in $(ldconfig -p 2>/dev/null | awk '/libpython3\.10\.so\.1\.0/ {print $NF}') \
      "$HOME"/.pyenv/versions/3.10*/lib/libpython3.10.so.1.0 /root/.pyenv/versions/3.10*/lib/libpython3.10.so.1.0 \
      /usr/local/lib/libpython3.10.so.1.0 /opt/*/lib/libpython3.10.so.1.0 /opt/*/*/lib/libpython3.10.so.1.0; do
    [ -e "$library" ] || continue
    if LD_LIBRARY_PATH="$(dirname "$library")" "$lldb_dap" --version >/dev/null 2>&1; then
      found="$(dirname "$library")"
      break
    fi
  done
  if [ -n "$found" ]; then
    mkdir -p "$(dirname "$recorded")"
    echo "$found" >"$recorded"
    echo "setup: lldb-dap runs with the libpython3.10 in $found (JupyterLab's debugger is on)"
  else
    rm -f "$recorded"
    echo "setup: lldb-dap needs libpython3.10.so.1.0 and none was found (install Python 3.10); JupyterLab's debugger will be off"
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the Python venv .venv"
  python3 -m venv .venv
fi
if [ ! -f .venv/.requirements-installed ] || [ requirements.txt -nt .venv/.requirements-installed ] \
    || [ -n "$(find python -newer .venv/.requirements-installed -type f 2>/dev/null | head -1)" ]; then
  echo "setup: installing the Jupyter clients into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.txt
  .venv/bin/pip install -q --force-reinstall --no-deps ./python/papermill-swift
  # ipykernel's kernelspec in the venv: the side-by-side anchor of bench/kernel_latency.
  .venv/bin/python -m ipykernel install --sys-prefix >/dev/null
  touch .venv/.requirements-installed
fi

# PyTorch for the tests that check files against it (Tests/python/test_safetensors_torch.py) and for
# bench/: its own venv, since torch is large and the Jupyter clients do not need it. Once: skipped when
# torch, numpy and safetensors import.
if [ "${1:-}" = "--tests" ]; then
  [ -x .venv-bench/bin/python ] || python3 -m venv .venv-bench
  if ! .venv-bench/bin/python -c "import torch, numpy, safetensors" >/dev/null 2>&1; then
    echo "setup: installing torch, numpy and safetensors into .venv-bench (once; large)"
    .venv-bench/bin/pip install -q torch numpy safetensors
  fi
fi

# Jupyter Enterprise Gateway for Tests/python/test_enterprise_gateway.py: its own venv, since EG 3.3 pins an
# older client stack (jupyter_client < 7, pyzmq < 25, jupyter_server < 2) than the clients in .venv. Its
# pycryptodomex is also what deploy/enterprise_gateway/launch_swift_kernel.py needs. Once: skipped when it imports.
if [ "${1:-}" = "--tests" ]; then
  [ -x .venv-eg/bin/python ] || python3 -m venv .venv-eg
  if ! .venv-eg/bin/python -c "import enterprise_gateway, Cryptodome" >/dev/null 2>&1; then
    echo "setup: installing Jupyter Enterprise Gateway 3.3 into .venv-eg (once)"
    .venv-eg/bin/pip install -q "jupyter_enterprise_gateway==3.3.0"
  fi
fi
