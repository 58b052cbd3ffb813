"""The service and its sandbox as real HTTP servers on loopback, wired as `make run` wires them.

Used by the integration tests and the browser tests (their conftest files import the fixtures).
"""

from __future__ import annotations

import itertools
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from app import create_app
from app.devserver import sandbox_config
from app.extensions import services
from app.sandbox import create_sandbox_app
from tests.browser import Browser
from tests.conftest import base_config
from tests.portal import demo_registry, launch_path
from tests.sandbox.server import run_wsgi_factory


class Deferred:
    """A WSGI app filled in after its server is bound, so two servers can know each other's URL.

    It also counts the requests it serves by path, so tests can assert what the service called.
    """

    app = None

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()

    def __call__(self, environ, start_response):
        self.hits[environ.get("PATH_INFO", "")] += 1
        return self.app(environ, start_response)


@dataclass
class Stack:
    service_url: str
    sandbox_url: str
    service: object
    sandbox: object
    sandbox_hits: Counter

    def launch_path(self, org: str, **claims) -> str:
        """A signed launch link of a demo organisation to this service, coming back to this sandbox's portal."""
        return launch_path(org, audience=self.service_url, return_url=f"{self.sandbox_url}/portail/retour",
                           **claims)

    @property
    def fc(self):
        return self.sandbox.extensions["fc_sandbox"]

    def browser(self) -> Browser:
        return Browser()


@pytest.fixture
def make_stack(tmp_path):
    counter = itertools.count()
    with ExitStack() as stack:

        def factory(*, extra_return_urls=(), per_organisation=None, **overrides) -> Stack:
            service_url, service_slot = stack.enter_context(run_wsgi_factory(lambda url: Deferred()))
            sandbox_url, sandbox_slot = stack.enter_context(run_wsgi_factory(lambda url: Deferred()))
            config = base_config(
                PUBLIC_URL=service_url, SANDBOX=True, SANDBOX_URL=sandbox_url,
                FC_ISSUER=None, FC_CLIENT_ID=None, FC_CLIENT_SECRET=None, RIGHTS_SOURCES="c2s cnam",
                # As with make run: the demo organisations come back to this sandbox's demo portal.
                **demo_registry(tmp_path / f"registry-{next(counter)}", *extra_return_urls, sandbox_url=sandbox_url,
                                per_organisation=per_organisation),
            )
            config.update(overrides)
            instance = tmp_path / f"instance-{next(counter)}"
            service_slot.app = create_app(config, instance_path=str(instance))
            sandbox_slot.app = create_sandbox_app(sandbox_config(services(service_slot.app).settings))
            return Stack(service_url, sandbox_url, service_slot.app, sandbox_slot.app, sandbox_slot.hits)

        yield factory


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack()
