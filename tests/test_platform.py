"""Platforms: chosen in topology.toml or on the command line, checked against what is served."""

import shutil
from dataclasses import replace

import pytest

from harness.bundle import BUNDLES_DIR, load_bundle, relocate
from harness.bundle.lint import lint
from harness.errors import ConfigError
from harness.importer import NodeInput, import_pair
from harness.platform import DEFAULT, PLATFORMS, choose, parse
from tests.test_sqlcheck import STEP1, STEP2

SEED = BUNDLES_DIR / "seed"


def seed_copy(tmp_path, extra_topology: str = "", accounts: str | None = None):
    out = tmp_path / "seed"
    shutil.copytree(SEED, out)
    if extra_topology:
        with open(out / "topology.toml", "a") as f:
            f.write(extra_topology)
    if accounts is not None:
        (out / "accounts.sql").write_text(accounts)
    return out


def test_the_default_is_mysql_9_7_with_keepalived_2_3_4():
    assert (DEFAULT.database, DEFAULT.keepalived, DEFAULT.suite) == ("mysql-9.7", "2.3.4", "sid")
    assert load_bundle("hardened").platform == DEFAULT


@pytest.mark.parametrize("text, want", [
    ("database=mariadb-10.11,keepalived=2.2.7", ("mariadb-10.11", "2.2.7", "bookworm")),
    ("database=mariadb-10.11", ("mariadb-10.11", "2.2.7", "bookworm")),
    ("release=bullseye", ("mariadb-10.5", "2.1.5", "bullseye")),
    ("keepalived=2.3.3", ("mariadb-11.8", "2.3.3", "trixie")),
    ("database=mariadb-11.8", ("mariadb-11.8", "2.3.4", "sid")),
])
def test_a_platform_from_the_command_line(text, want):
    p = parse(text)
    assert (p.database, p.keepalived, p.suite) == want


@pytest.mark.parametrize("text, needle", [
    ("database=mysql-8.0", "give one of mysql-9.7, mariadb-11.8"),
    ("database=mysql-9.7,keepalived=2.2.7", "no Debian suite serves mysql-9.7 with keepalived "
                                            "2.2.7"),
    ("db=mysql-9.7", "write database=...,keepalived=..."),
])
def test_a_platform_nobody_serves_is_one_error_naming_what_is(text, needle):
    with pytest.raises(ConfigError, match="--platform") as exc:
        parse(text)
    assert needle in str(exc.value)


def test_every_platform_is_one_suite_with_its_own_base():
    assert len({p.name for p in PLATFORMS}) == len(PLATFORMS)
    assert {p.base_image for p in PLATFORMS} == {"debian:sid-slim", "debian:trixie-slim",
                                                 "debian:bookworm-slim", "debian:bullseye-slim"}


def test_topology_chooses_the_platform_and_relocation_keeps_it(tmp_path):
    b = load_bundle(seed_copy(tmp_path, '\n[platform]\ndatabase = "mariadb-10.11"\n'))
    assert b.platform == choose(database="mariadb-10.11")
    assert relocate(b, "198.18.152.0/24").platform == b.platform


def test_the_lab_option_file_goes_where_the_server_reads_it():
    b = load_bundle("hardened")
    assert "/etc/mysql/mysql.conf.d/zz-vipchaos.cnf" in b.render(b.topology.nodes[0]).files
    m = replace(b, platform=choose(database="mariadb-10.11"))
    files = m.render(m.topology.nodes[0]).files
    assert "/etc/mysql/mariadb.conf.d/zz-vipchaos.cnf" in files
    assert "/etc/mysql/mysql.conf.d/zz-vipchaos.cnf" not in files


@pytest.mark.parametrize("block, needle", [
    ('\n[platform]\ndatabase = "oracle"\n', "topology.toml:42: database 'oracle'"),
    ('\n[platform]\ndatabse = "mariadb-10.11"\n', "topology.toml:42: unknown key 'databse'"),
    ('\n[platform]\ndatabase = 10\n', "topology.toml:42: [platform] database is a string"),
])
def test_a_bad_platform_table_is_an_error_at_its_line(tmp_path, block, needle):
    with pytest.raises(ConfigError) as exc:
        load_bundle(seed_copy(tmp_path, block))
    assert needle in str(exc.value)


def test_the_tutorials_step1_as_accounts_is_one_error_at_its_line_on_mysql(tmp_path):
    b = load_bundle(seed_copy(tmp_path, accounts=STEP1))
    errors = lint(b)[0].errors
    assert len(errors) == 1 and errors[0].startswith("accounts.sql:1: GRANT ... IDENTIFIED BY "
                                                     "is MySQL 5.7 syntax")


