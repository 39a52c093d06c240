"""History persists in SQLite across kernel starts, as IPython's does, and survives a broken file."""
import os

from kernel_helpers import execute, start


def history(kc, **request):
    msg_id = kc.history(**request)
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            return [tuple(row[:2]) + (tuple(row[2]) if isinstance(row[2], list) else (row[2],))
                    for row in reply["content"]["history"]]


def test_history_survives_a_restart_and_is_searched_across_sessions(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))
    km, kc = start()
    try:
        execute(kc, "let answer = 6 * 7")
        execute(kc, "answer")
        first = history(kc, hist_access_type="tail", n=10, output=True, raw=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert [row[2:] for row in first] == [("let answer = 6 * 7", None), ("answer", "42")]
    session = first[0][0]
    assert os.path.exists(tmp_path / "swift-kernel" / "history.sqlite")

    km, kc = start()
    try:
        execute(kc, "let other = 6 * 9")
        rows = history(kc, hist_access_type="search", pattern="* 6 *", raw=True, output=False)
        assert [(s - session, line, text) for s, line, text in rows] == [(0, 1, "let answer = 6 * 7"), (1, 1, "let other = 6 * 9")]
        previous = history(kc, hist_access_type="range", session=-1, start=1, stop=3, raw=True, output=True)
        assert previous == [(session, 1, "let answer = 6 * 7", None), (session, 2, "answer", "42")]
        current = history(kc, hist_access_type="range", session=0, start=1, raw=True, output=False)
        assert current == [(session + 1, 1, "let other = 6 * 9")]
        unique = history(kc, hist_access_type="search", pattern="*", unique=True, n=2, raw=True, output=False)
        assert [row[2] for row in unique] == ["answer", "let other = 6 * 9"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_corrupt_history_file_is_moved_aside_and_the_kernel_works(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))
    folder = tmp_path / "swift-kernel"
    folder.mkdir()
    (folder / "history.sqlite").write_bytes(b"this is not a database\n" * 400)
    km, kc = start()
    try:
        reply, _ = execute(kc, "let x = 1")
        assert reply["status"] == "ok"
        assert [row[2] for row in history(kc, hist_access_type="tail", n=5, raw=True, output=False)] == ["let x = 1"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    aside = [p for p in os.listdir(folder) if p.startswith("history-corrupt-")]
    assert len(aside) == 1
    assert (folder / aside[0]).read_bytes().startswith(b"this is not a database")


def test_an_unusable_history_location_keeps_history_in_memory(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(blocked))
    km, kc = start()
    try:
        execute(kc, "let y = 2")
        assert [row[2] for row in history(kc, hist_access_type="tail", n=5, raw=True, output=False)] == ["let y = 2"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
