"""What every page shares: the templates, the language, the viewer, rendering helpers.

The language is ``zh-CN`` unless the request asks for English: a ``lang``
query parameter (which the response then remembers in the ``lang`` cookie) or
the cookie itself.  Every label comes from :mod:`epicontrol.messages.web`
through :func:`epicontrol.i18n.t`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from ..api.auth import viewer_from_request
from ..config import Settings
from ..domains.users.schemas import Viewer
from ..i18n import MESSAGES, t

LANGS: Final = ("zh-CN", "en")
LANG_COOKIE: Final = "lang"
#: Roles that may open each page (the public page needs no login).
PAGE_ROLES: Final[dict[str, tuple[str, ...]]] = {
    "board": (
        "commander",
        "epidemiologist",
        "department_officer",
        "grid_worker",
        "facility_manager",
    ),
    "alerts": ("commander", "epidemiologist", "department_officer", "grid_worker"),
    "cases": ("commander", "epidemiologist", "grid_worker"),
    "tasks": ("commander", "epidemiologist", "department_officer", "grid_worker"),
    "quarantine": ("commander", "epidemiologist", "facility_manager"),
}
STATIC_DIR: Final = Path(__file__).parent / "static"
VENDOR_FILES: Final = ("echarts.min.js", "htmx.min.js")


@dataclass
class WebState:
    """The web layer's share of the app: settings and the template environment."""

    settings: Settings
    env: Environment


def make_env() -> Environment:
    env = Environment(
        loader=PackageLoader("epicontrol.web", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_script"] = tojson_script
    env.filters["dt"] = fmt_dt
    return env


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def tojson_script(value: Any) -> Markup:
    """``value`` as JSON safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def fmt_dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else value.strftime(fmt)


def fmt_value(value: float | None, unit: str, lang: str) -> str:
    """A KPI figure in its unit (``share`` as a percentage); a dash when there is none."""
    if value is None:
        return t("web.kpi.none", lang)
    if unit == "share":
        return t("web.unit.share", lang, v=f"{100 * value:.1f}")
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    key = f"web.unit.{unit}"
    return t(key, lang, v=text) if key in MESSAGES else f"{text} {unit}".strip()


def lang_of(request: Request) -> str:
    """The page language: ``?lang=``, else the ``lang`` cookie, else the settings' default."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return str(asked)
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGS:
        return str(cookie)
    return web_state(request).settings.lang


def page_viewer(request: Request, session: Session) -> Viewer:
    """The caller (the public without a valid cookie); also kept on ``request.state``."""
    viewer = viewer_from_request(request, session)
    request.state.viewer = viewer
    return viewer


def allowed(viewer: Viewer, page: str) -> bool:
    return viewer.role in PAGE_ROLES[page]


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def nav_items(viewer: Viewer) -> list[tuple[str, str, str]]:
    """``(page, href, message key)`` of the links the viewer's role may open."""
    items = [
        ("board", "/", "web.nav.board"),
        ("alerts", "/alerts", "web.nav.alerts"),
        ("cases", "/cases", "web.nav.cases"),
        ("tasks", "/tasks", "web.nav.tasks"),
        ("quarantine", "/quarantine", "web.nav.quarantine"),
    ]
    return [i for i in items if allowed(viewer, i[0])]


def vendor_missing() -> list[str]:
    """The front-end files not built yet (``make web``)."""
    return [name for name in VENDOR_FILES if not (STATIC_DIR / "vendor" / name).is_file()]


def role_label(viewer: Viewer, lang: str) -> str:
    return t(f"web.role.{viewer.role}", lang)


def render(
    request: Request,
    template: str,
    *,
    lang: str,
    viewer: Viewer | None,
    page: str = "",
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with the shared context; remembers ``?lang=`` in the cookie."""

    def tr(key: str, **kwargs: Any) -> str:
        return t(key, lang, **kwargs)

    env = web_state(request).env
    other = "en" if lang == "zh-CN" else "zh-CN"
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    query["lang"] = other
    toggle = request.url.path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
    html = env.get_template(template).render(
        t=tr,
        lang=lang,
        other_lang=other,
        lang_toggle=toggle,
        viewer=viewer,
        role_label=role_label(viewer, lang) if viewer is not None else "",
        nav=nav_items(viewer) if viewer is not None and not viewer.is_public else [],
        page=page,
        vendor_missing=vendor_missing(),
        kpi_value=fmt_value,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
