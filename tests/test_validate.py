"""Validation: each rule fed a bad case fires (file:line, one message per cause), and a good
case stays quiet. Most rules need no container (``lint``); the ones marked ``needs_docker`` run
``keepalived -t`` and the image probes in the real node image (build it: `vipchaos images`)."""

import os
import re

import pytest
from test_config import EXAMPLE, PASTED, TOPOLOGY, make

from harness.bundle import load_bundle
from harness.bundle.lint import lint
from harness.bundle.shell import commands
from harness.errors import ConfigError

GOOD = ('"10.0.0.11" = "node1"\n"10.0.0.12" = "node2"\n"10.0.0.100" = "vip"\n'
        '"10.0.0.0/24" = "lab"\n')


def conf(prio=100, src="10.0.0.11", body="", tail="", iface="ens192", before=""):
    """A production keepalived.conf; ``body`` goes inside vrrp_instance."""
    return (before + PASTED.format(prio=prio, src=src).replace("    state BACKUP\n",
                                                               "    state BACKUP\n" + body)
            .replace("interface ens192", f"interface {iface}") + tail)


def bundle(tmp_path, c1=None, c2=None, files=None, amap=GOOD, imap='ens192 = "eth0"\n'):
    b = make(tmp_path, {"node1/etc/keepalived/keepalived.conf": c1 or conf(),
                        "node2/etc/keepalived/keepalived.conf": c2 or conf(90, "10.0.0.12"),
                        **(files or {})},
             extra=f"\n[address_map]\n{amap}\n[interface_map]\n{imap}")
    return load_bundle(b)


def findings(b):
    rep, _ = lint(b)
    return rep


def test_good_pasted_pair_is_quiet(tmp_path):
    rep = findings(bundle(tmp_path))
    assert rep.errors == [] and rep.warnings == []


def test_messages_are_plain_file_line_strings(tmp_path):
    rep = findings(bundle(tmp_path, imap=""))
    assert rep.errors and all(isinstance(e, str) for e in rep.errors)
    assert all(re.match(r"^[\w./-]+:\d+: ", e) for e in rep.errors), rep.errors


def test_interface_not_mapped_to_the_lab(tmp_path):
    rep = findings(bundle(tmp_path, imap=""))
    assert rep.errors == [  # one cause, one message
        "node1/etc/keepalived/keepalived.conf:3: interface ens192 does not exist in the lab node "
        "(it has eth0) (also node2/etc/keepalived/keepalived.conf:3): map it in topology.toml "
        "[interface_map] (ens192 = \"eth0\")"]


def test_vip_dev_and_track_interface_not_mapped(tmp_path):
    c1 = conf(body="    track_interface {\n        bond0\n    }\n").replace(
        "10.0.0.100/24", "10.0.0.100/24 dev ens224")
    rep = findings(bundle(tmp_path, c1=c1))
    assert [e.split(": ")[0] for e in rep.errors] == [
        "node1/etc/keepalived/keepalived.conf:12", "node1/etc/keepalived/keepalived.conf:4"]
    assert "interface ens224" in rep.errors[0] and "interface bond0" in rep.errors[1]


def test_track_script_undefined_or_defined_too_late(tmp_path):
    track = "    track_script {\n        chk\n    }\n"
    script = 'vrrp_script chk {\n    script "/bin/true"\n}\n'
    rep = findings(bundle(tmp_path, c1=conf(body=track), c2=conf(90, "10.0.0.12", body=track,
                                                                 tail=script)))
    assert rep.warnings == [
        "node1/etc/keepalived/keepalived.conf:4: track_script names chk, which no vrrp_script "
        "defines: keepalived ignores it, so the VIP will never move on its failure",
        "node2/etc/keepalived/keepalived.conf:4: vrrp_script chk is defined only after this "
        "vrrp_instance (line 15): keepalived reads the file in order and ignores it, so the VIP "
        "will never move on its failure"]
    ok = findings(bundle(tmp_path, c1=conf(body=track, before=script),
                         c2=conf(90, "10.0.0.12", body=track, before=script)))
    assert ok.warnings == []


