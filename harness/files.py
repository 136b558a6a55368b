"""Run files written whole or not at all, and read back naming the bad line.

Several processes write into one run directory (xdist workers, ``vipchaos watch``): a reader must
never see half a file, and no two writers may share one. Every result, history and report file
goes through ``write_atomic`` (a temporary file in the same directory, then ``os.replace``), so a
reader sees the old file or the new one. A file that is broken anyway (a disk filled up, an old
version's interleaved writers) is reported with its file:line, never a crash of the report.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from harness.errors import HarnessError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


class RunFileError(HarnessError):
    """A run file (history, result) cannot be read; the message names file:line."""


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` whole: readers see the previous content or this one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.chmod(tmp, 0o666 & ~_UMASK)  # as open() would have made it (mkstemp makes 0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: Path, obj: Any, indent: int | None = 2) -> Path:
    return write_atomic(path, json.dumps(obj, indent=indent, default=str) + "\n")


def read_json(path: Path) -> Any:
    """A JSON file, or RunFileError naming file:line of what is wrong with it."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise RunFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    except OSError as exc:
        raise RunFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """JSON lines (one event each), or RunFileError naming the first bad line."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise RunFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            e = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RunFileError(f"{path}:{n}: not a JSON event ({exc.msg}): "
                               f"{line[:80]!r}") from exc
        if not isinstance(e, dict) or not isinstance(e.get("t"), int | float) or \
                not isinstance(e.get("kind"), str):
            raise RunFileError(f"{path}:{n}: not an event (needs t and kind): {line[:80]!r}")
        out.append(e)
    return out
