"""The ``epicontrol`` command."""

from __future__ import annotations

import typer

from . import city, db, quarantine, surveil, trace
from .demo import demo
from .report import app as report_app
from .resources import app as resources_app
from .serve import serve
from .special import app as special_app
from .tasks import app as tasks_app
from .testing import app as testing_app
from .twin_rt import app as twin_app
from .users import app as users_app
from .zones import app as zones_app

app = typer.Typer(
    name="epicontrol",
    help="epicontrol: epidemic joint prevention and control (联防联控) command centre.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(city.app, name="city")
app.add_typer(db.app, name="db")
app.add_typer(surveil.app, name="surveil")
app.add_typer(trace.app, name="trace")
app.add_typer(tasks_app, name="tasks")
app.add_typer(testing_app, name="testing")
app.add_typer(twin_app, name="twin")
app.add_typer(zones_app, name="zones")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(resources_app, name="resources")
app.add_typer(special_app, name="special")
app.add_typer(users_app, name="users")
app.add_typer(report_app, name="report")
app.command("serve")(serve)
app.command("demo")(demo)

if __name__ == "__main__":  # pragma: no cover
    app()
