"""Smoke: the pair as built is what the tutorial promises, before any fault."""

from __future__ import annotations

import uuid

import pymysql
import pytest

from harness import wait
from harness.pair import DB, TABLE


def test_exactly_one_vip_owner(pair):
    owners = pair.vip_owners()
    assert len(owners) == 1, f"VIP holders: {owners}"


def test_server_uuids_differ(pair):
    """Each server names itself differently (MySQL's server_uuid; MariaDB's server_id): the
    origin of every write is told apart by it."""
    who = pair.dialect.identity
    uuids = {n.name: n.sql(f"SELECT {who} AS u")[0]["u"] for n in pair.nodes}
    assert len(set(uuids.values())) == 2, f"identical {who}: {uuids}"


def _present(node, op_id: str) -> bool:
    return bool(node.sql(f"SELECT 1 FROM {DB}.{TABLE} WHERE op_id=%s", (op_id,)))


def test_write_through_vip_replicates_to_standby(pair, vip):
    owner = pair.node(pair.vip_owners()[0])
    standby = pair.peer(owner)
    op_id = f"smoke-vip-{uuid.uuid4().hex[:12]}"
    conn = vip()
    with conn.cursor() as cur:
        cur.execute("SELECT @@hostname AS h")
        assert cur.fetchone()["h"] == owner.name, "the VIP does not lead to its holder"
        cur.execute(f"INSERT INTO {TABLE} (op_id, origin) VALUES (%s, @@hostname)", (op_id,))
    assert wait.until(lambda: _present(standby, op_id), timeout=10), \
        f"{op_id} written through the VIP never reached {standby.name}"


def test_write_on_standby_replicates_back(pair):
    """Dual-master: a write on the standby reaches the owner. A fenced standby (read-only
    unless MASTER) must refuse it instead, with MySQL's read-only error (1290)."""
    owner = pair.node(pair.vip_owners()[0])
    standby = pair.peer(owner)
    op_id = f"smoke-standby-{uuid.uuid4().hex[:12]}"
    insert = f"INSERT INTO {DB}.{TABLE} (op_id, origin) VALUES (%s, @@hostname)"
    if standby.sql("SELECT @@GLOBAL.read_only AS ro")[0]["ro"]:
        with pytest.raises(pymysql.err.MySQLError) as refused:
            standby.sql(insert, (op_id,))
        assert refused.value.args[0] == 1290, refused.value
        assert not _present(owner, op_id)
        return
    standby.sql(insert, (op_id,))
    assert wait.until(lambda: _present(owner, op_id), timeout=10), \
        f"{op_id} written on {standby.name} never reached {owner.name}"


def test_both_channels_running_without_error(pair):
    for node in pair.nodes:
        channels = pair.channels(node)
        assert len(channels) == 1, f"{node.name}: expected one channel, got {channels}"
        ch = channels[0]
        assert ch["io_running"] and ch["sql_running"], f"{node.name}: {ch}"
        assert not ch["io_error"] and not ch["sql_error"], f"{node.name}: {ch}"
        assert ch["source_host"] == pair.peer(node).ip


def test_gtid_executed_sets_equal(pair):
    assert pair.wait_converged(timeout=10) is not None, {
        n.name: n.gtid_executed() for n in pair.nodes}