def test_advert_int_and_auth_differing_between_nodes(tmp_path):
    auth = "    authentication {{\n        auth_type PASS\n        auth_pass {}\n    }}\n"
    c1 = conf(body=auth.format("1111")).replace("advert_int 1", "advert_int 2")
    rep = findings(bundle(tmp_path, c1=c1, c2=conf(90, "10.0.0.12", body=auth.format("2222"))))
    assert rep.errors == [
        "node1/etc/keepalived/keepalived.conf:5: vrrp_instance VI_1: authentication differs "
        "between the nodes (node1/etc/keepalived/keepalived.conf:5: PASS '1111'; "
        "node2/etc/keepalived/keepalived.conf:5: PASS '2222'): each discards the other's "
        "adverts and both become MASTER",
        "node1/etc/keepalived/keepalived.conf:10: vrrp_instance VI_1: advert_int differs "
        "between the nodes (node1/etc/keepalived/keepalived.conf:10: 2; "
        "node2/etc/keepalived/keepalived.conf:10: 1): each discards the other's adverts "
        "(interval mismatch) and both become MASTER"]
    same = findings(bundle(tmp_path, c1=conf(body=auth.format("1111")),
                           c2=conf(90, "10.0.0.12", body=auth.format("1111"))))
    assert same.errors == [] and same.warnings == []


def test_auth_pass_longer_than_8_is_truncated_not_different(tmp_path):
    auth = "    authentication {{\n        auth_type PASS\n        auth_pass {}\n    }}\n"
    rep = findings(bundle(tmp_path, c1=conf(body=auth.format("abcdefgh-one")),
                          c2=conf(90, "10.0.0.12", body=auth.format("abcdefgh-two"))))
    assert rep.errors == []
    assert rep.warnings[0] == (
        "node1/etc/keepalived/keepalived.conf:5: auth_pass is 12 characters: keepalived uses "
        "only the first 8 ('abcdefgh') and ignores the rest, in production too")


def test_equal_priorities(tmp_path):
    b = make(tmp_path, {"node1/etc/keepalived/keepalived.conf": conf(),
                        "node2/etc/keepalived/keepalived.conf": conf(100, "10.0.0.12")},
             topology=TOPOLOGY.replace("priority = 90", "priority = 100"),
             extra=f"\n[address_map]\n{GOOD}\n[interface_map]\nens192 = \"eth0\"\n")
    rep = findings(load_bundle(b))
    assert rep.errors == []
    assert rep.warnings == ["node1/etc/keepalived/keepalived.conf:5: both nodes have priority "
                            "100 (also node2/etc/keepalived/keepalived.conf:5): elections "
                            "between equal priorities go to the higher primary address, not to "
                            "the node you meant"]


def test_priority_must_match_the_topology(tmp_path):
    rep = findings(bundle(tmp_path, c2=conf(80, "10.0.0.12")))
    assert rep.errors == ["topology.toml:15: node2 priority 90, but "
                          "node2/etc/keepalived/keepalived.conf:5 says priority 80: give "
                          "topology.toml the config's priorities (each test starts with the VIP "
                          "on the highest)"]


def test_unicast_peer_and_src_ip_must_be_the_nodes(tmp_path):
    peer = "    unicast_peer {\n        10.0.0.13\n    }\n"
    amap = GOOD.replace('"10.0.0.0/24" = "lab"\n', "")
    with pytest.raises(ConfigError, match=r"node1/etc/keepalived/keepalived.conf:4: 10.0.0.13 "
                                          "is a production address with no lab mapping"):
        bundle(tmp_path, c1=conf(body=peer), amap=amap)
    rep = findings(bundle(tmp_path, c1=conf(body=peer)))  # maps through the network: not node2
    assert rep.errors == ["node1/etc/keepalived/keepalived.conf:4: unicast_peer 198.18.151.13 "
                          "is not node2's lab address (198.18.151.12): node1 would send its "
                          "adverts elsewhere; map node2's production address to \"node2\" in "
                          "topology.toml [address_map]"]
    ok = findings(bundle(tmp_path, c1=conf(body=peer.replace("10.0.0.13", "10.0.0.12"))))
    assert ok.errors == []
    rep = findings(bundle(tmp_path, c1=conf(src="10.0.0.14")))
    assert "mcast_src_ip 198.18.151.14 is not node1's lab address" in rep.errors[0]


