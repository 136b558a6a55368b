"""The HTML report renders in a real headless browser (Debian's chromium; `make test`
installs it). Not skipped when chromium is missing: the report is a deliverable."""

import shutil
import struct
import subprocess
import zlib

from test_report import _run

from harness.report import render_html


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is not installed: `apt-get install chromium` (make test does it)"
    return exe


def _png_colours(path) -> int:
    """Distinct byte values in the decompressed image data: ~1 for a blank page."""
    data, pos, idat = path.read_bytes(), 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat)))


def test_report_renders_in_headless_chromium(tmp_path):
    _run(tmp_path)
    page = render_html(tmp_path)
    args = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run([*args, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert dom.count("<svg") >= 2 and "node2 VIP" in dom and "kill-mysqld-owner" in dom
    shot = tmp_path / "report.png"
    subprocess.run([*args, f"--screenshot={shot}", "--window-size=1100,1400", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000
    assert _png_colours(shot) > 50  # coloured lanes and text, not a blank page
