"""`vipchaos import`: production files copied as they are, a proposed lab map, TODOs."""

import os
import tomllib
from pathlib import Path

import pytest

from harness.bundle import load_bundle
from harness.bundle.lint import lint
from harness.cli import main
from harness.errors import ConfigError
from harness.importer import NodeInput, import_pair

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "production-paste"
SEED = Path(__file__).resolve().parent.parent / "harness" / "bundles" / "seed"  # the tutorial


def test_production_paste_imports_into_a_bundle_that_loads(tmp_path):
    out = tmp_path / "imported"
    script = EXAMPLE / "scripts" / "chk_mysql.sh"
    res = import_pair([NodeInput("node1", EXAMPLE / "db1-keepalived.conf", [script]),
                       NodeInput("node2", EXAMPLE / "db2-keepalived.conf", [script])], out)
    topo = tomllib.loads((out / "topology.toml").read_text())
    assert topo["address_map"] == {"10.20.30.11": "node1", "10.20.30.12": "node2",
                                   "10.20.30.100": "vip", "10.20.30.0/24": "lab"}
    assert topo["interface_map"] == {"ens192": "eth0"}
    assert [(n["ip"], n["priority"]) for n in topo["nodes"]] == [("198.18.151.11", 100),
                                                                 ("198.18.151.12", 90)]
    assert topo["vip"] == "198.18.151.100" and topo["vrid"] == 51
    # the same script on both nodes is shared, where keepalived.conf runs it, mode kept
    shared = out / "files" / "etc" / "keepalived" / "chk_mysql.sh"
    assert shared.read_bytes() == script.read_bytes()
    assert shared.stat().st_mode & 0o7777 == script.stat().st_mode & 0o7777
    assert (out / "node1/etc/keepalived/keepalived.conf").read_bytes() == \
        (EXAMPLE / "db1-keepalived.conf").read_bytes()
    assert any("accounts.sql" in t for t in res.todo)  # none given: to fill in
    b = load_bundle(out)
    conf = b.render(b.topology.nodes[1]).keepalived_conf
    assert "mcast_src_ip 198.18.151.12" in conf and "198.18.151.100/24 dev eth0" in conf
    rep, _ = lint(b)
    assert rep.errors == ["accounts.sql: no statement creates the replication user 'repl' "
                          "(topology.toml:23 names it): each node pulls from its peer as repl, "
                          "which would fail; add CREATE USER 'repl'@'...' IDENTIFIED BY '...'"]


def test_tutorial_imports_with_the_backups_address_from_its_script(tmp_path):
    out = tmp_path / "t"
    hosts = ("node1", "node2")  # the tutorial's master and backup, as the seed carries them
    nodes = [NodeInput(f"node{i}", SEED / h / "etc/keepalived/keepalived.conf",
                       [SEED / h / "etc/keepalived/checkmysql.sh"])
             for i, h in enumerate(hosts, start=1)]
    res = import_pair(nodes, out, SEED / "accounts.sql")
    topo = tomllib.loads((out / "topology.toml").read_text())
    assert topo["address_map"] == {"192.168.0.129": "node2", "192.168.0.130": "vip",
                                   "192.168.0.0/24": "lab"}
    assert topo["replication"] == {"user": "repl", "password": "123456"}
    assert any("node1's production address" in t for t in res.todo)  # its script probes the VIP
    # per node where they differ, at the path keepalived.conf runs them, modes kept
    for i, h in enumerate(hosts, start=1):
        for rel in ("etc/keepalived/checkmysql.sh", "etc/keepalived/keepalived.conf"):
            mine, theirs = out / f"node{i}" / rel, SEED / h / rel
            assert mine.read_bytes() == theirs.read_bytes()
            assert mine.stat().st_mode & 0o7777 == theirs.stat().st_mode & 0o7777
    b = load_bundle(out)
    assert lint(b)[0].errors == []
    r2 = b.render(b.topology.nodes[1])
    assert b"\nhost=198.18.151.129\n" in r2.files["/etc/keepalived/checkmysql.sh"][0]
    assert "'repl'@'198.18.151.%'" in b.accounts(b.topology.nodes[0])[0].sql


def test_address_outside_the_network_is_a_todo_and_the_bundle_refuses_it(tmp_path):
    c1 = tmp_path / "db1.conf"
    c1.write_bytes((EXAMPLE / "db1-keepalived.conf").read_bytes().replace(
        b"   route_id DB1\n", b"   smtp_server 172.16.9.9\n"))
    out = tmp_path / "out"
    res = import_pair([NodeInput("node1", c1), NodeInput("node2", EXAMPLE / "db2-keepalived.conf")],
                      out)
    assert any(t.startswith(f"{c1}:3: 172.16.9.9 is outside the production network")
               for t in res.todo)
    assert '# "172.16.9.9" = ""   # TODO' in (out / "topology.toml").read_text()
    with pytest.raises(ConfigError, match=r"^node1/etc/keepalived/keepalived.conf:3: 172.16.9.9 "
                                          "is a production address with no lab mapping"):
        load_bundle(out)


def test_crlf_and_modes_survive_the_import(tmp_path):
    script = tmp_path / "chk_mysql.sh"
    script.write_bytes(b"#!/bin/bash\r\nexit 0\r\n")
    os.chmod(script, 0o700)
    out = tmp_path / "out"
    import_pair([NodeInput("node1", EXAMPLE / "db1-keepalived.conf", [script]),
                 NodeInput("node2", EXAMPLE / "db2-keepalived.conf")], out)
    got = out / "node1" / "etc" / "keepalived" / "chk_mysql.sh"
    assert got.read_bytes() == b"#!/bin/bash\r\nexit 0\r\n"
    assert got.stat().st_mode & 0o7777 == 0o700
    assert not (out / "node2" / "etc" / "keepalived" / "chk_mysql.sh").exists()


def test_out_must_be_new_or_empty(tmp_path):
    (tmp_path / "x").write_text("")
    with pytest.raises(ConfigError, match="exists and is not empty"):
        import_pair([NodeInput("node1", EXAMPLE / "db1-keepalived.conf"),
                     NodeInput("node2", EXAMPLE / "db2-keepalived.conf")], tmp_path)


def test_cli_import_prints_what_it_wrote_and_what_to_check(tmp_path, capsys):
    out = tmp_path / "b"
    rc = main(["import", str(EXAMPLE / "db1-keepalived.conf"), str(EXAMPLE / "db2-keepalived.conf"),
               "--scripts-node1", str(EXAMPLE / "scripts" / "chk_mysql.sh"),
               "--scripts-node2", str(EXAMPLE / "scripts" / "chk_mysql.sh"), "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert f"wrote bundle {out}:" in text and "files/etc/keepalived/chk_mysql.sh" in text
    assert "still to do" in text and f"vipchaos validate --config {out}" in text
    assert main(["import", str(EXAMPLE / "db1-keepalived.conf"),
                 str(EXAMPLE / "db2-keepalived.conf"), "--out", str(out)]) == 3
