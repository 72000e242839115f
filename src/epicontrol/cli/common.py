"""What every command shares: options, settings, the store, output and progress.

Progress bars and human output go to stderr/stdout through rich; with
``--json`` stdout carries exactly one JSON document and progress goes to
stderr, so the output can be piped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from ..config import Settings
from ..store.engine import make_engine
from ..store.migrate import upgrade

WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace directory: the SQLite store and the lake live here.",
        envvar="EPICONTROL_WORKSPACE",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
LangOpt = Annotated[
    str,
    typer.Option("--lang", help="Language of the output: zh-CN or en.", envvar="EPICONTROL_LANG"),
]

out = Console()
err = Console(stderr=True)


def settings_for(workspace: Path, lang: str) -> Settings:
    """Settings of this invocation (environment plus the command-line options)."""
    if lang not in ("zh-CN", "en"):
        fail(f"--lang must be zh-CN or en, got {lang!r}", as_json=False)
    return Settings(workspace=workspace, lang=lang)


def open_store(settings: Settings, *, migrate: bool = True) -> Engine:
    """The workspace's engine, migrated to the newest schema."""
    engine = make_engine(settings.resolved_database_url())
    if migrate:
        upgrade(engine)
    return engine


def display_url(url: str) -> str:
    """The database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def to_jsonable(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, dict):
        return {k: to_jsonable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [to_jsonable(v) for v in data]
    if isinstance(data, Path):
        return str(data)
    return data


def print_json(data: Any) -> None:
    """Write ``data`` as one JSON document to stdout."""
    sys.stdout.write(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def fail(message: str, *, as_json: bool, code: int = 1, **extra: Any) -> NoReturn:
    """Report an error (as JSON on stdout with ``--json``) and exit with ``code``."""
    if as_json:
        print_json({"error": message, **extra})
    else:
        err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def progress_bar(*, transient: bool = True) -> Iterator[Progress]:
    """A rich progress display on stderr."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=transient,
    ) as progress:
        yield progress


def parse_ids(
    option: str, value: str | None, *, as_json: bool, what: str = "ids"
) -> list[int] | None:
    """``ID,ID,...`` of a command-line option; ``None`` when not given (exit 2 when malformed)."""
    if not value:
        return None
    try:
        ids = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        fail(f"{option} must be {what} separated by commas, got {value!r}", as_json=as_json, code=2)
    if not ids:
        fail(f"{option} must name at least one id", as_json=as_json, code=2)
    return ids
