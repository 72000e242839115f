"""``epicontrol users``: accounts of the command centre (argon2id hashes, roles, scopes).

``users add NAME --role R`` asks for the password twice (or reads one line
from standard input with ``--password-stdin``); the scoped roles need their
scope: ``--department`` (department_officer), ``--community`` (grid_worker,
a community's area id), ``--facility`` (facility_manager).  Exit codes: 2 bad
input, 3 the name is taken.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy.orm import Session

from ..domains.users import service
from ..domains.users.schemas import UserIn, UserOut
from ..i18n import t
from .common import JsonOpt, LangOpt, WorkspaceOpt, fail, open_store, out, print_json, settings_for

app = typer.Typer(
    help="Accounts of the command centre: add (with role and scope) and list.",
    no_args_is_help=True,
)


def _password(from_stdin: bool, lang: str, as_json: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            fail(t("users.password.stdin_empty", lang), as_json=as_json, code=2)
        return line
    value: str = typer.prompt(
        t("users.password.prompt", lang), hide_input=True, confirmation_prompt=True
    )
    return value


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name (letters, digits, _ . @ -).")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="commander, epidemiologist, department_officer, grid_worker, facility_manager.",
        ),
    ],
    department: Annotated[
        str | None, typer.Option("--department", help="A department officer's department.")
    ] = None,
    community: Annotated[
        int | None, typer.Option("--community", help="A grid worker's community (area id).")
    ] = None,
    facility: Annotated[
        int | None, typer.Option("--facility", help="A facility manager's facility id.")
    ] = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Name shown in the dashboard.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Add an account (the password is stored as an argon2id hash only)."""
    settings = settings_for(workspace, lang)
    password = _password(password_stdin, lang, as_json)
    try:
        data = UserIn(
            name=name,
            password=password,
            role=role,
            display_name=display_name,
            department=department,
            community_id=community,
            facility_id=facility,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        fail(f"{field}: {first['msg']}", as_json=as_json, code=2, field=field)
    engine = open_store(settings)
    try:
        with Session(engine) as session, session.begin():
            user = service.create_user(session=session, data=data)
            result = service.user_out(user)
    except service.UserExists as exc:
        fail(str(exc), as_json=as_json, code=3, field=exc.field)
    except service.UserInputError as exc:
        fail(str(exc), as_json=as_json, code=2, field=exc.field)
    finally:
        engine.dispose()
    if as_json:
        print_json(result)
        return
    out.print(t("users.added", lang, name=result.name, role=result.role, id=result.id))


def _scope(u: UserOut) -> str:
    if u.department:
        return f"department={u.department}"
    if u.community_id is not None:
        return f"community={u.community_id}"
    if u.facility_id is not None:
        return f"facility={u.facility_id}"
    return "city"


@app.command("list")
def list_cmd(
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """List the accounts (never their hashes)."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with Session(engine) as session:
            rows = [service.user_out(u) for u in service.list_users(session=session)]
    finally:
        engine.dispose()
    if as_json:
        print_json({"users": rows})
        return
    if not rows:
        out.print(t("users.none", lang))
        return
    table = Table(title=t("users.list.title", lang))
    for key in ("id", "name", "role", "scope", "active"):
        table.add_column(t(f"users.col.{key}", lang))
    for u in rows:
        table.add_row(
            str(u.id), u.name, t(f"users.role.{u.role}", lang), _scope(u), "✓" if u.active else "✗"
        )
    out.print(table)
