"""Schemathesis against ``/api/v1/openapi.json`` (issue 12 §5): every request it generates from
the published schema, valid or deliberately not, gets an answer the schema documents.

No 500; every status, content type, body and header is the one the document states.
The number of examples is bounded so that this runs in the normal suite in seconds.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import settings
from schemathesis import checks

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.allow_header_conformance,
]


@pytest.fixture
def api_schema(app: Flask, app_context: None):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def token(make_token) -> str:  # type: ignore[no-untyped-def]
    """An integration token, so that the bodies are checked (without one: 401 for all)."""
    return str(make_token())


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api__answers_what_its_openapi_document_says(case, token):  # type: ignore[no-untyped-def]
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
