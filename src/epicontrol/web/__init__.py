"""The command centre's web dashboard: server-rendered Jinja2 pages with htmx and ECharts.

:func:`mount` adds the pages (``/``, ``/login``, ``/alerts``, ``/cases``,
``/tasks``, ``/quarantine``, ``/public``) and the static files (``/static``;
ECharts and htmx are copied from the npm packages into ``static/vendor/`` by
``make web`` — no CDN) to the API's app.  The app factory
(:func:`epicontrol.api.app.create_app`) calls it last.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ..config import Settings
from .common import STATIC_DIR, WebState, make_env

__all__ = ["mount"]


def mount(app: FastAPI, settings: Settings) -> None:
    """Add the dashboard's pages and ``/static`` to ``app`` (built by ``create_app``)."""
    from . import actions, routes

    app.state.web = WebState(settings=settings, env=make_env())
    app.include_router(routes.router)
    app.include_router(actions.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
