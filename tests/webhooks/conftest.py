"""Webhook tests: a real HTTP receiver, and the demo's URL rules (http to this machine)."""

import pytest

from .receiver import receiver_start


@pytest.fixture
def receiver():
    receiver, server = receiver_start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _demo_url_rules(settings):
    settings.TILAB_WEBHOOK_HTTP_TO_LOCALHOST = True
    settings.TILAB_WEBHOOK_PRIVATE_ADDRESSES = True
    settings.TILAB_WEBHOOK_TIMEOUT = 3
