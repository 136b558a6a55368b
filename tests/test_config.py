"""Bundles: layout, exact bytes and modes, address map, accounts, risks, topology keys."""

import difflib
import os
import shutil
from pathlib import Path

import pytest

from harness import keepalived_conf
from harness.bundle import BUNDLES_DIR, load_bundle, relocate
from harness.errors import ConfigError
from harness.expectations import Expectation

EXAMPLE = BUNDLES_DIR.parent.parent / "examples" / "production-paste"
CONF = "/etc/keepalived/keepalived.conf"
MYCNF = "/etc/mysql/mysql.conf.d/zz-vipchaos.cnf"

TOPOLOGY = """\
subnet = "198.18.151.0/24"
host_ip = "198.18.151.1"
vip = "198.18.151.100"
vrid = 51
interface = "eth0"

[[nodes]]
name = "node1"
ip = "198.18.151.11"
priority = 100

[[nodes]]
name = "node2"
ip = "198.18.151.12"
priority = 90
"""
PASTED = """\
vrrp_instance VI_1 {{
    state BACKUP
    interface ens192
    virtual_router_id 51
    priority {prio}
    advert_int 1
    mcast_src_ip {src}
    virtual_ipaddress {{
        10.0.0.100/24
    }}
}}
"""


def make(tmp_path: Path, files: dict[str, str | bytes], topology: str = TOPOLOGY,
         extra: str = "") -> Path:
    """A bundle directory: ``files`` maps bundle-relative paths to contents."""
    b = tmp_path / "b"
    b.mkdir(exist_ok=True)
    (b / "topology.toml").write_text(topology + extra)
    for rel, content in files.items():
        p = b / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    return b


def pasted(tmp_path: Path, extra_files: dict | None = None, address_map: str = "") -> Path:
    files = {"node1/etc/keepalived/keepalived.conf": PASTED.format(prio=100, src="10.0.0.11"),
             "node2/etc/keepalived/keepalived.conf": PASTED.format(prio=90, src="10.0.0.12"),
             **(extra_files or {})}
    amap = address_map or ('"10.0.0.11" = "node1"\n"10.0.0.12" = "node2"\n'
                           '"10.0.0.100" = "vip"\n"10.0.0.0/24" = "lab"\n')
    return make(tmp_path, files, extra=f"\n[address_map]\n{amap}\n[interface_map]\n"
                                       "ens192 = \"eth0\"\n")


# --- shipped bundles ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["seed", "hardened", "tutorial-rewrite", "arbitrated"])
def test_shipped_bundles_render_per_node(name):
    b = load_bundle(name)
    n1, n2 = b.topology.nodes
    r1, r2 = b.render(n1), b.render(n2)
    assert "priority 100" in r1.keepalived_conf and "priority 90" in r2.keepalived_conf
    assert all(isinstance(data, bytes) for data, _ in r1.files.values())
    assert r1.files[CONF][0].decode() == r1.keepalived_conf  # as installed, nothing injected
    assert "vrrp_notify_fifo" not in r1.keepalived_conf


def test_templated_bundles_get_the_default_mycnf_and_scripts_keep_their_mode():
    b = load_bundle("tutorial-rewrite")
    r1, r2 = (b.render(n) for n in b.topology.nodes)
    assert b"server_id = 1" in r1.files[MYCNF][0] and b"auto_increment_offset = 2" in \
        r2.files[MYCNF][0]
    data, mode = r1.files["/etc/keepalived/check_mysql.sh"]
    on_disk = BUNDLES_DIR / "tutorial-rewrite" / "scripts" / "check_mysql.sh"
    assert data == on_disk.read_bytes() and mode == on_disk.stat().st_mode & 0o7777
    assert mode & 0o111, "shipped check scripts must be executable (keepalived disables others)"


def test_seed_is_literal_per_node_and_needs_no_default_mycnf():
    b = load_bundle("seed")
    assert b.is_literal
    r1, r2 = (b.render(n) for n in b.topology.nodes)
    assert MYCNF not in r1.files and b"server-id=1" in r1.files["/etc/my.cnf"][0]
    assert b"\nhost=198.18.151.100\n" in r1.files["/etc/keepalived/checkmysql.sh"][0]  # the VIP
    assert b"\nhost=198.18.151.12\n" in r2.files["/etc/keepalived/checkmysql.sh"][0]  # its own
    assert r1.sources["/etc/keepalived/checkmysql.sh"] == "node1/etc/keepalived/checkmysql.sh"
    assert b.replication_account == ("repl", "123456")
    assert {r.invariant for r in b.risks} >= {"bringup", "single_owner", "migration"}


