"""QR codes and printable posters of a campaign, per library (and service point).

The link printed on a poster is ``<base>/s/<campaign>/<library>``; the QR code encodes the
same link with ``?ch=qr`` so that responses arriving through the code are counted as the QR
channel (a service point adds ``&sp=<code>``).  ``base`` is ``PUBLIC_BASE_URL`` or, when that
is not configured, the host the request came to (the view decides and passes it in).

Scope: a poster is available only for a library that takes part in the campaign and lies
in the caller's scope (``manage_posters``); library staff get their own library's only.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import quote
from urllib.parse import urlencode
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from instruments.duration import estimated_minutes
from kiosk.posters import invitation
from kiosk.posters import render_poster
from kiosk.qr import qr_png
from kiosk.qr import qr_svg
from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import ServicePoint
from survey_app.models import User
from survey_app.services.campaigns import get_campaign
from survey_app.services.errors import NotFound
from survey_app.services.instruments import instrument_of
from survey_app.services.scope import Action
from survey_app.services.scope import libraries_in_scope
from survey_app.services.scope import require_campaign
from survey_app.services.scope import require_library
from survey_app.services.scope import require_system
from survey_app.services.scope import resolve_library

__all__ = [
    "PosterFile",
    "PosterTarget",
    "poster_pdf",
    "qr_image",
    "resolve_target",
    "survey_links",
    "system_posters_zip",
]


@dataclass(frozen=True, slots=True)
class PosterTarget:
    """A campaign × library (× service point) a poster or QR code is made for."""

    campaign: Campaign
    library: Library
    service_point: ServicePoint | None = None


@dataclass(frozen=True, slots=True)
class PosterFile:
    """A file to download."""

    filename: str
    content: bytes
    mimetype: str


def survey_links(base_url: str, target: PosterTarget) -> tuple[str, str]:
    """Return ``(short link printed on the poster, link the QR code encodes)``.

    Raises
    ------
    ValueError
        When ``base_url`` is not an absolute http(s) URL.
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the public base URL must be absolute http(s), got {base_url!r}")
    base = base_url.strip().rstrip("/")
    path = f"/s/{quote(target.campaign.code, safe='')}/{quote(target.library.code, safe='')}"
    short = base + path
    query = {"ch": "qr"}
    if target.service_point is not None:
        query["sp"] = target.service_point.code
    return short, f"{short}?{urlencode(query)}"


def resolve_target(
    session: Session,
    campaign_ref: Campaign | int | str,
    library_ref: Library | int | str,
    *,
    service_point: str | None = None,
    actor: User | None = None,
) -> PosterTarget:
    """Find the campaign × library (× service point) in the actor's scope.

    Raises
    ------
    NotFound
        When the campaign or library does not exist, lies outside the scope, the library
        does not take part in the campaign, or the service point is not the library's.
    Forbidden
        When the actor's role may not download posters.
    """
    if actor is not None:
        campaign = require_campaign(session, actor, campaign_ref, Action.manage_posters)
        library = require_library(session, actor, library_ref, Action.manage_posters)
    else:
        campaign = get_campaign(session, campaign_ref)
        found = resolve_library(session, library_ref)
        if found is None:
            raise NotFound("No such library.")
        library = found
    if library not in campaign.libraries:
        raise NotFound("This library does not take part in the campaign.")
    point = None
    if service_point:
        point = next((p for p in library.service_points if p.code == service_point), None)
        if point is None:
            raise NotFound("No such service point.")
    return PosterTarget(campaign, library, point)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def _stem(target: PosterTarget) -> str:
    parts = [target.campaign.code, target.library.code]
    if target.service_point is not None:
        parts.append(target.service_point.code)
    return "-".join(_slug(part) for part in parts)


def _render(target: PosterTarget, base_url: str) -> bytes:
    short, qr = survey_links(base_url, target)
    printed = short.split("://", 1)[-1]
    campaign = target.campaign
    return render_poster(
        qr,
        short_url=printed,
        library_name=target.library.name,
        service_point=target.service_point.name if target.service_point else None,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        campaign_title=campaign.title,
        # "it takes 8–9 minutes": estimated from this campaign's instrument
        invitation=invitation(estimated_minutes(instrument_of(campaign.instrument_version))),
    )


def poster_pdf(target: PosterTarget, *, base_url: str) -> PosterFile:
    """Render the A4 poster of one campaign × library (× service point)."""
    return PosterFile(f"poster-{_stem(target)}.pdf", _render(target, base_url), "application/pdf")


def qr_image(target: PosterTarget, *, base_url: str, fmt: str) -> PosterFile:
    """Return the QR code of the survey link as ``"svg"`` or ``"png"``.

    Raises
    ------
    ValueError
        For another format.
    """
    _, qr = survey_links(base_url, target)
    if fmt == "svg":
        return PosterFile(f"qr-{_stem(target)}.svg", qr_svg(qr), "image/svg+xml")
    if fmt == "png":
        return PosterFile(f"qr-{_stem(target)}.png", qr_png(qr), "image/png")
    raise ValueError(f"fmt must be 'svg' or 'png', got {fmt!r}")


def system_posters_zip(
    session: Session,
    campaign_ref: Campaign | int | str,
    system_ref: int | str,
    *,
    base_url: str,
    actor: User | None = None,
) -> PosterFile:
    """Return one ZIP with the posters of every library of a system taking part in a campaign.

    Each library gets ``<campaign>-<library>.pdf`` and one poster per active service point.
    Libraries outside the actor's scope are left out.

    Raises
    ------
    NotFound
        When the campaign or system is unknown or out of scope, or no library of the system
        in scope takes part in the campaign.
    """
    if actor is not None:
        campaign = require_campaign(session, actor, campaign_ref, Action.manage_posters)
        system = require_system(session, actor, system_ref, Action.manage_posters)
        libraries = libraries_in_scope(session, actor, campaign.libraries)
    else:
        campaign = get_campaign(session, campaign_ref)
        found = session.get(LibrarySystem, system_ref) if isinstance(system_ref, int) else None
        if found is None:
            raise NotFound("No such library system.")
        system = found
        libraries = list(campaign.libraries)
    chosen = sorted(
        (lib for lib in libraries if lib.system_id == system.id), key=lambda lib: lib.code
    )
    if not chosen:
        raise NotFound("No library of this system takes part in the campaign.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for library in chosen:
            targets = [PosterTarget(campaign, library)]
            targets += [
                PosterTarget(campaign, library, point)
                for point in sorted(library.service_points, key=lambda p: p.code)
                if point.active
            ]
            for target in targets:
                info = zipfile.ZipInfo(f"{_stem(target)}.pdf", date_time=(2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, _render(target, base_url))
    name = f"posters-{_slug(campaign.code)}-{_slug(system.code)}.zip"
    return PosterFile(name, buffer.getvalue(), "application/zip")
