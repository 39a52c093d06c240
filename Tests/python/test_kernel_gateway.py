"""The kernel behind a real Jupyter Kernel Gateway (PyPI's jupyter_kernel_gateway) on 127.0.0.1 with an auth
token: cells over its websocket, an interrupt through its REST API, and a notebook through nbclient with Jupyter
Server's GatewayKernelManager. No kernel or executor is left once a kernel is deleted."""
import os
import re
import secrets
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT
from gateway_client import GatewayKernel, descendants, free_port, http, result_of, serving, text_of, wait_gone

VENV_BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """(base URL, token, the gateway's process); the kernelspec is conftest's (JUPYTER_PATH)."""
    token, port = secrets.token_hex(16), free_port()
    log = open(tmp_path_factory.mktemp("kg") / "kernelgateway.log", "w+")
    process = subprocess.Popen(
        [os.path.join(VENV_BIN, "jupyter-kernelgateway"), "--KernelGatewayApp.ip=127.0.0.1",
         f"--KernelGatewayApp.port={port}", f"--KernelGatewayApp.auth_token={token}",
         "--KernelGatewayApp.port_retries=0",
         # Listing kernels is off by default (privacy); the tests list them to see that none is left.
         "--JupyterWebsocketPersonality.list_kernels=True"],
        stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    with serving(process, base, token, log, "the gateway"):
        yield base, token, process


def test_a_request_without_the_token_is_refused(gateway):
    base, token, _ = gateway
    assert http("GET", f"{base}/api/kernels")[0] in (401, 403)
    assert http("GET", f"{base}/api/kernels", token="not-the-token")[0] in (401, 403)
    assert http("POST", f"{base}/api/kernels", body={"name": "swift"})[0] in (401, 403)
    assert http("GET", f"{base}/api/kernelspecs")[0] in (401, 403)
    assert http("GET", f"{base}/api/kernels", token)[0] == 200
    status, specs = http("GET", f"{base}/api/kernelspecs", token)
    assert status == 200 and "swift" in specs["kernelspecs"]


def test_cells_through_the_gateway_websocket(gateway):
    base, token, process = gateway
    kernel = GatewayKernel(base, token)
    try:
        # A value.
        reply, outputs = kernel.execute("let answer = 6 * 7\nanswer")
        assert reply["status"] == "ok" and result_of(outputs) == "42", outputs
        processes = descendants(process.pid)  # the kernel and its executor
        assert len(processes) >= 2, processes

        # A training cell's live plot: one display, updated in place while it trains.
        reply, outputs = kernel.execute(
            "let liveData = SyntheticClassification(numTrain: 20000, numVal: 2000, numFeatures: 20, numClasses: 4, batchSize: 32)\n"
            "Trainer(maxEpochs: 2).fit(MLP(numOutputs: 4, numHiddens: 64), liveData)")
        assert reply["status"] == "ok", outputs
        displays = [c for t, c in outputs if t == "display_data"]
        updates = [c for t, c in outputs if t == "update_display_data"]
        assert len(displays) == 1 and updates, [t for t, _ in outputs]
        display_id = displays[0]["transient"]["display_id"]
        assert all(u["transient"]["display_id"] == display_id for u in updates)
        assert "val_acc" in updates[-1]["data"]["text/plain"]

        # An error, and the session goes on.
        reply, outputs = kernel.execute('let broken: Int = "text"')
        assert reply["status"] == "error" and any(t == "error" for t, _ in outputs), reply
        reply, outputs = kernel.execute("answer + 1")
        assert reply["status"] == "ok" and result_of(outputs) == "43"

        # An interrupt through the REST API stops an endless loop; the session's state is kept.
        msg_id = kernel.send("execute_request", {"code": 'print("spinning")\nwhile true {}', "silent": False,
                                                 "store_history": True, "user_expressions": {},
                                                 "allow_stdin": False, "stop_on_error": True})
        while True:  # the cell runs once its first output arrives
            msg = kernel.next(msg_id)
            if msg["msg_type"] == "stream":
                break
        assert kernel.interrupt() == 204
        reply, _ = kernel.finish(msg_id, timeout=60)
        assert reply["status"] == "error" and reply["ename"] == "Interrupted", reply
        reply, outputs = kernel.execute("answer")
        assert result_of(outputs) == "42"

        # stdin: readLine() asks the client, over the gateway's websocket.
        reply, outputs = kernel.execute('let name = readLine()\nprint("hello,", name ?? "nil")', allow_stdin=True,
                                        answer="gateway")
        assert reply["status"] == "ok"
        assert [t for t, _ in outputs].count("input_request") == 1
        assert text_of(outputs) == "hello, gateway\n"
    finally:
        assert kernel.delete() == 204
    assert not wait_gone(processes), "the kernel or its executor outlived DELETE"
    assert http("GET", f"{base}/api/kernels", token)[1] == []


def one_epoch(notebook, path):
    """A copy whose parameters cell says epochs = 1 (nbclient takes no parameters)."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = re.sub(r"var epochs = \d+", "var epochs = 1", cell.source)
    nbformat.write(nb, str(path))
    return str(path)


def test_a_notebook_through_nbclient_and_the_gateway_kernel_manager(gateway, tmp_path):
    """What Jupyter Server (and so JupyterLab) does with --gateway-url: its GatewayKernelManager starts the kernel
    through the gateway's REST API and nbclient talks to it over the gateway's websocket."""
    base, token, process = gateway
    source = one_epoch(os.path.join(ROOT, "Notebooks", "softmax_regression.ipynb"), tmp_path / "in.ipynb")
    out = tmp_path / "out.ipynb"
    # Its own process: GatewayClient is a singleton configured once per process, as in Jupyter Server.
    # GatewayKernelClient (what GatewayKernelManager.client() returns) opens its websocket without the
    # auth header GatewayClient sends with every REST request (jupyter_server 2.21; Jupyter Server's own websocket
    # proxy, GatewayWebSocketConnection, does send it): the script adds GatewayClient's own headers to that
    # connection, and nothing else. GatewayKernelManager.start_kernel takes the kernel's name from its arguments
    # (default python3), not from the manager: nbclient passes it through execute(), and with a manager of one's
    # own nbclient shuts the kernel down only when told to (cleanup_kc).
    script = f"""
import nbformat, websocket
from nbclient import NotebookClient
from jupyter_server.gateway.gateway_client import GatewayClient
from jupyter_server.gateway.managers import GatewayKernelManager
gateway = GatewayClient.instance(url={base!r}, auth_token={token!r}, request_timeout=300.0)
gateway.init_connection_args()
connect = websocket.create_connection
def create_connection(url, **kwargs):
    headers = gateway.load_connection_args()["headers"]
    return connect(url, header=[f"{{k}}: {{v}}" for k, v in headers.items()], **kwargs)
websocket.create_connection = create_connection
nb = nbformat.read({source!r}, as_version=4)
km = GatewayKernelManager(kernel_name="swift")
NotebookClient(nb, km=km, kernel_name="swift", timeout=600).execute(kernel_name="swift", cleanup_kc=True)
nbformat.write(nb, {str(out)!r})
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    nb = nbformat.read(str(out), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o["output_type"] == "error"]
    final = [o.get("text", "") for o in outputs if "final validation accuracy" in o.get("text", "")]
    assert final and float(final[0].split()[-1]) > 0.7, final
    # nbclient shut the kernel down through the gateway: none is left.
    assert http("GET", f"{base}/api/kernels", token)[1] == []
    assert not wait_gone(descendants(process.pid)), "a kernel outlived the notebook"