def test_script_not_executable(tmp_path):
    track = ('vrrp_script chk {\n    script "/etc/keepalived/chk.sh"\n}\n',
             "    track_script {\n        chk\n    }\n")
    b = bundle(tmp_path, c1=conf(before=track[0], body=track[1]),
               c2=conf(90, "10.0.0.12", before=track[0], body=track[1]),
               files={"files/etc/keepalived/chk.sh": "#!/bin/bash\nexit 0\n"})
    os.chmod(b.path / "files/etc/keepalived/chk.sh", 0o644)
    rep = findings(load_bundle(b.path))
    assert rep.warnings == [
        "node1/etc/keepalived/keepalived.conf:2: /etc/keepalived/chk.sh "
        "(files/etc/keepalived/chk.sh, mode 644) is not executable (also run at "
        "node2/etc/keepalived/keepalived.conf:2): keepalived will disable this check: the VIP "
        "will never move on its failure"]
    os.chmod(b.path / "files/etc/keepalived/chk.sh", 0o755)
    assert findings(load_bundle(b.path)).warnings == []


def test_crlf_script(tmp_path):
    b = bundle(tmp_path, files={"files/etc/keepalived/chk.sh": b"#!/bin/bash\r\nexit 0\r\n",
                                "files/etc/keepalived/ok.sh": b"#!/bin/bash\nexit 0\n"})
    rep = findings(b)
    assert rep.warnings == [
        "files/etc/keepalived/chk.sh:1: CRLF line endings: the kernel looks for the interpreter "
        "'/bin/bash' with a carriage return and the script fails with 'bad interpreter', as it "
        "does in production (dos2unix fixes it)"]


def test_only_shell_files_are_scanned_for_commands(tmp_path):
    b = bundle(tmp_path, files={
        "files/etc/keepalived/chk.py": "#!/usr/bin/python3\nimport os\nprint('x')\n",
        "files/etc/my.cnf": "[mysqld]\nlog_bin = binlog\n",
        "files/etc/keepalived/chk.sh": '#!/bin/bash\nmysql -uhc -p"Pa!ss" -pS3!cret '
                                       '-e "show status; flush logs" || echo "stop now"\n',
    })
    _, probes = lint(b)
    p = probes["node1"]
    assert p.commands == {"mysql": ["files/etc/keepalived/chk.sh:2"]}
    assert p.interpreters == {"/bin/bash": "files/etc/keepalived/chk.sh:1",
                              "/usr/bin/python3": "files/etc/keepalived/chk.py:1"}


def test_shell_command_scanner():
    script = ('#!/bin/sh\nMYSQL=/usr/bin/mysql\nif ! $MYSQL -p"a!b" -e "x; y"; then\n'
              '  counter=$(netstat -na | grep -c ":3306 ")\nfi\n'
              'case "$1" in\n  start|stop) logger "$1" ;;\nesac\n'
              'cat <<EOF\nnot a command\nEOF\n'
              'f() { sleep 1; }\n(( n > 0 )) && f\n')
    assert commands(script) == {"netstat": 4, "grep": 4, "logger": 7, "cat": 9, "sleep": 12}


