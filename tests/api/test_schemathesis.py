"""schemathesis against the app's own OpenAPI document: no 500s, responses match the schema.

Bounded (``max_examples`` per operation) so that the run stays short; the
store is the seeded small city, the calls carry a commander's token (the
widest scope).  ``logout-all`` is left out: it would revoke the token the
other calls use.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import auth

MAX_EXAMPLES = 5
CHECKS = [not_a_server_error, status_code_conformance]
#: Operations whose answers are the API's own models (times as RFC 3339 with ``Z``) are
#: checked against their response schema too; the domains' views (alerts, tasks, zones,
#: quarantine, campaigns, the city summary) send the services' own time format.
CONFORMING_TAGS = {"auth", "audit", "users", "tracing", "meta", "public"}


def test_api_has_no_server_errors(client: TestClient) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", client.app)
    headers = auth(client, "chief")
    operations = [r.ok() for r in schema.exclude(path_regex="logout").get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:
        tags = set(operation.definition.raw.get("tags", []))
        checks = CHECKS + ([response_schema_conformance] if tags & CONFORMING_TAGS else [])
        _fuzz(operation, headers, checks)


def _fuzz(operation: Any, headers: dict[str, str], checks: list[Any]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks)

    run()
