"""Root conftest. The vipchaos pytest plugin (options, fixtures, markers, gate) is registered
through the ``pytest11`` entry point of the installed package; listing it here too keeps a bare
checkout (not pip-installed) working, and is harmless when the entry point already loaded it."""

pytest_plugins = ["harness.plugin"]
