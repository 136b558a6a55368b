"""seed is the classic tutorial, file by file (tests/fixtures/tutorial, a reconstruction: see its
README.md): render seed for the lab, map the lab's values back to the tutorial's, compare.

Only lines the lab must change may differ, and they are named here: none.
"""

import re
from pathlib import Path

import pytest

from harness.bundle import BUNDLES_DIR, load_bundle

TUTORIAL = Path(__file__).parent / "fixtures" / "tutorial"
HOSTS = {"node1": "master", "node2": "backup"}
# Lab value -> the tutorial's.
BACK = {"198.18.151.11": "192.168.0.128", "198.18.151.12": "192.168.0.129",
        "198.18.151.100": "192.168.0.130", "198.18.151.%": "192.168.0.%"}
BACK_IFACE = {"eth0": "ens32"}
# Lines the lab must change and cannot map back (path -> line numbers). Ideally none.
MUST_DIFFER: dict[str, set[int]] = {}


def back_to_tutorial(data: bytes) -> bytes:
    for lab, prod in BACK.items():
        data = re.sub(rb"(?<![\d.])" + re.escape(lab.encode()) + rb"(?![\d])", prod.encode(),
                      data)
    for lab, prod in BACK_IFACE.items():
        data = re.sub(rb"\b" + re.escape(lab.encode()) + rb"\b", prod.encode(), data)
    return data


def tutorial_files(host: str) -> dict[str, Path]:
    root = TUTORIAL / host
    return {"/" + p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}


def differing_lines(got: bytes, want: bytes) -> list[int]:
    g, w = got.split(b"\n"), want.split(b"\n")
    return [i for i in range(1, max(len(g), len(w)) + 1)
            if (g[i - 1:i] or [None]) != (w[i - 1:i] or [None])]


@pytest.mark.parametrize("node", ["node1", "node2"])
def test_seed_rendered_for_the_lab_is_the_tutorial(node):
    seed = load_bundle("seed")
    rendered = seed.render(seed.topology.node(node))
    want = tutorial_files(HOSTS[node])
    assert set(rendered.files) == set(want), "seed installs exactly the tutorial's files"
    for path, src in want.items():
        data, mode = rendered.files[path]
        assert mode == src.stat().st_mode & 0o7777, f"{path}: mode"
        diff = differing_lines(back_to_tutorial(data), src.read_bytes())
        assert set(diff) == MUST_DIFFER.get(path, set()), f"{path}: lines {diff} differ"


def test_seed_accounts_are_the_tutorials():
    seed = load_bundle("seed")
    lab = "\n".join(s.sql for s in seed.accounts(seed.topology.nodes[0]))
    want = [line.rstrip(";") for line in (TUTORIAL / "accounts.sql").read_text().splitlines()
            if line and not line.startswith("--")]
    assert back_to_tutorial(lab.encode()).decode().splitlines() == want


def test_seed_carries_the_tutorial_verbatim():
    """Not a single byte of the operator's files is rewritten in the bundle itself."""
    for node, host in HOSTS.items():
        for path, src in tutorial_files(host).items():
            mine = BUNDLES_DIR / "seed" / node / path.lstrip("/")
            assert mine.read_bytes() == src.read_bytes(), mine
            assert mine.stat().st_mode & 0o7777 == src.stat().st_mode & 0o7777, mine
    assert (BUNDLES_DIR / "seed" / "accounts.sql").read_bytes() == \
        (TUTORIAL / "accounts.sql").read_bytes()


def test_the_tutorials_setup_as_described():
    """What the tutorial is, per its description: so a drift of the fixture is caught too."""
    from harness import keepalived_conf
    for host, prio, probe in (("master", "100", "192.168.0.130"),
                              ("backup", "90", "192.168.0.129")):
        root = keepalived_conf.parse((TUTORIAL / host / "etc/keepalived/keepalived.conf")
                                     .read_text())
        gd = root.find("global_defs")[0]
        assert gd.flag("route_id") and gd.flag("enable_script_security")
        assert gd.value("script_user") == "root" and gd.flag("notification_email")
        script = root.find("vrrp_script")[0]
        assert script.value("script") == "/etc/keepalived/checkmysql.sh"
        assert (script.value("interval"), script.value("weight")) == ("5", "2")
        inst = root.find("vrrp_instance")[0]
        assert (inst.value("state"), inst.value("interface"), inst.value("virtual_router_id"),
                inst.value("priority"), inst.value("advert_int")) == (
            "BACKUP", "ens32", "151", prio, "1")
        assert inst.flag("nopreempt")
        check = (TUTORIAL / host / "etc/keepalived/checkmysql.sh").read_text()
        assert f'mysql -uhealthcheck -pcheck123 -h{probe} -e "show status;"' in check
        assert "systemctl stop keepalived" in check