def test_replication_account_must_exist_and_admit_the_nodes(tmp_path):
    b = make(tmp_path, {"node1/etc/keepalived/keepalived.conf": conf(),
                        "node2/etc/keepalived/keepalived.conf": conf(90, "10.0.0.12"),
                        "accounts.sql": "CREATE USER 'r'@'localhost' IDENTIFIED BY 'x';\n"},
             extra=f"\n[address_map]\n{GOOD}\n[interface_map]\nens192 = \"eth0\"\n"
                   '\n[replication]\nuser = "repl"\npassword = "x"\n')
    rep = findings(load_bundle(b))
    assert rep.errors == ["accounts.sql: no statement creates the replication user 'repl' "
                          "(topology.toml:27 names it): each node pulls from its peer as repl, "
                          "which would fail; add CREATE USER 'repl'@'...' IDENTIFIED BY '...'"]
    (b / "accounts.sql").write_text("CREATE USER 'repl'@'localhost' IDENTIFIED BY 'x';\n"
                                    "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'localhost';\n")
    rep = findings(load_bundle(b))
    assert rep.errors == [] and rep.warnings == [
        f"'repl'@'localhost' (accounts.sql:1): does not admit node{i} (198.18.151.1{i}), which "
        "connects to its peer as the replication user: replication would fail to connect"
        for i in (1, 2)]
    (b / "accounts.sql").write_text("CREATE USER 'repl'@'10.0.0.%' IDENTIFIED BY 'y';\n")
    rep = findings(load_bundle(b))
    assert [w.split(": ")[0] for w in rep.warnings] == ["topology.toml:28", "accounts.sql:1"]
    (b / "accounts.sql").write_text("CREATE USER 'repl'@'10.0.0.%' IDENTIFIED BY 'x';\n"
                                    "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.0.0.%';\n")
    assert findings(load_bundle(b)).warnings == []


def test_shipped_bundles_lint_clean():
    for name in ("seed", "hardened", "tutorial-rewrite", "arbitrated", EXAMPLE):
        rep = findings(load_bundle(name))
        assert rep.errors == [] and rep.warnings == [], name


# --- in the node image (Docker) ----------------------------------------------------------------

def _image():
    try:
        from harness.engine import Engine
        from harness.images import node_tag
        engine = Engine()
        ref = node_tag(engine)
    except Exception as exc:  # no Docker, no base image
        return None, None, f"needs Docker: {exc}"
    if not engine.image_exists(ref):
        return None, None, f"needs the node image {ref}: run `vipchaos images`"
    return engine, ref, ""


needs_docker = pytest.mark.skipif(bool(_image()[2]), reason=_image()[2] or "docker")


@needs_docker
def test_docker_keepalived_t_names_the_users_file_and_line():
    from harness.validate import validate
    engine, image, _ = _image()
    rep = validate(load_bundle(EXAMPLE), engine, image)
    assert rep.errors == []
    assert "db1-keepalived.conf:3: unknown keyword 'route_id': keepalived ignores it " \
           "(keepalived -t)" in rep.warnings
    assert any(w.startswith("db2-keepalived.conf: scripts would run as root without "
                            "enable_script_security") for w in rep.warnings)
    rep = validate(load_bundle("seed"), engine, image)
    assert rep.errors == [] and rep.warnings == [
        f"node{i}/etc/keepalived/keepalived.conf:12: unknown keyword 'route_id': keepalived "
        "ignores it (keepalived -t)" for i in (1, 2)]


@needs_docker
def test_docker_missing_script_interpreter_and_command(tmp_path):
    from harness.validate import validate
    engine, image, _ = _image()
    track = ('vrrp_script chk {\n    script "/etc/keepalived/missing.sh"\n}\n'
             'vrrp_script py {\n    script "/etc/keepalived/chk.py"\n}\n',
             "    track_script {\n        chk\n        py\n    }\n")
    b = bundle(tmp_path, c1=conf(before=track[0], body=track[1]),
               c2=conf(90, "10.0.0.12", before=track[0], body=track[1]),
               files={"files/etc/keepalived/chk.py": "#!/usr/bin/python3\nprint(1)\n",
                      "files/etc/keepalived/helper.sh": "#!/bin/bash\nnosuchtool --x\n"})
    os.chmod(b.path / "files/etc/keepalived/chk.py", 0o755)
    rep = validate(load_bundle(b.path), engine, image)
    assert rep.errors == [
        f"node{i}/etc/keepalived/keepalived.conf:2: script /etc/keepalived/missing.sh does not "
        f"exist in the node: ship it in the bundle as node{i}/etc/keepalived/missing.sh (or "
        "files/etc/keepalived/missing.sh for both nodes)" for i in (1, 2)]
    assert "files/etc/keepalived/chk.py:1: interpreter /usr/bin/python3 is not in the node " \
           "image: the script cannot run in the lab (keepalived counts that as a failure)" \
           in rep.warnings
    assert "files/etc/keepalived/helper.sh:2: calls 'nosuchtool', which the node image does " \
           "not have: that line fails in the lab" in rep.warnings


