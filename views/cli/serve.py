"""`credstack serve`: start the decision desk on the embedded database, seeded with the demo.

Wire it into the `credstack` group with `cli.add_command(serve_command)`. A missing database is
created and seeded with the demo organisations, staff, policies and cases; the staff and their
passwords are printed (once: only their hashes are stored). This is Flask's development server;
production runs `gunicorn 'app:create_app()'` with configuration from environment variables.
"""

from __future__ import annotations

import errno
import importlib
import signal
import socket
import sys
from pathlib import Path

import click

from models.desk.seed import seed_demo
from models.store import database as store
from views.cli.desk import DEFAULT_DB, handled
from views.context import shutdown

APP_MODULE = "app"


@click.command("serve", help="Start the decision desk (development server) with the demo data.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    envvar="CREDSTACK_PORT",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on (or set CREDSTACK_PORT).",
)
@click.option(
    "--db",
    "db_path",
    envvar="CREDSTACK_DB",
    default=DEFAULT_DB,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite database file (or set CREDSTACK_DB); created and seeded if missing.",
)
@handled
def serve_command(host: str, port: int, db_path: str) -> None:
    refuse_busy_port(host, port)
    path = Path(db_path)
    if path.is_file():
        click.echo(f"database: {path} (existing; its demo passwords were printed when it was")
        click.echo(f"          created: delete {path} to start afresh with new ones)")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = store.open_db(path)
        try:
            staff = seed_demo(db)
        finally:
            db.close()
        click.echo(f"database: {path} (created and seeded with the demo)")
        click.echo("demo staff (passwords are shown once):")
        for c in staff:
            click.echo(f"  {c['organisation']:<9} {c['role']:<8} {c['email']:<28} {c['password']}")
    # The views sit below `app.py` and never import it; a launcher needs the factory, so it is
    # looked up by name at run time, as `flask --app app:create_app run` would.
    app = importlib.import_module(APP_MODULE).create_app({"DATABASE": str(path)})
    click.echo(f"credstack desk: http://{host}:{port}/  (Ctrl+C stops it)")
    sys.stdout.flush()
    # Stop cleanly (the evaluator's workers too) on SIGTERM as on Ctrl+C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
    finally:
        shutdown(app)


def refuse_busy_port(host: str, port: int) -> None:
    """A clear message (exit 1) instead of a traceback when something already listens there."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = (
                "is already in use"
                if exc.errno == errno.EADDRINUSE
                else f"cannot be used ({exc.strerror})"
            )
            raise click.ClickException(
                f"port {port} on {host} {reason}: choose another with --port, "
                f"CREDSTACK_PORT or `make run PORT=...`"
            ) from None
