"""Small helpers over jupyter_client for the kernel's end-to-end tests."""
import time

from jupyter_client.manager import start_new_kernel

KERNEL = "swift"


def start(**kwargs):
    return start_new_kernel(kernel_name=KERNEL, startup_timeout=60, **kwargs)


def execute(kc, code, timeout=120, **kwargs):
    """Runs code; returns (reply content, [(msg_type, content)] of its iopub output up to idle)."""
    msg_id = kc.execute(code, **kwargs)
    reply = wait_reply(kc, msg_id, timeout)
    return reply["content"], collect_iopub(kc, msg_id, timeout)


def ok(kc, code, **kwargs):
    """Runs code that must succeed; returns its iopub output."""
    reply, outputs = execute(kc, code, **kwargs)
    assert reply["status"] == "ok", (code, reply, outputs)
    return outputs


def wait_reply(kc, msg_id, timeout=120):
    deadline = time.time() + timeout
    while True:
        reply = kc.get_shell_msg(timeout=max(deadline - time.time(), 0.1))
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def collect_iopub(kc, msg_id, timeout=120):
    outputs = []
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(deadline - time.time(), 0.1))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "status":
            if msg["content"]["execution_state"] == "idle":
                return outputs
            continue
        outputs.append((kind, msg["content"]))


def until_file(path, first, then):
    """A cell that does `first`, waits (at most 30 s) for a file the test makes at `path`, then prints `then`
    (or "gave up"): the test makes the file once it has seen what it waits for, never after a fixed time."""
    return (
        f"import Foundation\n{first}\nvar tries = 0\n"
        f'while !FileManager.default.fileExists(atPath: "{path}") && tries < 600 {{ Thread.sleep(forTimeInterval: 0.05); tries += 1 }}\n'
        f'print(FileManager.default.fileExists(atPath: "{path}") ? "{then}" : "gave up")')


def wait_for_output(kc, msg_id, timeout=120):
    """Returns once the request has output (so its cell runs), reading iopub up to its first stream or display."""
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(deadline - time.time(), 0.1))
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] in ("stream", "display_data"):
            return msg


def text_of(outputs, kind="stream"):
    parts = []
    for msg_type, content in outputs:
        if msg_type != kind:
            continue
        parts.append(content["text"] if kind == "stream" else content["data"]["text/plain"])
    return "".join(parts)


def result_of(outputs):
    results = [c["data"]["text/plain"] for t, c in outputs if t == "execute_result"]
    assert len(results) == 1, outputs
    return results[0]