@needs_docker
def test_docker_broken_structure_is_an_error(tmp_path):
    from harness.validate import validate
    engine, image, _ = _image()
    b = bundle(tmp_path, c1=conf().replace("    state BACKUP\n", "    state BACKUP {\n"))
    rep = validate(b, engine, image)
    assert any(e.startswith("node1/etc/keepalived/keepalived.conf:") and "do not nest" in e
               for e in rep.errors), rep.errors


BAD_MYCNF = ("[client]\nsocket=/tmp/mysql.sock\n[mysqld]\nbasedir=/usr/local/mysql\n"
             "datadir=/data/mysql\nserver-id=1\nlog-bin=mysql-bin\nmaster-info-repository=TABLE\n"
             "gtid_mode=ON\nexpire_logs_days=7\n")


def test_mycnf_options_are_read_with_their_lines_in_server_groups_only():
    from harness.bundle.mycnf import options
    files = {"/etc/my.cnf": (BAD_MYCNF.encode(), 0o644), "/etc/keepalived/x.sh": (b"", 0o755)}
    opts = options(files, {"/etc/my.cnf": "node1/etc/my.cnf"})
    assert [(o.name, o.value, o.where) for o in opts][:3] == [
        ("basedir", "/usr/local/mysql", "node1/etc/my.cnf:4"),
        ("datadir", "/data/mysql", "node1/etc/my.cnf:5"),
        ("server_id", "1", "node1/etc/my.cnf:6")]
    assert "socket" not in {o.name for o in opts}  # [client]'s, not the server's


def test_mycnf_answers_become_errors_at_the_operators_line():
    from harness.bundle.mycnf import findings, options
    from harness.platform import DEFAULT, choose
    opts = options({"/etc/my.cnf": (BAD_MYCNF.encode(), 0o644)},
                   {"/etc/my.cnf": "node1/etc/my.cnf"})
    out = ("mc-unknown master-info-repository\nmc-nopath datadir /data/mysql\n")
    got = findings(out, DEFAULT, opts)
    assert got[0].startswith("node1/etc/my.cnf:8: master-info-repository: MySQL 9.7 does not "
                             "know this option") and "removed in MySQL 8.3" in got[0]
    assert got[1].startswith("node1/etc/my.cnf:5: datadir = /data/mysql: the node has no "
                             "directory /data/mysql")
    maria = findings("mc-unknown gtid_mode\n", choose(database="mariadb-10.11"), opts)
    assert maria[0].startswith("node1/etc/my.cnf:9: gtid_mode: MariaDB 10.11 does not know") \
        and "gtid_domain_id" in maria[0]
    assert findings("mc [Note] all fine\n", DEFAULT, opts) == []


@needs_docker
def test_docker_mycnf_is_judged_by_the_server_itself(tmp_path):
    from harness.validate import validate
    engine, image, _ = _image()
    b = bundle(tmp_path, files={"node1/etc/my.cnf": BAD_MYCNF})
    errors = [e for e in validate(b, engine, image).errors if "my.cnf" in e]
    assert [e.split(": ")[0] for e in errors] == ["node1/etc/my.cnf:4", "node1/etc/my.cnf:8",
                                                 "node1/etc/my.cnf:10", "node1/etc/my.cnf:5"]
    assert "errmsg.sys" in errors[0] and "removed in MySQL 8.3" in errors[1]
