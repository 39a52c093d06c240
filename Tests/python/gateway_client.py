"""A Jupyter client of a gateway's REST and websocket API (Kernel Gateway and Enterprise Gateway speak the same),
and the helpers the gateway tests share: a free port, waiting for a server, the processes a test must not leave."""
import contextlib
import json
import os
import socket
import time
import urllib.error
import urllib.request
import uuid

import psutil
import websocket


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, token=None, body=None, timeout=60):
    """(status, decoded JSON or None) of one request; an HTTP error is a status, not an exception."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"token {token}"
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
            return response.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        return error.code, None


def wait_until_serving(base, token, process, timeout=120):
    """Returns once GET /api answers 200 (the server is up); fails at once if the server process ended."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the gateway exited with {process.returncode}")
        try:
            if http("GET", f"{base}/api", token, timeout=5)[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, socket.timeout):
            pass
        time.sleep(0.1)
    raise AssertionError("the gateway did not start serving")


@contextlib.contextmanager
def serving(process, base, token, log, what, tail=5000, extra_logs=lambda: ()):
    """Waits until the gateway `process` answers at `base`; on the way out ends it, prints the end of its `log`
    (and of each file in `extra_logs`), and checks it left no kernel process behind."""
    try:
        wait_until_serving(base, token, process)
        yield
    finally:
        left = descendants(process.pid)
        process.terminate()
        process.wait(timeout=30)
        log.seek(0)
        print(log.read()[-tail:])
        for path in extra_logs():
            print(path.name, open(path).read()[-3000:])
        log.close()
        assert not wait_gone(left), f"{what} left kernel processes behind"


def descendants(pid):
    try:
        return {p.pid for p in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def alive(pid):
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_gone(pids, timeout=30):
    """Waits for every process in pids to end (a guard, not a wait: it returns as soon as they have); returns
    the ones still alive."""
    deadline = time.time() + timeout
    while time.time() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return {p for p in pids if alive(p)}


class GatewayKernel:
    """One kernel started through a gateway's REST API, its channels over the gateway's websocket."""

    def __init__(self, base, token, name="swift", env=None, start_timeout=180):
        self.base, self.token = base, token
        body = {"name": name}
        if env:
            body["env"] = env
        status, model = http("POST", f"{base}/api/kernels", token, body, timeout=start_timeout)
        assert status == 201, f"starting a kernel answered {status}"
        self.id = model["id"]
        self.session = uuid.uuid4().hex
        ws_base = base.replace("http://", "ws://", 1)
        self.ws = websocket.create_connection(f"{ws_base}/api/kernels/{self.id}/channels",
                                              header=[f"Authorization: token {token}"], timeout=start_timeout,
                                              # as browsers do: no Nagle delay on small frames
                                              sockopt=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),))
        self.pending = []

    def send(self, msg_type, content, channel="shell"):
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "username": "test", "session": self.session, "msg_type": msg_type,
                  "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self.ws.send(json.dumps({"header": header, "parent_header": {}, "metadata": {}, "content": content,
                                 "channel": channel, "buffers": []}))
        return msg_id

    def next(self, msg_id, timeout=120):
        """The next message (any channel) whose parent is msg_id."""
        for i, msg in enumerate(self.pending):
            if msg["parent_header"].get("msg_id") == msg_id:
                return self.pending.pop(i)
        deadline = time.time() + timeout
        while True:
            self.ws.settimeout(max(deadline - time.time(), 0.1))
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg
            self.pending.append(msg)

    def execute(self, code, allow_stdin=False, answer=None, timeout=300):
        """Runs code; returns (reply content, [(msg_type, content)] of its iopub output up to idle). An
        input_request is answered with `answer`."""
        msg_id = self.send("execute_request", {"code": code, "silent": False, "store_history": True,
                                               "user_expressions": {}, "allow_stdin": allow_stdin,
                                               "stop_on_error": True})
        return self.finish(msg_id, answer, timeout)

    def finish(self, msg_id, answer=None, timeout=300):
        reply, outputs, idle = None, [], False
        while reply is None or not idle:
            msg = self.next(msg_id, timeout)
            kind, channel = msg["msg_type"], msg.get("channel")
            if channel == "shell" and kind == "execute_reply":
                reply = msg["content"]
            elif channel == "stdin" and kind == "input_request":
                outputs.append((kind, msg["content"]))
                self.send("input_reply", {"value": answer}, channel="stdin")
            elif kind == "status":
                idle = msg["content"]["execution_state"] == "idle"
            elif channel == "iopub":
                outputs.append((kind, msg["content"]))
        return reply, outputs

    def interrupt(self):
        return http("POST", f"{self.base}/api/kernels/{self.id}/interrupt", self.token)[0]

    def delete(self):
        self.ws.close()
        return http("DELETE", f"{self.base}/api/kernels/{self.id}", self.token)[0]


def text_of(outputs):
    return "".join(c["text"] for t, c in outputs if t == "stream")


def result_of(outputs):
    results = [c["data"]["text/plain"] for t, c in outputs if t == "execute_result"]
    return results[0] if results else None
