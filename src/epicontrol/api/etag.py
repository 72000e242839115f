"""ETags from ``version`` columns and the ``If-Match`` precondition of writes.

A record with a version (alerts, tasks) is sent with ``ETag: "v<version>"``.
A write must send ``If-Match`` with the ETag it read: a missing header gets
428 (Precondition Required), a malformed one 400, and one that no longer
matches the stored version 409 (Conflict) — two officers editing the same
record cannot silently overwrite each other.  ``If-Match: *`` is refused for
the same reason.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header, HTTPException, Response, status

_TAG = re.compile(r'^(?:W/)?"v(\d{1,9})"$')

IF_MATCH_DOC = 'The ETag of the record as read (`"v<version>"`); 409 when it changed since.'


def etag(version: int) -> str:
    """The ETag of a record at ``version``."""
    return f'"v{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def expected_version(if_match: str | None) -> int:
    """The version named by an ``If-Match`` header (one ETag)."""
    if if_match is None or not if_match.strip():
        raise HTTPException(
            status.HTTP_428_PRECONDITION_REQUIRED,
            detail='If-Match: required on writes; send the ETag of the record (e.g. "v3")',
        )
    match = _TAG.match(if_match.strip())
    if match is None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail=f'If-Match: expected one ETag like "v3", got {if_match[:40]!r}',
        )
    return int(match.group(1))


IfMatch = Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_DOC, max_length=64)]