def test_tutorial_rewrite_is_the_old_template_seed():
    root = keepalived_conf.parse(
        load_bundle("tutorial-rewrite").render(load_bundle("seed").topology.nodes[0])
        .keepalived_conf)
    inst = root.find("vrrp_instance")[0]
    assert inst.value("state") == "BACKUP" and inst.flag("nopreempt")
    assert inst.value("virtual_router_id") == "151" and inst.value("advert_int") == "1"
    script = root.find("vrrp_script")[0]
    assert script.value("interval") == "5" and script.value("weight") == "2"


def test_arbitrated_is_tutorial_rewrite_plus_one_gateway_check():
    """The comparison is honest only if the one difference is the third-party check: same
    topology, same files, the same keepalived.conf but for chk_gateway and its track line."""
    rewrite, arb = load_bundle("tutorial-rewrite"), load_bundle("arbitrated")
    assert arb.topology == rewrite.topology
    gw_script = "/etc/keepalived/check_gateway.sh"
    for spec in arb.topology.nodes:
        r, a = rewrite.render(spec), arb.render(spec)
        assert {p: f for p, f in a.files.items() if p not in (CONF, gw_script)} == \
            {p: f for p, f in r.files.items() if p != CONF}
        hardened = BUNDLES_DIR / "hardened" / "scripts" / "check_gateway.sh"
        assert a.files[gw_script] == (hardened.read_bytes(), 0o755)

        def lines(text):
            return [line for line in text.splitlines() if not line.startswith("!")]

        delta = list(difflib.ndiff(lines(r.keepalived_conf), lines(a.keepalived_conf)))
        assert [d for d in delta if d.startswith("- ")] == []
        added = [d[2:].strip() for d in delta if d.startswith("+ ")]
        assert sorted(added) == sorted(["vrrp_script chk_gateway {",
                                        f'script "{gw_script} {arb.topology.host_ip}"',
                                        "interval 1", "fall 1", "rise 2", "weight 0", "}", "",
                                        "chk_gateway"])
        root = keepalived_conf.parse(a.keepalived_conf)
        chk = next(b for b in root.find("vrrp_script") if b.args == ["chk_gateway"])
        assert [chk.value(k) for k in ("interval", "fall", "rise", "weight")] == \
            ["1", "1", "2", "0"]
        tracked = root.find("vrrp_instance")[0].find("track_script")[0].children
        assert [t.keyword for t in tracked] == ["check_mysql", "chk_gateway"]
    assert arb.migration_bound_s() == rewrite.migration_bound_s()


def test_migration_bound_comes_from_the_config():
    seed, rewrite, hardened = (load_bundle(n) for n in ("seed", "tutorial-rewrite", "hardened"))
    # interval 5 x fall 1 + timeout(=interval) 5 + master-down 3.65 + margin 5
    assert seed.migration_bound_s() == pytest.approx(18.6)
    assert rewrite.migration_bound_s() == pytest.approx(18.6)
    assert hardened.migration_bound_s() < seed.migration_bound_s()


def test_master_down_interval():
    t = keepalived_conf.VrrpTiming(1.0, 100, True, None, 1, None)
    assert t.master_down_s == pytest.approx(3 + 156 / 256)


def test_parser_reads_nested_blocks_and_comments():
    root = keepalived_conf.parse(
        "! c\nvrrp_instance VI_1 { # x\n  priority 7\n  track_script {\n    chk\n  }\n}\n")
    inst = root.find("vrrp_instance")[0]
    assert inst.args == ["VI_1"] and inst.value("priority") == "7"
    assert [c.keyword for c in inst.find("track_script")[0].children] == ["chk"]


def test_missing_bundle_lists_shipped_ones():
    with pytest.raises(ConfigError, match="seed"):
        load_bundle("no-such-bundle")


# --- layout ------------------------------------------------------------------------------------

