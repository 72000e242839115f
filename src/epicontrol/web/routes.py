"""The dashboard's pages: login, city board, cases, quarantine sites, the public page.

Alerts and tasks (pages and their buttons) are in :mod:`.actions`.  Every
page reads through the request's transaction (``get_db``) and the caller's
:class:`~epicontrol.domains.users.schemas.Viewer`; a page whose engine has
not landed or whose records do not exist yet says so (``missing.html.j2``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ..api.auth import clear_auth_cookie, login, set_auth_cookie
from ..api.board import board_cache
from ..api.deps import DbSession, api_settings
from ..api.queries import CASE_ROLES
from ..domains.board.service import public_zones
from ..domains.tracing.context import Clock, TracingError, get_city, open_lake
from ..domains.tracing.models import CATEGORIES
from ..domains.tracing.report import build_report
from ..domains.users.schemas import Viewer
from ..i18n import t
from . import data
from .common import allowed, lang_of, login_redirect, page_viewer, render, web_state

router = APIRouter(include_in_schema=False)
#: Contacts shown per category on the case page (``?all=1``: up to ``CASE_ROWS_ALL``).
CASE_ROWS = 50
CASE_ROWS_ALL = 2000
ZONE_LEVELS = ("lockdown", "control", "prevention")


def forbidden(request: Request, lang: str, viewer: Viewer) -> HTMLResponse:
    return render(
        request,
        "message.html.j2",
        lang=lang,
        viewer=viewer,
        status_code=403,
        title=t("web.forbidden.title", lang),
        text=t("web.forbidden.text", lang, role=t(f"web.role.{viewer.role}", lang)),
    )


def missing(
    request: Request, lang: str, viewer: Viewer, page: str, what: str, hint: str, status: int = 200
) -> HTMLResponse:
    """A working page that says which engine or records are missing (no made-up figures)."""
    return render(
        request,
        "message.html.j2",
        lang=lang,
        viewer=viewer,
        page=page,
        status_code=status,
        title=t("web.missing.title", lang),
        text=what,
        hint=hint,
    )


def no_city(request: Request, lang: str, viewer: Viewer, page: str) -> HTMLResponse:
    return missing(
        request, lang, viewer, page, t("web.missing.city", lang), t("web.missing.city_hint", lang)
    )


def _has_city(session: Session) -> bool:
    try:
        get_city(session)
    except TracingError:
        return False
    return True


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# --------------------------------------------------------------------------- login


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, session: DbSession, next: str | None = None) -> Response:
    lang = lang_of(request)
    viewer = page_viewer(request, session)
    return render(
        request, "login.html.j2", lang=lang, viewer=viewer, page="login", next=_safe_next(next)
    )


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: DbSession,
    name: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password with the API's login; the token goes into the HttpOnly cookie."""
    lang = lang_of(request)
    target = _safe_next(next)
    error = None
    if not name.strip() or not password:
        error = t("web.login.required", lang)
    else:
        try:
            _, token, _ = login(
                request=request,
                session=session,
                name=name.strip(),
                password=password,
                request_id=str(getattr(request.state, "request_id", "")),
            )
        except HTTPException:
            error = t("web.login.failed", lang)
        else:
            response = RedirectResponse(target, status_code=303)
            set_auth_cookie(response, token, api_settings(request))
            return response
    return render(
        request,
        "login.html.j2",
        lang=lang,
        viewer=Viewer.public(),
        page="login",
        next=target,
        error=error,
        name=name,
        status_code=401 if error == t("web.login.failed", lang) else 422,
    )


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    clear_auth_cookie(response, api_settings(request))
    return response


# --------------------------------------------------------------------------- board


@router.get("/", response_class=HTMLResponse)
def board_page(request: Request, session: DbSession) -> Response:
    lang = lang_of(request)
    viewer = page_viewer(request, session)
    if viewer.is_public:
        return login_redirect(request)
    if not allowed(viewer, "board"):
        return forbidden(request, lang, viewer)
    if not _has_city(session):
        return no_city(request, lang, viewer, "board")
    community = viewer.community_id if viewer.role == "grid_worker" else None
    board = board_cache(request).get(community).board  # its as_of says how old it is
    # officers and facility managers see the board, not the case list
    cases = data.cases_for(session, viewer) if viewer.role in CASE_ROLES else []
    zones = data.zones_for(session, viewer)
    level_names = {lvl: t(f"zones.level.{lvl}", lang) for lvl in ZONE_LEVELS}
    map_data = data.map_payload(zones, cases, lang, level_names)
    curve = {
        "days": [p.day.isoformat() for p in board.curve.days],
        "confirmed": [p.confirmed for p in board.curve.days],
        "asymptomatic": [p.asymptomatic for p in board.curve.days],
        "suspected": [p.suspected for p in board.curve.days],
        "rt": [
            {"day": p.day.isoformat(), "mean": p.mean, "lower": p.lower, "upper": p.upper}
            for p in board.curve.rt.series
        ],
    }
    name, name_en = data.community_name(session, community)
    return render(
        request,
        "board.html.j2",
        lang=lang,
        viewer=viewer,
        page="board",
        board=board,
        map_data=map_data,
        curve=curve,
        n_cases=len(cases),
        n_zones=len(zones["features"]),
        community=(name_en if lang == "en" else name) if community is not None else None,
        zone_levels=ZONE_LEVELS,
    )