def test_the_tutorials_step1_as_accounts_is_fine_on_mariadb(tmp_path):
    b = load_bundle(seed_copy(tmp_path, '\n[platform]\ndatabase = "mariadb-10.11"\n',
                              accounts=STEP1))
    assert lint(b)[0].errors == []


def test_a_replication_file_is_checked_and_names_the_login(tmp_path):
    out = seed_copy(tmp_path)
    (out / "replication.sql").write_text(STEP2)
    text = (out / "topology.toml").read_text()
    (out / "topology.toml").write_text(text.replace('[replication]\nuser = "repl"\n'
                                                    'password = "123456"\n', ""))
    b = load_bundle(out)
    assert b.replication_account == ("repl", "123456")
    errors = lint(b)[0].errors
    assert any(e.startswith("replication.sql:1: CHANGE MASTER TO was removed in MySQL 8.4")
               for e in errors)


def test_the_importer_reads_the_tutorials_sql_as_written(tmp_path):
    acc, rep = tmp_path / "step1.sql", tmp_path / "step2.sql"
    acc.write_text(STEP1)
    rep.write_text(STEP2)
    hosts = ("node1", "node2")
    nodes = [NodeInput(f"node{i}", SEED / h / "etc/keepalived/keepalived.conf",
                       [SEED / h / "etc/keepalived/checkmysql.sh"]) for i, h in
             enumerate(hosts, start=1)]
    out = tmp_path / "b"
    res = import_pair(nodes, out, acc, replication=rep)
    assert not any("REPLICATION SLAVE" in t for t in res.todo)
    assert (out / "replication.sql").read_bytes() == rep.read_bytes()
    b = load_bundle(out)
    assert b.replication_account == ("repl", "123456")
    errors = lint(b)[0].errors
    assert errors[0].startswith("accounts.sql:1: GRANT ... IDENTIFIED BY is MySQL 5.7 syntax")
    assert any(e.startswith("replication.sql:1: CHANGE MASTER TO") for e in errors)


def test_a_bundle_ref_names_its_platform_and_reads_back():
    from harness.bundle import parse_ref, with_platform
    b = load_bundle("hardened@mariadb-10.11")
    assert b.name == "hardened@mariadb-10.11+keepalived-2.2.7" and b.platform.suite == "bookworm"
    assert parse_ref(with_platform("hardened", b.platform)).platform == b.platform
    c = load_bundle("hardened@cloud@bookworm")
    assert (c.name, c.network) == ("hardened@mariadb-10.11+keepalived-2.2.7@cloud", "cloud")
    assert load_bundle("seed").network == "lan"
    assert load_bundle(with_platform(str(SEED), b.platform)).platform == b.platform
    with pytest.raises(ConfigError, match="seed@oracle: platform"):
        load_bundle("seed@oracle")


def test_the_command_line_runs_each_bundle_on_each_platform(monkeypatch):
    from harness import cli
    monkeypatch.delenv("VIPCHAOS_PLATFORM", raising=False)
    assert cli.chosen_bundles(["seed,hardened"], False, platforms=["mariadb-10.11"]) == [
        "seed@mariadb-10.11+keepalived-2.2.7", "hardened@mariadb-10.11+keepalived-2.2.7"]
    assert cli.chosen_bundles(["seed"], False, matrix=True) == [f"seed@{p}" for p in
                                                                 ("mysql-9.7+keepalived-2.3.4",
                                                                  "mariadb-10.11+keepalived-2.2.7",
                                                                  "mariadb-11.8+keepalived-2.3.3")]
    monkeypatch.setenv("VIPCHAOS_PLATFORM", "bullseye")
    assert cli.chosen_bundles(["seed"], False) == ["seed@mariadb-10.5+keepalived-2.1.5"]
    assert cli.bundle_arg(f"{SEED}@bullseye") == f"{SEED}@mariadb-10.5+keepalived-2.1.5"


def test_a_network_profile_from_topology_or_ref_and_a_bad_one_at_its_line(tmp_path):
    from harness.bundle import with_network
    assert load_bundle("tutorial-cloud").network == "cloud"
    assert load_bundle(with_network("seed", "cloud")).name == "seed@cloud"
    out = seed_copy(tmp_path)
    text = (out / "topology.toml").read_text()
    (out / "topology.toml").write_text('network = "moon"\n' + text)
    with pytest.raises(ConfigError, match=r"topology.toml:1: network 'moon': one of lan, cloud"):
        load_bundle(out)
    with pytest.raises(ConfigError, match="two platforms"):
        load_bundle("seed@bookworm@trixie")
