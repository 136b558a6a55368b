"""The lab network's pure parts: subnet choice, route parsing, seal rules, host inventory, lock."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from ipaddress import IPv4Network as Net
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness import labnet, ownership
from harness.errors import NetworkSetupError

ROOT = Path(__file__).resolve().parent.parent


# --- choosing a subnet ----------------------------------------------------------------------
def test_the_preferred_subnet_when_free():
    taken = [Net("172.17.0.0/16"), Net("198.18.151.0/24")]
    assert labnet.choose_subnet("198.18.181.0/24", taken) == "198.18.181.0/24"


def test_a_preferred_subnet_outside_the_pool_is_fine_when_free():
    assert labnet.choose_subnet("10.99.0.0/24", [Net("10.98.0.0/16")]) == "10.99.0.0/24"


def test_the_first_free_slash_24_when_the_preferred_one_overlaps():
    taken = [Net("198.18.181.128/25"), Net("198.18.0.0/24"), Net("198.18.1.64/26")]
    assert labnet.choose_subnet("198.18.181.0/24", taken) == "198.18.2.0/24"


def test_no_preference_takes_the_first_free_one():
    assert labnet.choose_subnet(None, []) == "198.18.0.0/24"
    assert labnet.choose_subnet(None, [Net("198.18.0.0/16")]) == "198.19.0.0/24"


def test_a_covering_route_counts_as_taken():
    with pytest.raises(NetworkSetupError, match=re.escape("No free /24 left in 198.18.0.0/15")):
        labnet.choose_subnet("198.18.181.0/24", [Net("198.16.0.0/12")])


def test_other_prefix_lengths():
    assert labnet.choose_subnet(None, [Net("198.18.0.0/25")], prefixlen=25) == "198.18.0.128/25"


def test_a_malformed_preference_says_what_is_expected():
    with pytest.raises(NetworkSetupError, match=re.escape("like 198.18.181.0/24")):
        labnet.choose_subnet("198.18.181.7/33", [])


def test_routes_from_ip_json():
    routes = [{"dst": "default", "gateway": "192.0.2.1", "dev": "eth0"},
              {"dst": "192.0.2.0/24", "dev": "eth0"},
              {"dst": "203.0.113.9", "dev": "tun0"},
              {"dst": "198.18.151.0/24", "dev": "vc-ab12cd-h"}]
    assert labnet.routed_subnets(routes) == [
        (Net("192.0.2.0/24"), "eth0"), (Net("203.0.113.9/32"), "tun0"),
        (Net("198.18.151.0/24"), "vc-ab12cd-h")]


def test_taken_subnets_are_docker_networks_and_host_routes(monkeypatch):
    engine = SimpleNamespace(network_subnets=lambda: {
        "bridge": ["172.17.0.0/16"], "v6": ["fd00::/64"], "none": []})
    monkeypatch.setattr(labnet, "host_routes", lambda: [(Net("198.18.0.0/24"), "vc-x-h")])
    assert labnet.taken_subnets(engine) == [Net("172.17.0.0/16"), Net("198.18.0.0/24")]


# --- the seal -------------------------------------------------------------------------------
def test_seal_rules_make_the_chain_and_its_jumps_in_one_transaction():
    text = labnet.seal_rules("ab12cd", "vc-ab12cd-h", "vm:1:2:3", docker_user=True)
    lines = text.splitlines()
    assert lines[0] == "*filter" and lines[-1] == "COMMIT"
    assert ":VC-ab12cd - [0:0]" in lines
    drops = [x for x in lines if x.startswith("-A VC-ab12cd")]
    assert [d.split()[2:4] for d in drops] == [["-i", "vc-ab12cd-h"], ["-o", "vc-ab12cd-h"]]
    assert all(d.endswith("-j DROP") for d in drops)
    jumps = [x for x in lines if x.startswith("-I ")]
    assert {(j.split()[1], j.split()[2], j.split()[3]) for j in jumps} == {
        (c, "1", d) for c in ("FORWARD", "DOCKER-USER") for d in ("-i", "-o")}
    for rule in drops + jumps:
        assert ownership.parse_tag(labnet._comment(rule)) == ("ab12cd", "vm:1:2:3")
    plain = labnet.seal_rules("ab12cd", "vc-ab12cd-h", "o", docker_user=False)
    assert "DOCKER-USER" not in plain


IP_LINKS = [
    {"ifname": "lo"},
    {"ifname": "vc-aaa-h", "ifalias": "vipchaos run=aaa owner=vm:1:2:3"},
    {"ifname": "vc-aaa-p", "ifalias": "vipchaos run=aaa owner=vm:1:2:3"},
    {"ifname": "vc-old-h"},  # made by old code: no alias
    {"ifname": "vc-lone-p"},  # its -h end is gone
    {"ifname": "vc-other"},  # not ours by name
]
IPT = textwrap.dedent("""\
    -P FORWARD DROP
    -N DOCKER-USER
    -N VC-aaa
    -N VC-bare
    -A FORWARD -j DOCKER-USER
    -A FORWARD -i vc-aaa-h -m comment --comment "vipchaos run=aaa owner=vm:1:2:3" -j VC-aaa
    -A FORWARD -o vc-aaa-h -m comment --comment "vipchaos run=aaa owner=vm:1:2:3" -j VC-aaa
    -A FORWARD -o vc-bbb-h -m comment --comment "vipchaos run=bbb owner=vm:4:5:6" -j ACCEPT
    -A DOCKER-USER -i vc-aaa-h -m comment --comment "vipchaos run=aaa owner=vm:1:2:3" -j VC-aaa
    -A DOCKER-USER -j RETURN
    -A VC-aaa -i vc-aaa-h -m comment --comment "vipchaos run=aaa owner=vm:1:2:3 out" -j DROP
    -A VC-bare -j DROP
    """)


@pytest.fixture
def fake_host(monkeypatch):
    calls: list[list[str]] = []

    def run(cmd, check=True, timeout=30, input=None):
        calls.append(cmd)
        out = ""
        if cmd[:3] == ["ip", "-j", "link"]:
            out = json.dumps(IP_LINKS)
        elif cmd[0] == "iptables" and cmd[-1] == "-S":
            out = IPT
        return subprocess.CompletedProcess(cmd, 0, out, "")

    monkeypatch.setattr(labnet.hostcmd, "run", run)
    return calls


def test_host_resources_by_alias_and_comment(fake_host):
    got = {r.name: r for r in labnet.host_resources()}
    assert set(got) == {"vc-aaa-h", "vc-old-h", "vc-lone-p", "VC-aaa", "VC-bare"}
    assert (got["vc-aaa-h"].run_id, got["vc-aaa-h"].owner) == ("aaa", "vm:1:2:3")
    assert (got["vc-old-h"].run_id, got["vc-old-h"].owner) == ("old", "")
    assert (got["VC-aaa"].run_id, got["VC-aaa"].owner) == ("aaa", "vm:1:2:3")
    assert (got["VC-bare"].run_id, got["VC-bare"].owner) == ("bare", "")
    every = {r.name for r in labnet.host_resources(everything=True)}
    assert every == set(got) | {"vc-other"}  # still one entry per pair


def test_removing_a_chain_removes_its_jumps_and_tagged_rules_then_the_chain(fake_host):
    labnet.remove_chain("aaa")
    deletes = [c for c in fake_host if "-D" in c]
    assert [c[c.index("-D") + 1] for c in deletes] == ["FORWARD", "FORWARD", "DOCKER-USER"]
    assert all(c[-2:] == ["-j", "VC-aaa"] for c in deletes)
    assert ["iptables", "-w", "10", "-F", "VC-aaa"] in fake_host
    assert fake_host[-1] == ["iptables", "-w", "10", "-X", "VC-aaa"]
    fake_host.clear()
    labnet.remove_chain("bbb")  # a tagged rule whose chain never existed
    assert [c for c in fake_host if "-D" in c] == [
        ["iptables", "-w", "10", "-D", "FORWARD", "-o", "vc-bbb-h", "-m", "comment",
         "--comment", "vipchaos run=bbb owner=vm:4:5:6", "-j", "ACCEPT"]]
    assert not [c for c in fake_host if "-X" in c]


def test_seal_counters_split_out_and_in(monkeypatch):
    save = textwrap.dedent("""\
        *filter
        :VC-aaa - [0:0]
        [7:588] -A FORWARD -i vc-aaa-h -m comment --comment "vipchaos run=aaa owner=o" -j VC-aaa
        [5:420] -A VC-aaa -i vc-aaa-h -m comment --comment "vipchaos run=aaa owner=o out-of-lab" -j DROP
        [2:168] -A VC-aaa -o vc-aaa-h -m comment --comment "vipchaos run=aaa owner=o into-lab" -j DROP
        COMMIT
        """)  # noqa: E501
    monkeypatch.setattr(labnet.hostcmd, "run",
                        lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0, save, ""))
    net = labnet.LabNetwork.__new__(labnet.LabNetwork)
    net.chain = "VC-aaa"
    assert net.seal_counters() == {"out": 5, "in": 2}


# --- the host lock --------------------------------------------------------------------------
HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from harness import labnet
    labnet.LOCK_DIRS = (Path(sys.argv[1]),)
    with labnet.host_lock():
        print("held", flush=True)
        time.sleep(30)
""")


def test_the_host_lock_is_reentrant_and_excludes_other_processes(tmp_path, monkeypatch):
    monkeypatch.setattr(labnet, "LOCK_DIRS", (tmp_path,))
    with labnet.host_lock(), labnet.host_lock():  # re-entrant in one process
        assert ownership.process_owner() in (tmp_path / "vipchaos.lock").read_text()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(NetworkSetupError, match="has held the host lock"), \
                labnet.host_lock(timeout=0.3):
            pass
        holder.kill()  # SIGKILL: the kernel releases the lock
        holder.wait()
        with labnet.host_lock(timeout=5):
            pass
    finally:
        holder.kill()
        holder.wait()