# --------------------------------------------------------------------------- cases


@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, session: DbSession) -> Response:
    lang = lang_of(request)
    viewer = page_viewer(request, session)
    if viewer.is_public:
        return login_redirect(request)
    if not allowed(viewer, "cases"):
        return forbidden(request, lang, viewer)
    if not _has_city(session):
        return no_city(request, lang, viewer, "cases")
    clock = _clock(session)
    rows = data.cases_for(session, viewer)
    return render(
        request,
        "cases.html.j2",
        lang=lang,
        viewer=viewer,
        page="cases",
        cases=[
            {
                "id": c.id,
                "person_id": c.person_id,
                "status": c.status,
                "onset": clock.from_store(c.onset) if c.onset else None,
                "reported": clock.from_store(c.reported),
            }
            for c in rows
        ],
    )


def _clock(session: Session) -> Clock:
    return Clock.of(get_city(session))


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, session: DbSession, case_id: int, all: bool = False) -> Response:
    """一图一表一报告: map and timeline, contact table by category, the written report."""
    lang = lang_of(request)
    viewer = page_viewer(request, session)
    if viewer.is_public:
        return login_redirect(request)
    if not allowed(viewer, "cases"):
        return forbidden(request, lang, viewer)
    if not _has_city(session):
        return no_city(request, lang, viewer, "cases")
    try:
        data.check_case(session, viewer, case_id)
    except data.OutOfScope:
        return forbidden(request, lang, viewer)
    except data.NotInScope:
        return missing(
            request,
            lang,
            viewer,
            "cases",
            t("web.case.not_found", lang, id=case_id),
            t("web.case.not_found_hint", lang),
            status=404,
        )
    settings = web_state(request).settings
    try:
        lake = open_lake(session=session, lake_dir=settings.lake_dir)
        report = build_report(session=session, lake=lake, case_id=case_id)
    except (TracingError, LookupError) as exc:
        return missing(
            request,
            lang,
            viewer,
            "cases",
            t("web.case.no_report", lang, id=case_id, reason=str(exc)),
            t("web.case.no_report_hint", lang),
        )
    figure = {
        "venues": [
            {
                "name": v.name,
                "type": v.type,
                "value": [v.lon, v.lat, v.contacts],
                "visited": v.visits > 0,
                "visits": v.visits,
            }
            for v in report.map_venues
        ],
        "communities": [
            {"name": c.name, "value": [c.lon, c.lat, sum(c.counts.values())]}
            for c in report.map_communities
        ],
        "timeline": [
            {
                "venue": v.venue,
                "start": v.t_in.isoformat(),
                "end": v.t_out.isoformat(),
                "minutes": v.minutes,
                "contacts": v.contacts,
            }
            for v in report.timeline
        ],
        "per_day": {
            "days": [d.date for d in report.per_day],
            "series": {cat: [d.counts[cat] for d in report.per_day] for cat in CATEGORIES},
            "names": {cat: t(f"tracing.category.{cat}", lang) for cat in CATEGORIES},
        },
    }
    relations = sorted({rel for cat in CATEGORIES for rel in report.by_relation[cat]})
    return render(
        request,
        "case.html.j2",
        lang=lang,
        viewer=viewer,
        page="cases",
        r=report,
        categories=CATEGORIES,
        figure=figure,
        relations=relations,
        rows=CASE_ROWS_ALL if all else CASE_ROWS,
        all_url=f"/cases/{case_id}?all=1",
    )


# --------------------------------------------------------------------------- quarantine


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine_page(request: Request, session: DbSession) -> Response:
    lang = lang_of(request)
    viewer = page_viewer(request, session)
    if viewer.is_public:
        return login_redirect(request)
    if not allowed(viewer, "quarantine"):
        return forbidden(request, lang, viewer)
    if not _has_city(session):
        return no_city(request, lang, viewer, "quarantine")
    sites = data.sites_for(session, viewer)
    totals = {
        "rooms": sum(s.rooms for s in sites),
        "occupied": sum(s.occupied for s in sites),
        "left": sum(s.left for s in sites),
    }
    return render(
        request,
        "quarantine.html.j2",
        lang=lang,
        viewer=viewer,
        page="quarantine",
        sites=sites,
        totals=totals,
    )


# --------------------------------------------------------------------------- public


@router.get("/public", response_class=HTMLResponse)
def public_page(request: Request, session: DbSession) -> Response:
    """Current risk zones in plain language and what residents there must do (no login)."""
    lang = lang_of(request)
    viewer = page_viewer(request, session)
    if not _has_city(session):
        return no_city(request, lang, viewer, "public")
    zones = public_zones(session=session)
    by_level = {lvl: [z for z in zones if z.level == lvl] for lvl in ZONE_LEVELS}
    return render(
        request,
        "public.html.j2",
        lang=lang,
        viewer=viewer,
        page="public",
        by_level=by_level,
        zone_levels=ZONE_LEVELS,
        total=len(zones),
    )
