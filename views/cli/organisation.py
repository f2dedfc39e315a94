"""`credstack org show|set`: an organisation's letter settings from the command line (the
instance operator's view: the organisation is named by its short name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from models.desk import organisation as desk_org
from models.store import database as store
from models.store import organisation as store_org
from views.cli.desk import db_option, handled, opened

SHOWN = (
    "postal_address email phone web signatory_name signatory_title appeal_text_en "
    "appeal_text_sv appeal_weeks default_language"
).split()


@click.group("org", help="Show or change an organisation's letter settings.")
def org() -> None:
    pass


@org.command("show", help="Print an organisation's settings.")
@db_option
@click.option("--org", "slug", required=True, help="The organisation's short name.")
@handled
def org_show(db_path: str, slug: str) -> None:
    with opened(db_path) as db:
        found = store.find_organisation(db, slug)
        settings = store_org.get_settings(db, found.id)
    click.echo(f"name: {settings.name}")
    for name in SHOWN:
        value = str(getattr(settings, name)).replace("\n", " / ")
        click.echo(f"{name}: {value}")
    logo = f"{settings.logo_type}, {len(settings.logo)} bytes" if settings.logo else "none"
    click.echo(f"logo: {logo}")


@org.command("set", help="Change an organisation's settings; options not given stay as they are.")
@db_option
@click.option("--org", "slug", required=True, help="The organisation's short name.")
@click.option("--name", help="The organisation's name.")
@click.option("--address", "postal_address", help="Postal address (use \\n between lines).")
@click.option("--email")
@click.option("--phone")
@click.option("--web")
@click.option("--signatory", "signatory_name", help="The signatory's name.")
@click.option("--signatory-title", "signatory_title")
@click.option("--appeal-en", "appeal_text_en", help="How to appeal, in English.")
@click.option("--appeal-sv", "appeal_text_sv", help="How to appeal, in Swedish.")
@click.option("--appeal-weeks", type=int, help="The appeal deadline in weeks.")
@click.option("--language", "default_language", type=click.Choice(["en", "sv"]),
              help="The default language of letters.")  # fmt: skip
@click.option("--logo", type=click.Path(dir_okay=False, exists=True), help="A PNG or SVG logo.")
@click.option("--no-logo", is_flag=True, help="Remove the logo.")
@handled
def org_set(db_path: str, slug: str, logo: str | None, no_logo: bool, **values: Any) -> None:
    changes = {k: v for k, v in values.items() if v is not None}
    if "postal_address" in changes:
        changes["postal_address"] = changes["postal_address"].replace("\\n", "\n")
    with opened(db_path) as db:
        found = store.find_organisation(db, slug)
        if changes:
            desk_org.update_settings(db, None, changes, organisation_id=found.id)
        if logo is not None:
            desk_org.set_logo(db, None, Path(logo).read_bytes(), organisation_id=found.id)
        elif no_logo:
            desk_org.set_logo(db, None, None, organisation_id=found.id)
    click.echo(f"settings of {slug} saved")
