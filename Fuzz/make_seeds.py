"""Writes the seed corpus under Fuzz/corpus/ (run once; the output is committed): real inputs of each kind.

Run with a Python that has jupyter_client (the project's .venv): .venv/bin/python Fuzz/make_seeds.py
"""
import json
import os
import shutil
import tempfile

from jupyter_client.connect import write_connection_file
from jupyter_client.session import Session

root = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(root, "corpus")


def seed(target, name, data):
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# Wire: frames as jupyter_client's Session signs them with the key FuzzWire knows, one per line.
session = Session(key=b"fuzz-key", username="fuzz")
messages = {
    "execute_request": session.msg("execute_request", {"code": "print(\"é\")\nlet x = 1", "silent": False,
                                                       "store_history": True, "user_expressions": {"x": "x"},
                                                       "allow_stdin": True, "stop_on_error": True}),
    "kernel_info_request": session.msg("kernel_info_request", {}),
    "history_request": session.msg("history_request", {"hist_access_type": "search", "pattern": "x*",
                                                       "unique": True, "n": 3, "output": True, "raw": True}),
    "comm_msg": session.msg("comm_msg", {"comm_id": "c1", "data": {"value": 1.5, "list": [1, None, True]}}),
}
for name, msg in messages.items():
    buffers = [b"\x00\x01buffer"] if name == "comm_msg" else []
    frames = session.serialize(dict(msg, buffers=buffers), ident=[b"client-identity"])
    frames = [f if isinstance(f, bytes) else f.encode() for f in frames] + buffers
    seed("FuzzWire", name, b"\n".join(frames))
    # The same content frames are message JSON.
    seed("FuzzJSON", name, frames[-len(buffers) - 1] if buffers else frames[-1])
    seed("FuzzJSON", name + "-header", frames[3])

seed("FuzzJSON", "numbers", '[0, -1, 1.5, 1e300, -2.5e-8, 9007199254740993, 3.0, 1E2, -0.0]')
seed("FuzzJSON", "strings", '{"a": "\\u00e9\\n\\t\\"\\\\\\/", "emoji": "\\ud83d\\ude00", "nested": {"b": [[], {}]}}')

# The connection file, as jupyter_client writes it.
with tempfile.TemporaryDirectory() as tmp:
    path, _ = write_connection_file(os.path.join(tmp, "kernel.json"), key=b"a0b1c2d3-key")
    seed("FuzzConnection", "tcp.json", open(path, "rb").read())
    path, _ = write_connection_file(os.path.join(tmp, "ipc.json"), transport="ipc", ip=os.path.join(tmp, "k"))
    seed("FuzzConnection", "ipc.json", open(path, "rb").read())
seed("FuzzConnection", "curve.json", json.dumps({
    "transport": "tcp", "ip": "127.0.0.1", "shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003,
    "control_port": 5004, "hb_port": 5005, "key": "k", "signature_scheme": "hmac-sha256",
    "curve_publickey": "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", "curve_secretkey": "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"}))

# Notebooks: the small ones the repository ships.
for name in ["mlp.ipynb", "dropout.ipynb", "softmax_regression.ipynb"]:
    seed("FuzzNotebook", name, open(os.path.join(root, "..", "Notebooks", name), "rb").read())

# History: a history_request's content, then a cell's text, 0xFF, its output.
seed("FuzzHistory", "tail", b'{"hist_access_type":"tail","n":10,"output":true}\nlet x = 6\nx * 7\xff42')
seed("FuzzHistory", "range", b'{"hist_access_type":"range","session":-1,"start":1,"stop":3}\nprint("\xc3\xa9")')
seed("FuzzHistory", "search", b'{"hist_access_type":"search","pattern":"x*[0-9]?","unique":true,"n":2}\nx * 7\xff42')

# Magics: cells from the kernel tour and the unit tests.
for i, cell in enumerate([
    "%time work()",
    "%%time\nlet y = 2\nprint(y)",
    "%%timeit -n 3 -r 2\nvar s = 0\nfor i in 0..<10 { s += i }",
    "let a = 1\n%timeit -n 10 a + 1\n!ls -la\n%pwd\nlet s = \"\"\"\n%not a magic\n\"\"\"",
    "%%writefile -a notes.txt\nmore",
    "%%bash\necho one\necho two",
    "%env NAME=some value\n%cd /tmp\n%who Int String\n%reset -f",
    "%install 'apple/swift-algorithms 1.2.1' Algorithms",
]):
    seed("FuzzMagics", f"cell{i}", cell)

# %install's arguments.
seed("FuzzPackageLine", "line", "'.package(url: \"https://github.com/apple/swift-algorithms\", from: \"1.2.1\")' Algorithms")
seed("FuzzPackageLine", "short", "'apple/swift-numerics 1.0.2' Numerics RealModule")
seed("FuzzPackageLine", "path", "'.package(path: \"/tmp/Local.git\")' Local")
