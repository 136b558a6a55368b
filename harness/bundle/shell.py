"""Which commands a shell script calls, with the line of first use.

A small lexer, not a shell: it knows quotes (a word in quotes is never a command, a ``!`` in a
password is not negation), comments, ``$( )`` and backticks (their commands count), here-documents
(data, not commands), ``case`` patterns, function definitions and ``(( ))`` arithmetic. What it
returns is checked against the node image, so a false command is a false warning: when unsure,
it leaves a word out.
"""

from __future__ import annotations

import re

KEYWORDS = {"if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while",
            "until", "do", "done", "in", "function", "time", "{", "}", "!", "[[", "]]", "coproc"}
BUILTINS = {":", ".", "[", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command",
            "compgen", "complete", "continue", "declare", "dirs", "disown", "echo", "enable",
            "eval", "exec", "exit", "export", "false", "fc", "fg", "getopts", "hash", "help",
            "history", "jobs", "kill", "let", "local", "logout", "mapfile", "popd", "printf",
            "pushd", "pwd", "read", "readarray", "readonly", "return", "set", "shift", "shopt",
            "source", "suspend", "test", "times", "trap", "true", "type", "typeset", "ulimit",
            "umask", "unalias", "unset", "wait"}
# Words that run the next word as the command.
WRAPPERS = {"sudo", "exec", "nohup", "env", "command", "builtin", "nice", "timeout", "time",
            "setsid", "stdbuf", "ionice", "chrt", "taskset"}
STARTERS = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"}
SEPARATORS = {";", "&&", "||", "|", "&", "\n", ";;", ";&", ";;&", "|&", "(", ")"}
COMMAND_WORD = re.compile(r"^[\w./+@:-]+$")


class _Lexer:
    def __init__(self, text: str, first_line: int = 1) -> None:
        self.text, self.i, self.line = text, 0, first_line
        self.tokens: list[tuple[str, int, bool]] = []  # (text, line, is_word)
        self.nested: dict[str, int] = {}  # commands found inside $( ) and backticks
        self.heredocs: list[tuple[str, bool]] = []

    def run(self) -> _Lexer:
        t, n = self.text, len(self.text)
        while self.i < n:
            ch = t[self.i]
            if ch == "\n":
                self._op("\n")
                self.i += 1
                self._skip_heredocs()
                self.line += 1
            elif ch in " \t\r":
                self.i += 1
            elif ch == "\\" and t[self.i + 1:self.i + 2] == "\n":
                self.i += 2
                self.line += 1
            elif ch == "#":
                while self.i < n and t[self.i] != "\n":
                    self.i += 1
            elif t.startswith("((", self.i):
                self._skip_to("))", self.i + 2)
            elif ch in ";&|()":
                op = next(o for o in (";;&", ";;", ";&", "&&", "||", "|&", ch)
                          if t.startswith(o, self.i))
                self._op(op)
                self.i += len(op)
            elif ch in "<>" or (ch.isdigit() and re.match(r"\d+[<>]", t[self.i:])):
                self._redirect()
            else:
                self._word()
        return self

    def _op(self, op: str) -> None:
        self.tokens.append((op, self.line, False))

    def _skip_to(self, end: str, start: int) -> None:
        j = self.text.find(end, start)
        j = len(self.text) if j < 0 else j + len(end)
        self.line += self.text.count("\n", self.i, j)
        self.i = j

    def _redirect(self) -> None:
        m = re.match(r"\d*(<<<|<<-?|>>|>&|<&|&>|>\||<>|>|<)", self.text[self.i:])
        assert m
        self.i += m.end()
        if m.group(1).startswith("<<") and m.group(1) != "<<<":
            d = re.match(r"[ \t]*(['\"]?)([\w.-]+)\1", self.text[self.i:])
            if d:
                self.heredocs.append((d.group(2), m.group(1) == "<<-"))
                self.i += d.end()
            return
        while self.i < len(self.text) and self.text[self.i] in " \t":
            self.i += 1
        self._word(emit=False)  # the target is not a command

    def _skip_heredocs(self) -> None:
        while self.heredocs:
            delim, strip = self.heredocs.pop(0)
            while self.i < len(self.text):
                end = self.text.find("\n", self.i)
                end = len(self.text) if end < 0 else end
                body = self.text[self.i:end]
                self.i = end + 1
                self.line += 1
                if (body.strip() if strip else body.rstrip("\r")) == delim:
                    break

    def _word(self, emit: bool = True) -> None:
        t, n, start, line = self.text, len(self.text), self.i, self.line
        quoted = False
        while self.i < n and t[self.i] not in " \t\r\n;&|()<>":
            ch = t[self.i]
            if ch == "\\":
                self.i += 2
            elif ch == "'":
                quoted = quoted or self.i == start
                self._skip_to("'", self.i + 1)
            elif ch == '"':
                quoted = quoted or self.i == start
                self._double_quoted()
            elif ch == "`":
                self._substitution("`", self.i + 1)
            elif t.startswith("$((", self.i):
                self._skip_to("))", self.i + 3)
            elif t.startswith("$(", self.i):
                self._substitution(")", self.i + 2)
            elif t.startswith("${", self.i):
                self._skip_to("}", self.i + 2)
            else:
                self.i += 1
        if emit and self.i > start:
            word = t[start:self.i]
            self.tokens.append((word, line, not quoted))

    def _double_quoted(self) -> None:
        t, n = self.text, len(self.text)
        self.i += 1
        while self.i < n and t[self.i] != '"':
            if t[self.i] == "\\":
                self.i += 2
            elif t.startswith("$((", self.i):
                self._skip_to("))", self.i + 3)
            elif t.startswith("$(", self.i):
                self._substitution(")", self.i + 2)
            elif t[self.i] == "`":
                self._substitution("`", self.i + 1)
            else:
                if t[self.i] == "\n":
                    self.line += 1
                self.i += 1
        self.i += 1

    def _substitution(self, close: str, start: int) -> None:
        """Commands inside $( ) or backticks count, at their own lines."""
        depth, j, t = 1, start, self.text
        while j < len(t):
            if t[j] == "\\":
                j += 2
                continue
            if t[j] == "'" and close == ")":
                k = t.find("'", j + 1)
                j = len(t) if k < 0 else k + 1
                continue
            if close == ")" and t.startswith("$(", j):
                depth += 1
                j += 2
                continue
            if close == ")" and t[j] == "(":
                depth += 1
            elif t[j] == close:
                depth -= 1
                if depth == 0:
                    break
            j += 1
        inner = t[start:j]
        for cmd, line in commands(inner, self.line).items():
            self.nested.setdefault(cmd, line)
        self.line += inner.count("\n")
        self.i = j + 1