def test_files_tree_is_shared_and_a_node_tree_overrides_it(tmp_path):
    b = load_bundle(pasted(tmp_path, {
        "files/etc/keepalived/check.sh": "#!/bin/bash\necho shared\n",
        "node2/etc/keepalived/check.sh": "#!/bin/bash\necho node2\n",
        "files/etc/motd.j2": "I am {{ node.name }}, my peer is {{ peer.ip }}\n",
    }))
    r1, r2 = (b.render(n) for n in b.topology.nodes)
    assert r1.files["/etc/keepalived/check.sh"][0] == b"#!/bin/bash\necho shared\n"
    assert r2.files["/etc/keepalived/check.sh"][0] == b"#!/bin/bash\necho node2\n"
    assert r2.sources["/etc/keepalived/check.sh"] == "node2/etc/keepalived/check.sh"
    assert r1.files["/etc/motd"][0] == b"I am node1, my peer is 198.18.151.12\n"


def test_per_node_template_keepalived_conf(tmp_path):
    tmpl = ("vrrp_instance VI_1 {\n interface {{ interface }}\n virtual_router_id {{ vrid }}\n"
            " priority {{ node.priority }}\n virtual_ipaddress {\n  {{ vip }}\n }\n}\n")
    b = load_bundle(make(tmp_path, {"node1/etc/keepalived/keepalived.conf.j2": tmpl,
                                    "node2/etc/keepalived/keepalived.conf.j2": "! node2\n" + tmpl}))
    r1, r2 = (b.render(n) for n in b.topology.nodes)
    assert r1.keepalived_conf.endswith("}\n")  # the template's trailing newline is kept
    assert r2.keepalived_conf.startswith("! node2\n") and "priority 90" in r2.keepalived_conf


def test_two_sources_for_one_node_path_are_refused(tmp_path):
    b = pasted(tmp_path, {"files/etc/keepalived/x.sh": "a", "files/etc/keepalived/x.sh.j2": "b"})
    with pytest.raises(ConfigError, match=r"files/etc/keepalived/x.sh.*already has"):
        load_bundle(b)


def test_a_node_without_keepalived_conf_is_refused(tmp_path):
    b = make(tmp_path, {"node1/etc/keepalived/keepalived.conf": PASTED.format(prio=1, src="x")})
    with pytest.raises(ConfigError, match=r"no keepalived\.conf for node2"):
        load_bundle(b)


def test_a_directory_named_after_no_node_is_refused(tmp_path):
    b = pasted(tmp_path, {"db1/etc/keepalived/x.sh": "a"})
    with pytest.raises(ConfigError, match=r"^db1/: .*neither files/, scripts/ nor a node"):
        load_bundle(b)


def test_literal_table_must_name_nodes(tmp_path):
    b = pasted(tmp_path, {"db3.conf": "x"})
    topo = b / "topology.toml"
    topo.write_text(topo.read_text() + '\n[literal]\nnode3 = "db3.conf"\n')
    with pytest.raises(ConfigError, match=r"topology.toml:\d+: \[literal\] node3: no node"):
        load_bundle(b)


# --- files as they are -------------------------------------------------------------------------

def test_bytes_line_endings_and_modes_are_the_bundles(tmp_path):
    crlf = b"#!/bin/bash\r\nmysql -h10.0.0.11 -e 'select 1'\r\n"
    latin1 = b"# caf\xe9 10.0.0.12\nexit 0"  # not UTF-8, no final newline
    b = pasted(tmp_path, {"files/etc/keepalived/crlf.sh": crlf,
                          "files/etc/keepalived/latin1.sh": latin1,
                          "files/etc/keepalived/plain.txt": "x\n"})
    os.chmod(b / "files/etc/keepalived/crlf.sh", 0o750)
    os.chmod(b / "files/etc/keepalived/latin1.sh", 0o600)
    r = load_bundle(b).render(load_bundle(b).topology.nodes[0])
    assert r.files["/etc/keepalived/crlf.sh"] == (
        b"#!/bin/bash\r\nmysql -h198.18.151.11 -e 'select 1'\r\n", 0o750)
    assert r.files["/etc/keepalived/latin1.sh"] == (b"# caf\xe9 198.18.151.12\nexit 0", 0o600)
    assert r.files["/etc/keepalived/plain.txt"][1] == (b / "files/etc/keepalived/plain.txt")\
        .stat().st_mode & 0o7777


