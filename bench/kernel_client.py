"""What the benchmarks share: running one cell through jupyter_client, a process's children and CPU time,
and percentiles."""
import os
import time


def run_cell(kc, code, timeout=600):
    """Runs a cell to its reply and its idle; returns (seconds, printed text). Raises if the cell failed."""
    started = time.perf_counter()
    msg_id = kc.execute(code)
    reply, idle, text = None, False, []
    while reply is None:
        msg = kc.get_shell_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id:
            reply = msg["content"]
    while not idle:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            text.append(msg["content"]["text"])
        idle = msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
    seconds = time.perf_counter() - started
    if reply["status"] != "ok":
        raise RuntimeError(f"{code!r}: {reply.get('ename')}: {reply.get('evalue')}")
    return seconds, "".join(text)


def children(pid):
    """The processes `pid` started (the kernel's executor)."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            found += [int(c) for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
        except FileNotFoundError:
            pass
    return found


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """The process's user + system CPU seconds so far, from /proc."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]
