"""The OpenAPI document at `/api/swagger.json`, and the running server checked against it by schemathesis.

schemathesis generates valid and invalid requests for every Management and Experience API
operation in the document and checks each answer: never a 5xx, a documented status, content
type, headers and body, and invalid input rejected. Management calls carry a valid
management token; Experience calls carry a live interaction cookie. What the run changes
server-wide (sign-in experience, email connector) is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from idp.management import openapi
from idp.web.management import ROUTES
from tests.browser import Browser
from tests.management import management_token, settings_restored

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection, ignored_auth]
MAX_EXAMPLES = 8


def test_the_document_is_openapi_3_and_lists_every_route(idp):
    document = httpx.get(f"{idp.endpoint}/api/swagger.json").json()
    assert document == openapi.document(idp.endpoint) and document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    served = {(route.path, method) for route in ROUTES for method in route.methods - {"HEAD"}}
    assert served - {("/api/swagger.json", "GET")} <= documented
    assert {"/api/experience/submit", "/api/dev/outbox"} <= set(document["paths"])
    scheme = document["components"]["securitySchemes"]["ManagementApi"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["paths"]["/api/experience/submit"]["post"]["security"] == []


@pytest.fixture
def credentials(idp, app) -> Iterator[dict[str, dict[str, str]]]:
    """A management token, and the cookie of a live interaction for the Experience API."""
    browser = Browser(idp.endpoint)
    try:
        landing = browser.follow(browser.authorize_url(app["id"], app["redirect_uris"][0]))
        assert landing.status_code == 200, landing.text[:300]
        with settings_restored(idp):
            yield {
                "management": {"Authorization": f"Bearer {management_token(idp)}"},
                "experience": {"Cookie": f"_interaction={browser.http.cookies['_interaction']}"},
            }
    finally:
        browser.close()


# The package's own document; the first test checks that the server serves exactly this one.
schema = schemathesis.openapi.from_dict(openapi.document("http://idp.invalid")).exclude(path="/api/dev/outbox")
schema.config.generation.update(max_examples=MAX_EXAMPLES, database="none", with_security_parameters=False)
# An oversized invalid body is refused before it is read: 413 is a rejection too.
rejection = schema.config.checks.negative_data_rejection
rejection.expected_statuses = [*rejection.expected_statuses, "413"]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_server_keeps_to_its_document(case, idp, credentials):
    kind = "experience" if case.operation.path.startswith("/api/experience") else "management"
    case.call_and_validate(base_url=idp.endpoint, headers=credentials[kind], checks=CHECKS)