def test_crlf_template_keeps_crlf(tmp_path):
    b = pasted(tmp_path, {"files/etc/x.cnf.j2": "[a]\r\nb = {{ node.index }}\r\n"})
    assert load_bundle(b).render(load_bundle(b).topology.nodes[1]).files["/etc/x.cnf"][0] == \
        b"[a]\r\nb = 2\r\n"


def test_literal_configs_are_translated_to_the_lab():
    b = load_bundle(EXAMPLE)
    conf2 = b.render(b.topology.node("node2")).keepalived_conf
    assert "10.20.30." not in conf2 and "ens192" not in conf2
    assert "mcast_src_ip 198.18.151.12" in conf2
    assert "198.18.151.100/24 dev eth0" in conf2
    assert "priority 90" in conf2
    raw = (EXAMPLE / "db2-keepalived.conf").read_text()
    assert conf2.count("\n") == raw.count("\n")  # line numbers are the operator's


# --- address map -------------------------------------------------------------------------------

def test_address_map_must_land_in_the_lab_subnet(tmp_path):
    dst = tmp_path / "p"
    shutil.copytree(EXAMPLE, dst)
    topo = dst / "topology.toml"
    topo.write_text(topo.read_text().replace('"10.20.30.1" = "gateway"',
                                             '"10.20.30.1" = "10.9.9.9"'))
    with pytest.raises(ConfigError, match=r"topology.toml:\d+: .*outside the lab subnet"):
        load_bundle(dst)


def test_address_map_does_not_touch_longer_addresses(tmp_path):
    b = load_bundle(pasted(tmp_path, address_map='"10.0.0.11" = "node1"\n"10.0.0.12" = "node2"\n'
                                                 '"10.0.0.100" = "vip"\n'))
    tr = b.translator()
    assert tr.translate(b"a 10.0.0.11 b 10.0.0.111 c 110.0.0.11 d 10.0.0.11.5") == \
        b"a 198.18.151.11 b 10.0.0.111 c 110.0.0.11 d 10.0.0.11.5"


def test_network_map_moves_addresses_and_host_patterns_with_their_offsets(tmp_path):
    b = load_bundle(pasted(tmp_path))
    tr = b.translator()
    assert tr.translate(b"-h10.0.0.11 10.0.0.7 '10.0.0.%' '10.0.%' 10.0.1.7") == \
        b"-h198.18.151.11 198.18.151.7 '198.18.151.%' '10.0.%' 10.0.1.7"


def test_network_map_needs_the_lab_prefix(tmp_path):
    b = pasted(tmp_path, address_map='"10.0.0.0/16" = "lab"\n')
    with pytest.raises(ConfigError, match=r"topology.toml:\d+: .*production network is a /16 "
                                          r"but 198.18.151.0/24 is a /24"):
        load_bundle(b)


def test_network_map_with_host_bits_and_lab_for_an_address_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"host bits set: write the network as \"10.0.0.0/24\""):
        load_bundle(pasted(tmp_path, address_map='"10.0.0.5/24" = "lab"\n'))
    with pytest.raises(ConfigError, match='"lab" names the whole lab subnet'):
        load_bundle(pasted(tmp_path, address_map='"10.0.0.5" = "lab"\n'))


def test_unmapped_production_address_is_refused_with_file_and_line(tmp_path):
    b = pasted(tmp_path, {"node1/etc/keepalived/check.sh":
                          "#!/bin/bash\n# old db3 was 10.9.9.9\nping -c1 10.9.9.8\n"
                          "ping 127.0.0.1 224.0.0.18 0.0.0.0 255.255.255.0\n"})
    with pytest.raises(ConfigError) as exc:
        load_bundle(b)
    msg = str(exc.value)
    assert msg.startswith("node1/etc/keepalived/check.sh:3: 10.9.9.8 is a production address "
                          "with no lab mapping")
    assert "10.9.9.9" not in msg  # in a comment: nothing reads it
    assert "127.0.0.1" not in msg and "224.0.0.18" not in msg and "255.255" not in msg


