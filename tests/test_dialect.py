"""The MariaDB dialect: its channel rows and GTID state read in MySQL's shape, exactly."""

import pytest

from harness.checkers import gtid
from harness.dialect import Dialect, MariaDialect, dialect_for
from harness.platform import DEFAULT, choose


def test_the_platform_picks_the_dialect():
    assert type(dialect_for(DEFAULT)) is Dialect
    assert type(dialect_for(choose(database="mariadb-10.11"))) is MariaDialect


def test_a_mariadb_state_becomes_a_sorted_set_that_mysql_arithmetic_reads():
    d = MariaDialect()
    a = d.gtid_set("2-2-7,1-1-100")
    assert a == "1-1:1-100,2-2:1-7"
    assert a == d.gtid_set("1-1-100,\n2-2-7")  # order and line breaks do not matter
    b = d.gtid_set("1-1-98,2-2-7")
    assert gtid.difference(a, b) == "1-1:99-100"
    assert gtid.equal(a, d.gtid_set("1-1-100,2-2-7"))
    assert d.gtid_set("") == "" and d.gtid_set("0-1-0") == ""


def test_a_mariadb_state_that_is_not_one_is_an_error():
    with pytest.raises(ValueError, match="not a MariaDB GTID"):
        MariaDialect().gtid_set("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5")


def test_mariadb_channel_columns_take_mysqls_names():
    row = MariaDialect().channel_row({"Slave_IO_Running": "Yes", "Slave_SQL_Running": "No",
                                      "Master_Host": "198.18.151.12", "Last_SQL_Errno": 1062,
                                      "Gtid_IO_Pos": "2-2-5", "Seconds_Behind_Master": 0})
    assert row == {"Replica_IO_Running": "Yes", "Replica_SQL_Running": "No",
                   "Source_Host": "198.18.151.12", "Last_SQL_Errno": 1062,
                   "Retrieved_Gtid_Set": "2-2-5", "Seconds_Behind_Master": 0}


def test_pointing_replication_at_the_peer_per_server():
    sql, args = Dialect().change_source("h", "u", "p", 1, 100)
    assert "SOURCE_AUTO_POSITION=1" in sql and "GET_SOURCE_PUBLIC_KEY=1" in sql
    sql, args = MariaDialect().change_source("h", "u", "p", 1, 100)
    assert sql.startswith("CHANGE MASTER TO") and "MASTER_USE_GTID=slave_pos" in sql
    assert args == ("h", "u", "p")


def test_the_statements_pointing_replication_at_the_peer_in_full():
    sql, args = Dialect().change_source("h", "u", "p", 2, 50)
    assert sql == ("CHANGE REPLICATION SOURCE TO SOURCE_HOST=%s, SOURCE_PORT=3306, "
                   "SOURCE_USER=%s, SOURCE_PASSWORD=%s, SOURCE_AUTO_POSITION=1, "
                   "GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY=2, SOURCE_RETRY_COUNT=50")
    assert args == ("h", "u", "p")
    sql, _ = MariaDialect().change_source("h", "u", "p", 2, 50)
    assert sql == ("CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=3306, MASTER_USER=%s, "
                   "MASTER_PASSWORD=%s, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=2")


def test_a_mysql_gtid_set_reads_as_one_line():
    """MySQL breaks a long ``@@gtid_executed`` after each comma."""
    assert Dialect().gtid_set("a-1:1-5,\nb-2:1-3") == "a-1:1-5,b-2:1-3"
    assert Dialect().gtid_set(None) == ""
    assert Dialect().gtid_set("") == ""


def test_a_mariadb_state_edges():
    d = MariaDialect()
    assert d.gtid_set("1-1-1") == "1-1:1"  # one transaction: no range
    assert d.gtid_set("1-1-2") == "1-1:1-2"
    assert d.gtid_set("1-1-5,,2-2-7") == "1-1:1-5,2-2:1-7"  # an empty item is skipped
    assert d.gtid_set(None) == ""


def test_a_mariadb_column_with_slave_inside_its_name_takes_mysqls_name():
    row = MariaDialect().channel_row({"Gtid_Slave_Pos": "1-1-5", "Slave_SQL_State": "x"})
    assert row == {"Gtid_Replica_Pos": "1-1-5", "Replica_SQL_State": "x"}
