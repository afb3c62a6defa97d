"""pytest fixtures: `serve(scenario, anchor=None, **options)` starts sandboxes that stop after the
test; `sandbox` is the demo fleet, started now.

Suite-wide with `pytest_plugins = ["sandbox.pytest_plugin"]` in the root conftest, or in one test
module with `from sandbox.pytest_plugin import sandbox, serve`.
"""
from __future__ import annotations

import pytest

from . import Sandbox, start


@pytest.fixture
def serve():
    started: list[Sandbox] = []

    def serve_(scenario="demo", anchor=None, **options) -> Sandbox:
        started.append(start(scenario, anchor, **options))
        return started[-1]

    yield serve_
    for sb in started:
        sb.stop()


@pytest.fixture
def sandbox(serve) -> Sandbox:
    return serve("demo")