def test_unmapped_host_pattern_in_accounts_is_refused(tmp_path):
    b = pasted(tmp_path, {"accounts.sql": "CREATE USER 'a'@'10.0.0.%' IDENTIFIED BY 'x';\n"
                                          "CREATE USER 'b'@'172.16.%' IDENTIFIED BY 'x';\n"})
    topo = b / "topology.toml"
    topo.write_text(topo.read_text() + '\n[replication]\nuser = "a"\npassword = "x"\n')
    with pytest.raises(ConfigError, match=r"^accounts.sql:2: host pattern '172.16.%' is not in "
                                          r"the lab"):
        load_bundle(b)


# --- relocation --------------------------------------------------------------------------------

def test_relocate_keeps_offsets():
    b = relocate(load_bundle("tutorial-rewrite"), "198.18.152.0/24")
    assert b.topology.vip == "198.18.152.100"
    assert [n.ip for n in b.topology.nodes] == ["198.18.152.11", "198.18.152.12"]
    assert "198.18.152.100" in b.render(b.topology.nodes[0]).keepalived_conf


def test_relocate_moves_literal_bundles_and_their_accounts():
    b = relocate(load_bundle("seed"), "198.18.160.0/24")
    r1 = b.render(b.topology.nodes[0])
    assert "198.18.160.100/24" in r1.keepalived_conf and "198.18.151." not in r1.keepalived_conf
    assert b"\nhost=198.18.160.100\n" in r1.files["/etc/keepalived/checkmysql.sh"][0]
    assert "'repl'@'198.18.160.%'" in b.accounts(b.topology.nodes[0])[0].sql
    ex = relocate(load_bundle(EXAMPLE), "198.18.161.0/24")
    assert "mcast_src_ip 198.18.161.11" in ex.render(ex.topology.nodes[0]).keepalived_conf


def test_relocate_moves_lab_addresses_written_literally(tmp_path):
    b = pasted(tmp_path, {"files/etc/keepalived/gw.sh": "#!/bin/sh\nping -c1 198.18.151.1\n"},
               address_map='"10.0.0.11" = "198.18.151.11"\n"10.0.0.12" = "node2"\n'
                           '"10.0.0.100" = "vip"\n')
    moved = relocate(load_bundle(b), "198.18.170.0/24")
    r1 = moved.render(moved.topology.nodes[0])
    assert b"ping -c1 198.18.170.1\n" in r1.files["/etc/keepalived/gw.sh"][0]
    assert "mcast_src_ip 198.18.170.11" in r1.keepalived_conf


def test_overrides_move_address_map_words(tmp_path):
    b = load_bundle("seed", {"vip": "198.18.151.50"})
    assert "198.18.151.50/24" in b.render(b.topology.nodes[0]).keepalived_conf


# --- accounts ----------------------------------------------------------------------------------

def test_accounts_are_statements_with_file_and_line_lab_mapped():
    b = load_bundle("seed")
    st = b.accounts(b.topology.nodes[1])
    assert [s.where for s in st] == ["accounts.sql:2", "accounts.sql:3", "accounts.sql:4"]
    assert st[2].sql == "CREATE USER 'healthcheck'@'198.18.151.%' IDENTIFIED BY 'check123'"


def test_default_accounts_when_the_bundle_has_none():
    b = load_bundle("hardened")
    assert b.replication_account == ("repl", "repl")
    sql = [s.sql for s in b.accounts(b.topology.nodes[0])]
    assert "CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY 'repl'" in sql
    assert any("'healthcheck'@'127.0.0.1'" in s for s in sql)
    assert b.accounts(b.topology.nodes[0])[0].where.startswith("default-accounts.sql:")


def test_statement_splitting_knows_quotes_and_comments(tmp_path):
    from harness.bundle.accounts import parse_statements
    st = parse_statements("-- c1\n# c2\nCREATE USER 'a;b'@'%' /* x; */\n  IDENTIFIED BY 'p;w';"
                          "GRANT ALL ON *.* TO 'a;b'@'%'\n", "a.sql")
    assert [s.where for s in st] == ["a.sql:3", "a.sql:4"]
    assert st[0].sql.startswith("CREATE USER 'a;b'@'%'") and st[0].sql.endswith("'p;w'")
    with pytest.raises(ConfigError, match=r"a\.sql:2: DELIMITER"):
        parse_statements("SELECT 1;\nDELIMITER //\n", "a.sql")
    with pytest.raises(ConfigError, match=r"a\.sql:1: unterminated ' quote"):
        parse_statements("CREATE USER 'x", "a.sql")


