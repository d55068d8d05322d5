"""Load instrument definitions from YAML, collecting every problem.

``load`` reads a file (or bytes or a stream), ``load_text`` a YAML string; both return
an :class:`~instruments.model.Instrument` or raise
:class:`~instruments.errors.InstrumentError` carrying *all* problems found.
``check`` returns the problems without raising.  ``load_all`` loads the definitions
bundled with the package (``instruments/definitions/<id>/<version>.yaml``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO
from typing import Any

from instruments._build import build
from instruments._yaml import YamlSyntaxError
from instruments._yaml import parse
from instruments._yaml import plain
from instruments.checks import run_checks
from instruments.errors import Code
from instruments.errors import InstrumentError
from instruments.errors import Problem
from instruments.model import Instrument

__all__ = ["DEFINITIONS", "bundled_paths", "check", "content_hash", "load", "load_all", "load_text"]

#: Directory of the definitions shipped with the package.
DEFINITIONS = Path(__file__).resolve().parent / "definitions"

Source = str | Path | bytes | IO[str] | IO[bytes]


def content_hash(document: Any) -> str:
    """SHA-256 of the canonical JSON of a parsed document.

    Keys are sorted and whitespace is fixed, so re-indenting the YAML, reordering keys
    or editing comments leaves the hash unchanged; any change of content changes it.

    Parameters
    ----------
    document : object
        Parsed YAML (mappings, lists, scalars).

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    canonical = json.dumps(
        plain(document), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _read(source: Source, filename: str | None) -> tuple[str | bytes, str | None]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        return path.read_bytes(), filename if filename is not None else str(source)
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), filename
    if hasattr(source, "read"):
        data = source.read()
        if filename is None:
            name = getattr(source, "name", None)
            filename = name if isinstance(name, str) else None
        if not isinstance(data, (str, bytes)):
            raise TypeError(f"stream returned {type(data).__name__}, expected str or bytes")
        return data, filename
    raise TypeError(f"cannot load an instrument from {type(source).__name__}")


def _load(data: str | bytes, filename: str | None) -> tuple[Instrument | None, list[Problem]]:
    try:
        document = parse(data)
    except YamlSyntaxError as exc:
        return None, [
            Problem.of(Code.syntax, "(document)", line=exc.line, file=filename, detail=exc.detail)
        ]
    draft = build(document, filename)
    problems = run_checks(draft)
    if problems or draft.instrument is None:
        return None, problems
    return dataclasses.replace(draft.instrument, sha256=content_hash(document)), []


def load(source: Source, *, filename: str | None = None) -> Instrument:
    """Load an instrument definition.

    Parameters
    ----------
    source : str, Path, bytes or file object
        A path (``str`` is always a *path*; use :func:`load_text` for YAML text),
        the file's bytes, or an open text/binary stream.
    filename : str, optional
        Name used in problem reports (defaults to the path or the stream's name).

    Returns
    -------
    Instrument
        The instrument, with :attr:`~instruments.model.Instrument.sha256` set to the
        hash of its canonical content.

    Raises
    ------
    InstrumentError
        With every problem found (syntax errors included, with their line).
    OSError
        If the path cannot be read.
    """
    data, name = _read(source, filename)
    instrument, problems = _load(data, name)
    if instrument is None:
        raise InstrumentError(problems)
    return instrument


def load_text(text: str, *, filename: str | None = None) -> Instrument:
    """Load an instrument from YAML text (see :func:`load`)."""
    if not isinstance(text, str):
        raise TypeError(f"load_text expects str, got {type(text).__name__}")
    instrument, problems = _load(text, filename)
    if instrument is None:
        raise InstrumentError(problems)
    return instrument


def check(source: Source, *, filename: str | None = None) -> list[Problem]:
    """Return every problem of an instrument definition without raising.

    Parameters
    ----------
    source : str, Path, bytes or file object
        Unlike :func:`load`, a ``str`` is the YAML *text* itself (this is the entry
        point for content already in hand: an upload, a test); pass a ``Path`` for a
        file.  Bytes and streams are read as by :func:`load`.
    filename : str, optional
        Name used in problem reports.

    Returns
    -------
    list of Problem
        Empty when the definition is valid, else every problem in rule order.
    """
    if isinstance(source, str):
        return _load(source, filename)[1]
    data, name = _read(source, filename)
    return _load(data, name)[1]


def bundled_paths() -> list[Path]:
    """Paths of the bundled definitions, sorted by id and then numerically by version."""
    paths = [p for p in DEFINITIONS.glob("*/*.yaml") if p.stem.isdigit()]
    return sorted(paths, key=lambda p: (p.parent.name, int(p.stem)))


def load_all(paths: Iterable[Path] | None = None) -> dict[tuple[str, int], Instrument]:
    """Load the bundled definitions (or the given paths), keyed by ``(id, version)``.

    Parameters
    ----------
    paths : iterable of Path, optional
        Defaults to :func:`bundled_paths`.

    Returns
    -------
    dict
        ``{(id, version): Instrument}`` in path order.

    Raises
    ------
    InstrumentError
        With the problems of every file that failed, each naming its file.
    """
    instruments: dict[tuple[str, int], Instrument] = {}
    problems: list[Problem] = []
    for path in bundled_paths() if paths is None else paths:
        path = Path(path)
        name = f"{path.parent.name}/{path.name}"
        instrument, found = _load(path.read_bytes(), name)
        problems.extend(found)
        if instrument is not None:
            instruments[(instrument.id, instrument.version)] = instrument
    if problems:
        raise InstrumentError(problems)
    return instruments
