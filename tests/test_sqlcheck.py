"""The operator's SQL against the server it will meet: the tutorial's own lines, per platform."""

from pathlib import Path

import pytest

from harness.bundle.accounts import created, parse_statements, replication_login
from harness.bundle.sqlcheck import check
from harness.platform import DEFAULT, choose

TUTORIAL = (Path(__file__).resolve().parent.parent / "docs" / "tutorial" /
            "000_07b03a10a75ef9bf.txt").read_text()
STEP1 = "grant replication slave on *.* to 'repl'@'192.168.0.%' identified by '123456';\n" \
        "flush privileges;\n"
STEP2 = ("change master to\nmaster_host='192.168.0.129',\nmaster_user='repl',\n"
         "master_password='123456',\nmaster_auto_position=1;\n")
STEP2_START = "start slave;\nshow slave status\\G;\n"
MYSQL, MARIADB = DEFAULT, choose(database="mariadb-10.11")


def findings(sql: str, platform, name="accounts.sql"):
    return check(parse_statements(sql, name), platform)


def test_the_steps_are_the_tutorials_lines():
    for step in (STEP1, STEP2, STEP2_START):
        assert step in TUTORIAL


def test_step1_is_refused_on_mysql_at_its_line_with_the_equivalent():
    (f,) = findings(STEP1, MYSQL)
    assert f.where == "accounts.sql:1" and f.error
    assert "MySQL 5.7 syntax" in f.message and "MySQL 8.0 and later refuse it" in f.message
    assert "CREATE USER 'repl'@'192.168.0.%' IDENTIFIED BY '123456'; GRANT replication slave " \
           "ON *.* TO 'repl'@'192.168.0.%';" in f.message


def test_step1_creates_the_account_it_grants():
    (a,) = created(parse_statements(STEP1, "accounts.sql"))
    assert (a.user, a.host, a.password, a.where) == ("repl", "192.168.0.%", "123456",
                                                      "accounts.sql:1")


def test_step1_passes_on_mariadb():
    assert findings(STEP1, MARIADB) == []


def test_step2_change_master_is_refused_on_mysql_9_with_the_source_syntax():
    (f,) = findings(STEP2, MYSQL, "replication.sql")
    assert f.where == "replication.sql:1"
    assert "removed in MySQL 8.4" in f.message
    assert "CHANGE REPLICATION SOURCE TO SOURCE_HOST='192.168.0.129', SOURCE_USER='repl', " \
           "SOURCE_PASSWORD='123456', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1;" \
           in f.message


def test_step2_on_mariadb_names_its_gtid_way():
    (f,) = findings(STEP2, MARIADB, "replication.sql")
    assert "MASTER_AUTO_POSITION is MySQL's" in f.message and "MASTER_USE_GTID=slave_pos" in \
        f.message


def test_start_and_show_slave_are_refused_on_mysql_9_and_the_client_g_everywhere():
    got = findings(STEP2_START, MYSQL, "replication.sql")
    msgs = [(f.where, f.message.split(" ")[0]) for f in got]
    assert ("replication.sql:1", "START") in msgs
    assert ("replication.sql:2", "\\G") in msgs and ("replication.sql:2", "SHOW") in msgs
    assert [f.message.split(" ")[0] for f in findings(STEP2_START, MARIADB)] == ["\\G"]


def test_step2_names_the_replication_login():
    assert replication_login(parse_statements(STEP2, "r.sql")) == ("repl", "123456", "r.sql:1")


@pytest.mark.parametrize("sql, platform, needle", [
    ("CREATE USER 'a'@'%' IDENTIFIED WITH mysql_native_password BY 'x';", MYSQL,
     "mysql_native_password was removed in MySQL 9.0"),
    ("SET PASSWORD FOR 'a'@'%' = PASSWORD('x');", MYSQL, "PASSWORD() function was removed"),
    ("CREATE USER 'a'@'%' IDENTIFIED WITH caching_sha2_password BY 'x';", MARIADB,
     "caching_sha2_password is MySQL's"),
])
def test_each_rule_refuses_its_case(sql, platform, needle):
    (f,) = findings(sql, platform)
    assert needle in f.message


@pytest.mark.parametrize("sql", [
    "CREATE USER 'repl'@'%' IDENTIFIED BY 'x';",
    "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';",
    "CHANGE REPLICATION SOURCE TO SOURCE_HOST='h', SOURCE_AUTO_POSITION=1;",
    "START REPLICA;",
])
def test_modern_statements_pass_on_mysql(sql):
    assert findings(sql, MYSQL) == []