def test_accounts_without_replication_table_are_refused(tmp_path):
    b = pasted(tmp_path, {"accounts.sql": "CREATE USER 'r'@'%' IDENTIFIED BY 'x';\n"})
    with pytest.raises(ConfigError, match=r"no \[replication\] says which"):
        load_bundle(b)
    topo = b / "topology.toml"
    topo.write_text(topo.read_text() + '\n[replication]\nuser = "r"\npassword = "x"\n')
    assert load_bundle(b).replication_account == ("r", "x")


# --- risks and faults --------------------------------------------------------------------------

def test_a_risk_reads_its_signature_and_consequences(tmp_path):
    b = pasted(tmp_path, {"risks.toml": '[[accept]]\ninvariant = "replication"\n'
                          'signature = "applier error 1062 on *"\n'
                          'consequences = ["checksums  differ"]\nreason = "r"\n'})
    r, = load_bundle(b).risks
    assert (r.signature, r.consequences) == (("applier error 1062 on *",), ("checksums differ",))


def test_a_bad_signature_names_its_line(tmp_path):
    b = pasted(tmp_path, {"risks.toml": '[[accept]]\ninvariant = "writes"\nsignature = [1]\n'
                          'reason = "r"\n'})
    with pytest.raises(ConfigError, match=r"risks.toml:3: signature is a phrase or a list"):
        load_bundle(b)


def test_every_shipped_risk_says_what_it_accepts():
    from harness.bundle import bundle_names
    from harness.bundle.risks import unsigned
    for name in bundle_names():
        assert unsigned(load_bundle(name).risks) == [], name


def test_a_risk_without_a_signature_warns_that_it_accepts_anything(tmp_path):
    from harness.bundle.risks import unsigned
    b = pasted(tmp_path, {"risks.toml": '[[accept]]\ninvariant = "single_owner"\nreason = "r"\n'})
    w, = unsigned(load_bundle(b).risks)
    assert w.startswith("risks.toml:1: this risk has no signature: it accepts any single_owner "
                        "violation in its window") and 'signature = ["dual ownership"]' in w


def test_risks_become_expectations_with_their_line():
    risks = load_bundle("tutorial-rewrite").risks
    assert risks[0] == Expectation(invariant="migration", fault="freeze-mysqld", when="during",
                                   target="owner", reason=risks[0].reason, where="risks.toml:5",
                                   signature=("VIP never moved off node1",))
    assert {(r.fault, r.invariant) for r in load_bundle("hardened").risks} >= {
        ("pause-node", "single_owner"), ("block-vrrp", "single_owner"),
        ("one-way-partition", "single_owner"), ("stall-applier", "replication")}


@pytest.mark.parametrize("body,match", [
    ('invariant = "x"\nreason = "r"\nfualt = "pause-node"\n',
     r"risks.toml:4: unknown key 'fualt' in \[\[accept\]\] \(did you mean 'fault'\?\)"),
    ('invariant = "single_owner"\nreason = "r"\nfault = "pause-nod"\n',
     r"risks.toml:4: unknown fault 'pause-nod' \(did you mean 'pause-node'\?\)"),
    ('invariant = "single_owner"\nreason = "r"\nwhen = "later"\n', r"risks.toml:4: when 'later'"),
    ('invariant = "single_owner"\nreason = "r"\ntarget = "node3"\n', r"risks.toml:4: target"),
    ('invariant = "single_owner"\n', r"risks.toml:1: \[\[accept\]\] needs reason"),
])
def test_bad_risks_name_file_and_line(tmp_path, body, match):
    b = pasted(tmp_path, {"risks.toml": "[[accept]]\n" + body})
    with pytest.raises(ConfigError, match=match):
        load_bundle(b)


def test_faults_selection_is_checked_against_the_catalogue(tmp_path):
    assert load_bundle("seed").faults is None
    b = make(tmp_path, {}, topology='faults = ["kill-mysqld", "crash-node"]\n' + TOPOLOGY)
    shutil.copy(BUNDLES_DIR / "tutorial-rewrite" / "keepalived.conf.j2", b)
    assert load_bundle(b).faults == ["kill-mysqld", "crash-node"]
    (b / "topology.toml").write_text('faults = ["kill-mysql"]\n' + TOPOLOGY)
    with pytest.raises(ConfigError, match=r"topology.toml:1: unknown fault 'kill-mysql' "
                                          r"\(did you mean 'kill-mysqld'\?\)"):
        load_bundle(b)


