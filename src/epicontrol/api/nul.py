"""Reject text containing NUL (U+0000) before it reaches the store.

PostgreSQL text cannot hold NUL bytes (psycopg raises ``DataError``), SQLite
would store them and compare them oddly, and no field of the API means
anything with one; so a request carrying U+0000 in its path, query string,
JSON body or form body is answered with 422 naming the first field that holds
it, in the shape of FastAPI's own validation errors, and nothing runs.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

RULE = "must not contain NUL characters (U+0000)"


def _json_path(value: Any, path: list[str | int]) -> list[str | int] | None:
    """Path of the first string (key or value) holding U+0000 in a parsed JSON value."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return [*path, key]
            found = _json_path(item, [*path, key])
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _json_path(item, [*path, i])
            if found is not None:
                return found
    return None


def _form_field(raw: bytes) -> str | None:
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "") or "(name)"
    return None


def nul_location(scope: Scope, body: bytes) -> list[str | int] | None:
    """Where the request holds U+0000 (``["query", "name"]``, ``["body", "name"]`` ...)."""
    raw_path = scope.get("raw_path") or scope.get("path", "").encode()
    if b"\x00" in raw_path or "\x00" in unquote(raw_path.decode("latin-1")):
        return ["path"]
    query: bytes = scope.get("query_string", b"")
    if query and (b"%00" in query or b"\x00" in query):
        field = _form_field(query)
        if field is not None:
            return ["query", field]
    if not body:
        return None
    headers = dict(scope.get("headers") or [])
    ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if ctype == b"application/x-www-form-urlencoded":
        field = _form_field(body) if (b"%00" in body or b"\x00" in body) else None
        return None if field is None else ["body", field]
    if b"\\u0000" in body or b"\x00" in body:
        try:
            parsed = json.loads(body)
        except ValueError:  # not JSON: a raw NUL in the body still names the body
            return ["body"] if b"\x00" in body else None
        return _json_path(parsed, ["body"])
    return None


class RejectNulMiddleware:
    """ASGI middleware: 422 for requests carrying U+0000 (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
        loc = nul_location(scope, body)
        if loc is not None:
            payload = json.dumps(
                {"detail": [{"loc": loc, "msg": RULE, "type": "value_error"}]}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(payload)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            return

        replay = iter(messages)

        async def receive_again() -> Message:
            try:
                return next(replay)
            except StopIteration:
                return await receive()

        await self.app(scope, receive_again, send)
