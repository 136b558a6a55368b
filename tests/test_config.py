import shutil

import pytest

from harness import keepalived_conf
from harness.config import BUNDLES_DIR, load_bundle
from harness.errors import ConfigError


@pytest.mark.parametrize("name", ["seed", "hardened"])
def test_shipped_bundles_render_per_node(name):
    b = load_bundle(name)
    n1, n2 = b.topology.nodes
    r1, r2 = b.render(n1), b.render(n2)
    conf1 = r1.files["/etc/keepalived/keepalived.conf"][0]
    assert "priority 100" in conf1 and "priority 90" in r2.keepalived_conf
    assert "vrrp_notify_fifo /run/vipchaos/vrrp.fifo" in conf1
    assert "server_id = 1" in r1.files["/etc/mysql/mysql.conf.d/zz-vipchaos.cnf"][0]
    assert "auto_increment_offset = 2" in r2.files["/etc/mysql/mysql.conf.d/zz-vipchaos.cnf"][0]
    assert "/etc/keepalived/check_mysql.sh" in r1.files


def test_seed_is_the_tutorial():
    root = keepalived_conf.parse(load_bundle("seed").render(load_bundle("seed").topology.nodes[0])
                                 .keepalived_conf)
    inst = root.find("vrrp_instance")[0]
    assert inst.value("state") == "BACKUP" and inst.flag("nopreempt")
    assert inst.value("virtual_router_id") == "151" and inst.value("advert_int") == "1"
    script = root.find("vrrp_script")[0]
    assert script.value("interval") == "5" and script.value("weight") == "2"


def test_migration_bound_comes_from_the_config():
    seed, hardened = load_bundle("seed"), load_bundle("hardened")
    # seed: interval 5 x fall 1 + timeout(=interval) 5 + master-down 3.65 + margin 5
    assert seed.migration_bound_s() == pytest.approx(18.6)
    assert hardened.migration_bound_s() < seed.migration_bound_s()


def test_master_down_interval():
    t = keepalived_conf.VrrpTiming(1.0, 100, True, None, 1, None)
    assert t.master_down_s == pytest.approx(3 + 156 / 256)


def _copy(tmp_path):
    dst = tmp_path / "b"
    shutil.copytree(BUNDLES_DIR / "seed", dst)
    return dst


def test_vip_outside_subnet_is_rejected(tmp_path):
    b = _copy(tmp_path)
    with pytest.raises(ConfigError, match=r"vip 10\.0\.0\.1 is outside the subnet"):
        load_bundle(b, {"vip": "10.0.0.1"})


def test_bad_template_names_file_and_line(tmp_path):
    b = _copy(tmp_path)
    (b / "keepalived.conf.j2").write_text("global_defs {\n  router_id {{ node.name \n}\n")
    with pytest.raises(ConfigError, match=r"keepalived.conf.j2:\d+: template error"):
        load_bundle(b)


def test_unknown_template_variable(tmp_path):
    b = _copy(tmp_path)
    (b / "keepalived.conf.j2").write_text("vrrp_instance X {\n priority {{ prio }}\n}\n")
    with pytest.raises(ConfigError, match="unknown variable"):
        load_bundle(b)


def test_missing_bundle_lists_shipped_ones():
    with pytest.raises(ConfigError, match="seed"):
        load_bundle("no-such-bundle")


def test_parser_reads_nested_blocks_and_comments():
    root = keepalived_conf.parse(
        "! c\nvrrp_instance VI_1 { # x\n  priority 7\n  track_script {\n    chk\n  }\n}\n")
    inst = root.find("vrrp_instance")[0]
    assert inst.args == ["VI_1"] and inst.value("priority") == "7"
    assert [c.keyword for c in inst.find("track_script")[0].children] == ["chk"]


EXAMPLE = BUNDLES_DIR.parent.parent / "examples" / "production-paste"


def test_literal_configs_are_translated_to_the_lab():
    b = load_bundle(EXAMPLE)
    conf2 = b.render(b.topology.node("node2")).keepalived_conf
    assert "10.20.30." not in conf2 and "ens192" not in conf2
    assert "mcast_src_ip 198.18.151.12" in conf2
    assert "198.18.151.100/24 dev eth0" in conf2
    assert "priority 90" in conf2


def test_address_map_must_land_in_the_lab_subnet(tmp_path):
    dst = tmp_path / "p"
    shutil.copytree(EXAMPLE, dst)
    topo = dst / "topology.toml"
    text = topo.read_text().replace('"10.20.30.1" = "gateway"', '"10.20.30.1" = "10.9.9.9"')
    topo.write_text(text)
    with pytest.raises(ConfigError, match="outside the lab subnet"):
        load_bundle(dst)


def test_address_map_does_not_touch_longer_addresses():
    from harness.config import address_translator
    topo = load_bundle("seed").topology
    tr = address_translator({"address_map": {"10.0.0.1": "vip"}}, topo, EXAMPLE)
    assert tr("a 10.0.0.1 b 10.0.0.12 c 110.0.0.1") == "a 198.18.151.100 b 10.0.0.12 c 110.0.0.1"


def test_relocate_keeps_offsets():
    from harness.config import relocate
    b = relocate(load_bundle("seed"), "198.18.152.0/24")
    assert b.topology.vip == "198.18.152.100"
    assert [n.ip for n in b.topology.nodes] == ["198.18.152.11", "198.18.152.12"]
    assert "198.18.152.100" in b.render(b.topology.nodes[0]).keepalived_conf
    with pytest.raises(ConfigError, match="cannot be relocated"):
        relocate(load_bundle(EXAMPLE), "198.18.152.0/24")
