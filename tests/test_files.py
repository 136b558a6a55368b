"""Run files: written whole (a reader sees the old file or the new one), one writer per file
(a bring-up per worker), and read back naming file:line; a report never crashes on a bad one."""

import json
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from histories import failover_history

from harness import plugin
from harness.files import RunFileError, read_json, read_jsonl, write_atomic, write_json
from harness.history import History, load
from harness.report import load_results, render_html
from harness.results import result_of


def test_write_atomic_replaces_the_file_whole_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "sub" / "result.json"
    write_json(path, {"a": 1})
    write_atomic(path, "x" * 100_000)
    assert path.read_text() == "x" * 100_000
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]
    plain = tmp_path / "plain"
    plain.write_text("")
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777  # not mkstemp's 0600


def test_concurrent_writers_never_leave_a_mixed_file(tmp_path):
    path = tmp_path / "history.jsonl"
    lines = {w: "".join(json.dumps({"t": i, "kind": "note", "w": w}) + "\n" for i in range(2000))
             for w in ("a", "b")}
    threads = [threading.Thread(target=write_atomic, args=(path, text))
               for text in lines.values() for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert path.read_text() in lines.values()


def test_a_history_saves_whole_and_loads_back(tmp_path):
    h = History()
    h.add("note", text="x")
    h.save(tmp_path / "history.jsonl")
    assert [e["kind"] for e in load(tmp_path / "history.jsonl")] == ["note"]


@pytest.mark.parametrize("text, line, what", [
    ('{"t": 0.0, "kind": "run"}\n{"t": 1.0, "kind": "op", "ty{"t": 1.1}\n', 2, "not a JSON event"),
    ('{"t": 0.0, "kind": "run"}\n\n[1, 2]\n', 3, "not an event"),
    ('{"t": "soon", "kind": "vip"}\n', 1, "not an event"),
])
def test_a_bad_history_line_is_named_with_its_file_and_line(tmp_path, text, line, what):
    path = tmp_path / "history.jsonl"
    path.write_text(text)
    with pytest.raises(RunFileError, match=f"{path}:{line}: {what}"):
        read_jsonl(path)


def test_a_bad_json_file_is_named_with_its_line(tmp_path):
    path = tmp_path / "result.json"
    path.write_text('{\n  "outcome": "pass",\n  oops\n}')
    with pytest.raises(RunFileError, match=f"{path}:3: not valid JSON"):
        read_json(path)
    with pytest.raises(RunFileError, match="cannot be read"):
        read_json(tmp_path / "missing.json")


def _put(run_dir: Path, name: str, events) -> Path:
    d = run_dir / name
    d.mkdir(parents=True)
    write_json(d / "result.json", result_of(events, d).to_dict())
    (d / "history.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return d


def test_a_report_meets_a_bad_result_and_goes_on_with_it_unknown(tmp_path):
    _put(tmp_path, "seed-kill-mysqld-owner", failover_history())
    bad = tmp_path / "seed-pause-node-owner"
    bad.mkdir()
    (bad / "result.json").write_text('{"outcome": "pass",\n"verdicts": [')
    rows = {r["_dir"]: r for r in load_results(tmp_path)}
    assert rows["seed-kill-mysqld-owner"]["outcome"] == "pass"
    assert rows["seed-pause-node-owner"]["outcome"] == "unknown"
    assert f"{bad / 'result.json'}:2" in rows["seed-pause-node-owner"]["judgement"]["reasons"][0]


def test_the_html_report_meets_a_bad_history_and_goes_on(tmp_path):
    d = _put(tmp_path, "seed-kill-mysqld-owner", failover_history())
    (d / "history.jsonl").write_text('{"t": 0.0, "kind": "run"}\n{"t": 1.0, "ki\n')
    html = render_html(tmp_path).read_text()
    assert "history.jsonl:2: not a JSON event" in html


def test_each_worker_records_its_bring_ups_in_a_directory_of_its_own(tmp_path):
    """Two workers bringing up the same bundle wrote one history.jsonl and interleaved it."""
    dirs = []
    for worker in ("gw0", "gw1", ""):
        pool = plugin.PairPool(None, "img", SimpleNamespace(run_dir=tmp_path, worker=worker,
                                                            keep=False))
        dirs += [pool.bringup_dir("seed"), pool.bringup_dir("seed")]
    assert [d.name for d in dirs] == ["seed-bring-up-gw0", "seed-bring-up-gw0-2",
                                      "seed-bring-up-gw1", "seed-bring-up-gw1-2",
                                      "seed-bring-up", "seed-bring-up-2"]
    assert len(set(dirs)) == len(dirs)
