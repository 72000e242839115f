"""``epicontrol serve``: the command centre (API under ``/api`` and the dashboard) with uvicorn.

The store is migrated once before the workers start; each worker builds the
app with :func:`epicontrol.api.app.create_app` from the same settings
(``EPICONTROL_WORKSPACE``, ``EPICONTROL_DATABASE_URL``, ``EPICONTROL_API__*``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from fastapi import FastAPI
from sqlalchemy.orm import Session

from ..config import Settings
from ..domains.users import service as users
from ..i18n import t
from .common import LangOpt, WorkspaceOpt, err, fail, open_store, settings_for


def _warmed(app: FastAPI) -> FastAPI:
    """Start building the city board in the background, so that the first readers of a
    new worker do not wait for it (about a second on the demo city)."""
    app.state.board_cache.warm()
    return app


def app_factory() -> FastAPI:
    """Build the app in a uvicorn worker from the environment set by :func:`serve`."""
    from ..api.app import create_app

    return _warmed(create_app(Settings()))


def serve(
    workspace: WorkspaceOpt = Path("var"),
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes (PostgreSQL for more than 1).", min=1)
    ] = 1,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
    keep_alive: Annotated[
        int,
        typer.Option(
            "--timeout-keep-alive",
            help="Seconds an idle keep-alive connection stays open (longer than the "
            "clients' idle time, or a request can meet a connection being closed).",
            min=1,
            max=3600,
        ),
    ] = 5,
    lang: LangOpt = "zh-CN",
) -> None:
    """Serve the command centre: REST API (/api, docs at /api/docs) and the dashboard (/)."""
    import uvicorn

    settings = settings_for(workspace, lang)
    try:
        engine = open_store(settings)
    except Exception as exc:
        fail(f"store: {exc}", as_json=False, code=3)
    with Session(engine) as session:
        if not users.list_users(session=session):
            err.print(t("users.serve.no_users", lang), highlight=False)
    engine.dispose()
    from ..api.app import create_app
    from ..api.settings import ApiSettings, signing_secret

    signing_secret(settings, ApiSettings())  # create secret.key once, before the workers
    os.environ["EPICONTROL_WORKSPACE"] = str(settings.workspace.resolve())
    os.environ["EPICONTROL_LANG"] = lang
    if settings.database_url:
        os.environ["EPICONTROL_DATABASE_URL"] = settings.database_url
    err.print(t("users.serve.start", lang, host=host, port=port, workers=workers), highlight=False)
    if workers == 1:
        uvicorn.run(
            _warmed(create_app(settings)),
            host=host,
            port=port,
            log_level=log_level,
            access_log=access_log,
            timeout_keep_alive=keep_alive,
        )
    else:
        uvicorn.run(
            "epicontrol.cli.serve:app_factory",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            access_log=access_log,
            timeout_keep_alive=keep_alive,
            # a worker imports the engines (numpy, OR-Tools...) before it answers the
            # supervisor's first ping: give it time on a loaded machine
            timeout_worker_healthcheck=120,
        )
