"""seed is the tutorial's text: its code blocks are extracted from the original
(docs/tutorial/, a copy of the text the project was built from) and compared with the bundle's
files byte for byte; every other file of the bundle is named, with why, in its README.md; and the
lab renders the files unchanged except for the mapped addresses and interface.
"""

import re
from pathlib import Path

from harness.bundle import BUNDLES_DIR, load_bundle

ROOT = Path(__file__).resolve().parent.parent
TEXT = ROOT / "docs" / "tutorial" / "000_07b03a10a75ef9bf.txt"
SEED = BUNDLES_DIR / "seed"
# Lab value -> the tutorial's.
BACK = {"198.18.151.11": "192.168.0.128", "198.18.151.12": "192.168.0.129",
        "198.18.151.100": "192.168.0.130", "198.18.151.%": "192.168.0.%"}
BACK_IFACE = {"eth0": "ens32"}


def code_blocks(text: str) -> list[str]:
    """Every fenced block of the text, as a file would hold it (each line and its newline)."""
    blocks, cur = [], None
    for line in text.split("\n"):
        if line.startswith("```"):
            if cur is None:
                cur = []
            else:
                blocks.append("".join(f"{x}\n" for x in cur))
                cur = None
        elif cur is not None:
            cur.append(line)
    return blocks


def block_after(heading: str, text: str) -> str:
    """The first code block after the line containing ``heading``."""
    return code_blocks(text[text.index(heading):])[0]


TUTORIAL = TEXT.read_text()
MASTER_CONF = block_after("主机\ncat /etc/keepalived/keepalived.conf", TUTORIAL)
BACKUP_CONF = block_after("备机\ncat /etc/keepalived/keepalived.conf", TUTORIAL)
SCRIPT = block_after("cat /etc/keepalived/checkmysql.sh", TUTORIAL)
#: the tutorial's own change for the backup: it probes its own address
BACKUP_SCRIPT = SCRIPT.replace("host=192.168.0.130\n", "host=192.168.0.129\n", 1)
FROM_TEXT = {
    "node1/etc/keepalived/keepalived.conf": MASTER_CONF,
    "node2/etc/keepalived/keepalived.conf": BACKUP_CONF,
    "node1/etc/keepalived/checkmysql.sh": SCRIPT,
    "node2/etc/keepalived/checkmysql.sh": BACKUP_SCRIPT,
}


def test_the_text_holds_what_the_seed_is_built_from():
    """The blocks found are the ones meant (so a wrong extraction cannot pass by comparing two
    wrong things)."""
    assert MASTER_CONF.startswith("! Configuration File for keepalived\n")
    assert "    priority 100\n" in MASTER_CONF and "    priority 90\n" in BACKUP_CONF
    assert "    route_id mysql_GTID\n" in MASTER_CONF  # the typo, as written
    assert "        root@localhost     \n" in MASTER_CONF  # trailing spaces, as written
    assert SCRIPT.startswith("#!/bin/bash\nmysqlstr=/usr/local/mysql/bin/mysql\n")
    assert "#host=192.168.10.129\n" in SCRIPT and "    exit 0\n" in SCRIPT
    assert "    #/etc/init.d/keepalived stop\n" in SCRIPT
    assert BACKUP_SCRIPT != SCRIPT and "host=192.168.0.129\n" in BACKUP_SCRIPT


def test_the_seed_files_are_the_tutorials_blocks_byte_for_byte():
    for rel, want in FROM_TEXT.items():
        assert (SEED / rel).read_bytes() == want.encode(), rel
    for node in ("node1", "node2"):
        assert (SEED / node / "etc/keepalived/checkmysql.sh").stat().st_mode & 0o777 == 0o755


def test_every_other_file_of_the_seed_is_a_named_difference():
    """Where the lab must differ, the bundle says so in one place (its README.md)."""
    differences = (SEED / "README.md").read_text()
    others = sorted(p.relative_to(SEED).as_posix() for p in SEED.rglob("*")
                    if p.is_file() and p.relative_to(SEED).as_posix() not in FROM_TEXT)
    assert others == ["README.md", "accounts.sql", "node1/etc/my.cnf.j2", "node2/etc/my.cnf.j2",
                      "risks.toml", "topology.toml"]
    for named in ("accounts.sql", "my.cnf", "[address_map]", "[interface_map]",
                  "host=192.168.0.129", "CHANGE REPLICATION SOURCE TO", "keepalived 2.3.4"):
        assert named in differences, named


def test_the_accounts_are_the_tutorials_in_the_syntax_the_server_accepts():
    step1 = block_after("### 第一步", TUTORIAL)
    assert step1.startswith("grant replication slave on *.* to 'repl'@'192.168.0.%' "
                            "identified by '123456';")
    step4 = next(b for b in code_blocks(TUTORIAL) if "create user" in b)
    assert "create user 'healthcheck'@'192.168.0.%' identified by 'check123';" in step4
    mine = (SEED / "accounts.sql").read_text()
    for stmt in ("CREATE USER 'repl'@'192.168.0.%' IDENTIFIED BY '123456';",
                 "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'192.168.0.%';",
                 "CREATE USER 'healthcheck'@'192.168.0.%' IDENTIFIED BY 'check123';"):
        assert stmt in mine


def back_to_tutorial(data: bytes) -> bytes:
    for lab, prod in BACK.items():
        data = re.sub(rb"(?<![\d.])" + re.escape(lab.encode()) + rb"(?![\d])", prod.encode(),
                      data)
    for lab, prod in BACK_IFACE.items():
        data = re.sub(rb"\b" + re.escape(lab.encode()) + rb"\b", prod.encode(), data)
    return data


def test_the_lab_renders_them_unchanged_but_for_addresses_and_interface():
    seed = load_bundle("seed")
    for node in ("node1", "node2"):
        rendered = seed.render(seed.topology.node(node))
        for rel, want in FROM_TEXT.items():
            if not rel.startswith(node):
                continue
            data, mode = rendered.files["/" + rel.split("/", 1)[1]]
            assert back_to_tutorial(data) == want.encode(), rel
            assert mode == (SEED / rel).stat().st_mode & 0o7777
