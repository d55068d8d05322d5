"""``survey-app instruments ...``: check and list questionnaire definitions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

import instruments


@click.group("instruments")
def instruments_group() -> None:
    """Check and list instrument definitions."""


@instruments_group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def check(files: tuple[str, ...]) -> None:
    """Validate instrument FILES; print their problems and exit 1 if there is one.

    Each file is named by the path given (every bundled file is called ``1.yaml``).
    Problems that one mistake sets off further down (a scale whose items are "not
    scorable" because their format is misspelt) are held back until the first are fixed.
    """
    failed = False
    for name in files:
        path = Path(name)
        try:
            instrument = instruments.load(path.read_bytes(), filename=path.name)
        except instruments.InstrumentError as exc:
            failed = True
            shown, held_back = instruments.first_problems(exc.problems)
            for problem in shown:
                click.echo(str(replace(problem, file=name)))
            if held_back:
                click.echo(
                    f"{name}: {held_back} more problem(s) that these probably cause; "
                    "fix the ones above and check again"
                )
            continue
        missing = instruments.untranslated(instrument, "en")
        note = f", {len(missing)} strings without English" if missing else ""
        click.echo(f"{name}: ok ({instrument.id} v{instrument.version}{note})")
    if failed:
        raise SystemExit(1)


@instruments_group.command("list")
def list_bundled() -> None:
    """List the bundled instruments."""
    for (instrument_id, version), instrument in sorted(instruments.load_all().items()):
        click.echo(f"{instrument_id}@{version}  {instrument.sha256[:12]}  {instrument.title['ru']}")