def commands(text: str, first_line: int = 1) -> dict[str, int]:
    """Command words the script runs -> line of first use (builtins and keywords excluded)."""
    lx = _Lexer(text, first_line).run()
    found: dict[str, int] = {}
    functions: set[str] = set()
    simple: list[tuple[str, int, bool]] = []
    case_depth, pattern_next = 0, False

    def flush() -> None:
        nonlocal case_depth, pattern_next
        words = list(simple)
        simple.clear()
        if words and words[0][0] == "esac":
            case_depth, pattern_next = max(0, case_depth - 1), False
            words = words[1:]
        if pattern_next and words:
            return  # a case pattern "a|b" before ")": not commands
        while words:
            w, line, plain = words[0]
            if w == "case":
                case_depth += 1
                return
            if w in ("for", "select", "function"):
                if w == "function" and len(words) > 1:
                    functions.add(words[1][0])
                return
            if w in STARTERS or w in ("fi", "done", "}", "]]") or not plain:
                if not plain:
                    return
                words = words[1:]
                continue
            if re.match(r"^[A-Za-z_]\w*(\[[^]]*\])?\+?=", w):
                words = words[1:]
                continue
            if w in WRAPPERS:
                words = words[1:]
                while words and (words[0][0].startswith("-") or
                                 re.match(r"^[\d.]+[smhd]?$", words[0][0]) or
                                 re.match(r"^[A-Za-z_]\w*=", words[0][0])):
                    words = words[1:]
                continue
            if w.startswith(("$", "-", "~")) or not COMMAND_WORD.match(w) or w.isdigit():
                return
            if w not in BUILTINS and w not in KEYWORDS:
                found.setdefault(w, line)
            return

    tokens = lx.tokens
    for k, (tok, line, is_word) in enumerate(tokens):
        if tok in SEPARATORS and not is_word:
            if tok == "(" and simple and k + 1 < len(tokens) and tokens[k + 1][0] == ")":
                functions.add(simple[-1][0])  # name() { ... }
                simple.clear()
                continue
            if case_depth and tok == ")" and simple and pattern_next:
                simple.clear()
                pattern_next = False
                continue
            flush()
            if case_depth and tok in (";;", ";&", ";;&"):
                pattern_next = True
            continue
        if tok == "in" and simple and simple[0][0] == "case":
            simple.append((tok, line, is_word))
            flush()
            pattern_next = True
            continue
        simple.append((tok, line, is_word))
    flush()
    for cmd, line in lx.nested.items():
        found.setdefault(cmd, line)
    return {c: ln for c, ln in sorted(found.items(), key=lambda p: p[1]) if c not in functions}
