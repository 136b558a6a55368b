"""A small reader for keepalived.conf: just enough structure to validate a bundle and derive
timing bounds (advert_int, priorities, check interval/fall) from the config under test.

keepalived's grammar is keyword + arguments per line with ``{ }`` blocks; ``!`` and ``#`` start
comments. Unknown keywords are keepalived's business (``keepalived -t`` judges them); this reader
only collects what it understands and remembers line numbers for error messages.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field


@dataclass
class Block:
    keyword: str
    args: list[str]
    line: int
    children: list[Block] = field(default_factory=list)

    def find(self, keyword: str) -> list[Block]:
        return [c for c in self.children if c.keyword == keyword]

    def value(self, keyword: str, default: str | None = None) -> str | None:
        found = self.find(keyword)
        return found[-1].args[0] if found and found[-1].args else default

    def flag(self, keyword: str) -> bool:
        return bool(self.find(keyword))


def parse(text: str) -> Block:
    """Parse keepalived.conf text into a tree rooted at a pseudo block ``<root>``."""
    root = Block("<root>", [], 0)
    stack = [root]
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = re.split(r"\s[!#]|^[!#]", raw, maxsplit=1)[0].strip()
        if not line:
            continue
        # Braces may share a line with words: split them out as tokens.
        line = line.replace("{", " { ").replace("}", " } ")
        try:
            tokens = shlex.split(line, posix=True)
        except ValueError:
            tokens = line.split()
        current: Block | None = None
        for tok in tokens:
            if tok == "{":
                if current is None:
                    current = stack[-1].children[-1] if stack[-1].children else None
                if current is None:
                    continue
                stack.append(current)
                current = None
            elif tok == "}":
                if len(stack) > 1:
                    stack.pop()
                current = None
            elif current is None:
                current = Block(tok, [], lineno)
                stack[-1].children.append(current)
            else:
                current.args.append(tok)
    return root


@dataclass
class VrrpTiming:
    """What the config says about how fast the VIP can move."""

    advert_int: float
    priority: int
    nopreempt: bool
    check_interval: float | None
    check_fall: int
    check_timeout: float | None

    @property
    def master_down_s(self) -> float:
        """keepalived's master-down interval: 3 x advert + skew ((256 - priority) / 256)."""
        return 3 * self.advert_int + (256 - self.priority) / 256 * self.advert_int

    @property
    def detection_s(self) -> float:
        """Worst case until a failing check is acted on: interval x fall plus one timeout."""
        if self.check_interval is None:
            return 0.0
        return self.check_interval * self.check_fall + (self.check_timeout or self.check_interval)


def timing(root: Block, instance: str | None = None) -> VrrpTiming:
    """Timing of the first (or the named) vrrp_instance and its slowest tracked script."""
    instances = root.find("vrrp_instance")
    if instance:
        instances = [i for i in instances if i.args and i.args[0] == instance]
    if not instances:
        raise ValueError("no vrrp_instance block")
    inst = instances[0]
    scripts = {b.args[0]: b for b in root.find("vrrp_script") if b.args}
    tracked = [c.keyword for t in inst.find("track_script") for c in t.children]
    interval, fall, tmo = None, 1, None
    for name in tracked:
        s = scripts.get(name)
        if s is None:
            continue
        i = float(s.value("interval", "1"))
        f = int(s.value("fall", "1"))
        t = float(s.value("timeout")) if s.value("timeout") else None
        if interval is None or i * f > interval * fall:
            interval, fall, tmo = i, f, t
    return VrrpTiming(
        advert_int=float(inst.value("advert_int", "1")),
        priority=int(inst.value("priority", "100")),
        nopreempt=inst.flag("nopreempt"),
        check_interval=interval,
        check_fall=fall,
        check_timeout=tmo,
    )


def script_paths(root: Block) -> list[tuple[str, int]]:
    """Absolute paths of every script the config calls, with the line that names it."""
    found: list[tuple[str, int]] = []

    def walk(block: Block) -> None:
        for child in block.children:
            if child.keyword in {"script", "notify", "notify_master", "notify_backup",
                                 "notify_fault", "notify_stop"} and child.args:
                path = child.args[0].split()[0]
                if path.startswith("/"):
                    found.append((path, child.line))
            walk(child)

    walk(root)
    return found
