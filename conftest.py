"""Root conftest: loads the vipchaos pytest plugin (options, fixtures, markers)."""

pytest_plugins = ["harness.plugin"]
