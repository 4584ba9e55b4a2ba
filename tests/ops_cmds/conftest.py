"""Fixtures for the operate-command tests: a moto server on 127.0.0.1 and a deployment on it.

See ``opscmd_support`` for what the deployment holds. Where moto cannot produce a response
(service events, non-zero exit codes, unhealthy targets), the tests use
``tests/fixtures/recorded/`` through ``botocore.stub.Stubber`` and say so in their names.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from opscmd_support import Deployment, FakeClock, StubbedClients, deploy, free_port


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto server in this test session, on a free port of 127.0.0.1."""
    server_mod = pytest.importorskip("moto.server", reason="moto[server] is not installed (requirements-dev.txt)")
    port = free_port()
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield "http://127.0.0.1:%d" % port
    finally:
        server.stop()


@pytest.fixture()
def emulator_env(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point ``ops.emulator`` / ``ops.aws`` (and so ENV=local) at the test's moto server."""
    monkeypatch.setenv("EMULATOR_PORT", moto_url.rsplit(":", 1)[1])
    return moto_url


def _reset(url: str) -> None:
    request = urllib.request.Request(url + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


@pytest.fixture(scope="module")
def deployment(moto_url: str) -> Iterator[Deployment]:
    """The minimal service deployment on the session's moto server (reset before and after)."""
    _reset(moto_url)
    yield deploy(moto_url)
    _reset(moto_url)


@pytest.fixture()
def stubbed() -> StubbedClients:
    return StubbedClients()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()
