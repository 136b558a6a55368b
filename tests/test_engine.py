"""Engine behaviour that needs no Docker: a fake client stands in for the daemon's answers."""

from types import SimpleNamespace

import docker.errors
import pytest

from harness.engine import Engine


def _engine(failures: list[str]):
    calls = []

    def pause():
        calls.append("pause")
        if failures:
            raise docker.errors.APIError(failures.pop(0))

    container = SimpleNamespace(pause=pause)
    client = SimpleNamespace(containers=SimpleNamespace(get=lambda name: container))
    return Engine(client=client), calls


def test_pause_tries_again_when_the_freezer_gives_up():
    freeze = "Cannot pause container x: OCI runtime pause failed: unable to freeze: unknown"
    engine, calls = _engine([freeze, freeze])
    engine.pause("node1")
    assert calls == ["pause"] * 3


def test_pause_raises_other_errors_at_once_and_the_freezer_s_after_its_attempts():
    engine, calls = _engine(["No such container: node1"])
    with pytest.raises(docker.errors.APIError, match="No such container"):
        engine.pause("node1")
    assert calls == ["pause"]
    engine, calls = _engine(["unable to freeze"] * 5)
    with pytest.raises(docker.errors.APIError, match="unable to freeze"):
        engine.pause("node1", attempts=3)
    assert calls == ["pause"] * 3
