"""``epicontrol db``: schema migrations of the operational store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..i18n import t
from ..store.migrate import current_revision, downgrade, head_revision, upgrade
from .common import (
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    display_url,
    open_store,
    out,
    print_json,
    settings_for,
)

app = typer.Typer(help="Schema migrations (Alembic).", no_args_is_help=True)


def _report(workspace: Path, lang: str, as_json: bool, action: str) -> None:
    settings = settings_for(workspace, lang)
    engine = open_store(settings, migrate=False)
    result = {
        "action": action,
        "database": display_url(settings.resolved_database_url()),
        "revision": current_revision(engine),
        "head": head_revision(),
    }
    if as_json:
        print_json(result)
    else:
        out.print(t("db.at", settings.lang, revision=result["revision"], head=result["head"]))


@app.command("upgrade")
def upgrade_cmd(
    revision: Annotated[str, typer.Argument(help="Target revision (heads = newest).")] = "heads",
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Upgrade the store's schema (default: to the newest revision)."""
    upgrade(open_store(settings_for(workspace, lang), migrate=False), revision)
    _report(workspace, lang, as_json, "upgrade")


@app.command("downgrade")
def downgrade_cmd(
    revision: Annotated[str, typer.Argument(help="Target revision ('base' drops everything).")],
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Downgrade the store's schema to REVISION."""
    downgrade(open_store(settings_for(workspace, lang), migrate=False), revision)
    _report(workspace, lang, as_json, "downgrade")


@app.command("current")
def current_cmd(
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Show the store's schema revision."""
    _report(workspace, lang, as_json, "current")