# --- topology.toml -----------------------------------------------------------------------------

def test_vip_outside_subnet_is_rejected():
    with pytest.raises(ConfigError, match=r"overrides \(vip\): vip 10\.0\.0\.1 is outside the "
                                          r"subnet"):
        load_bundle("tutorial-rewrite", {"vip": "10.0.0.1"})


@pytest.mark.parametrize("edit,match", [
    (lambda t: "vrid_ = 3\n" + t, r"topology.toml:1: unknown key 'vrid_' in topology.toml"),
    (lambda t: t.replace('priority = 90', 'priority = 90\nprio = 1'),
     r"topology.toml:16: unknown key 'prio' in \[\[nodes\]\]"),
    (lambda t: t + '\n[replication]\nuser = "r"\npasword = "x"\n',
     r"topology.toml:19: unknown key 'pasword' in \[replication\] \(did you mean 'password'"),
    (lambda t: t.replace('vip = "198.18.151.100"', 'vip = "198.18.152.100"'),
     r"topology.toml:3: vip 198.18.152.100 is outside the subnet"),
])
def test_topology_errors_name_the_line(tmp_path, edit, match):
    b = make(tmp_path, {"keepalived.conf.j2": (BUNDLES_DIR / "tutorial-rewrite" /
                                               "keepalived.conf.j2").read_text()},
             topology=edit(TOPOLOGY))
    with pytest.raises(ConfigError, match=match):
        load_bundle(b)


def test_binary_or_broken_topology_is_one_clear_error(tmp_path):
    b = make(tmp_path, {})
    (b / "topology.toml").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    with pytest.raises(ConfigError, match=r"^topology.toml: not a text file"):
        load_bundle(b)
    (b / "topology.toml").write_text('subnet = "x"\nvip = \n')
    with pytest.raises(ConfigError, match=r"^topology.toml:2: not valid TOML"):
        load_bundle(b)


def test_bad_template_names_file_and_line(tmp_path):
    b = make(tmp_path, {"keepalived.conf.j2": "global_defs {\n  router_id {{ node.name \n}\n"})
    with pytest.raises(ConfigError, match=r"keepalived.conf.j2:\d+: template error"):
        load_bundle(b)


def test_unknown_template_variable_names_its_line(tmp_path):
    b = make(tmp_path, {"keepalived.conf.j2": "vrrp_instance X {\n priority {{ prio }}\n}\n"})
    with pytest.raises(ConfigError, match=r"keepalived.conf.j2:2: template uses an unknown "
                                          "variable"):
        load_bundle(b)


def test_the_bound_comes_from_the_slowest_node_the_lowest_priority():
    """keepalived's master-down skew is (256 - priority) / 256: the lowest-priority node waits
    longest, so the bound is its. With 100/90 the two differ by 0.04 s (lost when the bound is
    rounded to 0.1 s); with 250/1 by almost a second."""
    seed = load_bundle("seed")
    assert seed.timing().priority == 90
    assert seed.timing().master_down_s == pytest.approx(3 + 166 / 256)
    topo = TOPOLOGY.replace("priority = 100", "priority = 250").replace("priority = 90",
                                                                       "priority = 1")
    files = {"node1/etc/keepalived/keepalived.conf": PASTED.format(prio=250, src="10.0.0.11"),
             "node2/etc/keepalived/keepalived.conf": PASTED.format(prio=1, src="10.0.0.12")}
    amap = ('\n[address_map]\n"10.0.0.11" = "node1"\n"10.0.0.12" = "node2"\n'
            '"10.0.0.100" = "vip"\n"10.0.0.0/24" = "lab"\n[interface_map]\nens192 = "eth0"\n')
    b = load_bundle(make(tmp_path_factory_dir(), files, topo, amap))
    assert b.timing().priority == 1
    assert b.migration_bound_s() == pytest.approx(round(3 + 255 / 256 + 5, 1))  # 9.0, not 8.0


def tmp_path_factory_dir() -> Path:
    import tempfile
    return Path(tempfile.mkdtemp(prefix="vipchaos-test-"))
