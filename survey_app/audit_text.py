"""The audit log in words: action names and details as sentences in the page's language.

The service stores stable action codes (``campaign.open``) and JSON details
(``{"lineage": {"new": 3}, "against": None}``); staff read "Campaign opened" and
"items compared with the previous version: 3 new".  Codes stay the filter values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

#: what each recorded action means
ACTION_LABELS: dict[str, Any] = {
    "user.create": _l("Account created"),
    "user.deactivate": _l("Account deactivated"),
    "user.activate": _l("Account reactivated"),
    "user.scope": _l("Role or scope changed"),
    "user.password_change": _l("Own password changed"),
    "user.password_reset": _l("Password reset"),
    "region.create": _l("Region created"),
    "system.create": _l("Library system created"),
    "system.update": _l("Library system changed"),
    "system.deactivate": _l("Library system deactivated"),
    "system.activate": _l("Library system reactivated"),
    "system.delete": _l("Library system deleted"),
    "library.create": _l("Library created"),
    "library.update": _l("Library changed"),
    "library.deactivate": _l("Library deactivated"),
    "library.activate": _l("Library reactivated"),
    "library.delete": _l("Library deleted"),
    "service_point.create": _l("Service point created"),
    "service_point.update": _l("Service point changed"),
    "service_point.deactivate": _l("Service point deactivated"),
    "service_point.delete": _l("Service point deleted"),
    "import.libraries": _l("Libraries imported"),
    "import.responses": _l("Responses imported"),
    "instrument.upload": _l("Instrument version uploaded"),
    "instrument.publish": _l("Instrument version published"),
    "campaign.create": _l("Campaign created"),
    "campaign.open": _l("Campaign opened"),
    "campaign.close": _l("Campaign closed"),
    "response.exclude": _l("Response excluded from analysis"),
    "response.restore": _l("Response restored to analysis"),
    "token.issue": _l("API token issued"),
    "token.revoke": _l("API token revoked"),
    "results.export": _l("Results exported"),
    "demo.seed": _l("Demo region seeded"),
    # the filter's groups
    "user": _l("Accounts (all)"),
    "region": _l("Regions (all)"),
    "system": _l("Library systems (all)"),
    "library": _l("Libraries (all)"),
    "service_point": _l("Service points (all)"),
    "import": _l("Imports (all)"),
    "instrument": _l("Instruments (all)"),
    "campaign": _l("Campaigns (all)"),
    "response": _l("Responses (all)"),
    "token": _l("API tokens (all)"),
    "results": _l("Results (all)"),
    "demo": _l("Demo region (all)"),
}

#: names of the detail fields
_KEYS: dict[str, Any] = {
    "role": _l("role"),
    "scope": _l("scope"),
    "before": _l("before"),
    "after": _l("after"),
    "reason": _l("reason"),
    "campaign": _l("campaign"),
    "library": _l("library"),
    "instrument": _l("instrument"),
    "libraries": _l("libraries"),
    "channels": _l("channels"),
    "choice": _l("libraries chosen"),
    "previous": _l("previous status"),
    "format": _l("format"),
    "sha256": _l("SHA-256"),
    "items": _l("items"),
    "created": _l("created"),
    "updated": _l("updated"),
    "unchanged": _l("unchanged"),
    "line": _l("line"),
    "code": _l("code"),
    "name": _l("name"),
    "system": _l("library system"),
    "type": _l("type"),
    "locality": _l("locality"),
    "address": _l("address"),
    "active": _l("active"),
    "rows": _l("rows"),
    "filename": _l("file"),
    "hint": _l("token begins"),
    "channel": _l("channel"),
    "responses": _l("number of responses"),
    "include_excluded": _l("with excluded responses"),
}

#: values that are codes
_VALUES: dict[str, Any] = {
    "draft": _l("draft"),
    "open": _l("open"),
    "closed": _l("closed"),
    "all": _l("all libraries"),
    "systems": _l("by library system"),
    "types": _l("by library type"),
    "yaml": _l("YAML"),
    "xlsform": _l("XLSForm"),
    "region": _l("whole region"),
    "admin": _l("Administrator"),
    "methodologist": _l("Methodologist"),
    "quality_manager": _l("Quality manager"),
    "library_staff": _l("Library staff"),
}

#: publishing compares each item with the previous version
_LINEAGE: dict[str, Any] = {
    "same": _l("unchanged (items)"),
    "reworded": _l("reworded (items)"),
    "new": _l("new (items)"),
}

#: the kinds of object an event concerns (the stored target is "kind:code")
_TARGETS: dict[str, Any] = {
    "user": _l("account"),
    "library": _l("library"),
    "system": _l("library system"),
    "region": _l("region"),
    "campaign": _l("campaign"),
    "service_point": _l("service point"),
    "instrument": _l("instrument"),
    "response": _l("response"),
    "token": _l("API token"),
}


def action_label(action: str) -> str:
    """Human name of an action code (the code itself when unknown)."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


#: reference ("library:CODE", "system:CODE") -> (name, the library's system's name or None),
#: as :func:`survey_app.services.audit.place_names` finds them
Names = Mapping[str, tuple[str, str | None]]


def place_text(ref: str, names: Names | None) -> str | None:
    """A library or library system by its name (a library with its system's name), or None
    when ``ref`` is neither or its code is no longer known."""
    found = (names or {}).get(ref)
    if found is None:
        return None
    name, system = found
    if ref.startswith("system:"):
        # names often carry their own quotes (МБУ «ЦБС г. Кемерово»): none added around them
        return _("library system: %(name)s", name=name)
    return _("library: %(name)s (%(system)s)", name=name, system=system or "—")


#: targets stored as plain words
_PLAIN_TARGETS: dict[str, Any] = {"demo region": _l("the demo region")}


def target_text(target: str, names: Names | None = None) -> str:
    """``"library:LIB-1"`` as "library: Name (System)" in the page's language, or as
    "library LIB-1" when ``names`` does not know the code."""
    if (text := place_text(target, names)) is not None:
        return text
    kind, sep, code = target.partition(":")
    if sep and kind in _TARGETS:
        return f"{_TARGETS[kind]} {code}"
    if target in _PLAIN_TARGETS:
        return str(_PLAIN_TARGETS[target])
    return target


def _value(value: Any, names: Names | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        if value in _VALUES:
            return str(_VALUES[value])
        if ":" in value:
            return target_text(value, names)
        return value
    if isinstance(value, list | tuple):
        return ", ".join(_value(v, names) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{_key(k)}: {_value(v, names)}" for k, v in value.items())
    return str(value)


def _key(key: str) -> str:
    label = _KEYS.get(key)
    return str(label) if label is not None else key


def detail_lines(details: Mapping[str, Any] | None, names: Names | None = None) -> list[str]:
    """Each detail of an event as a short phrase in the page's language (libraries and
    systems by the names in ``names``)."""
    lines: list[str] = []
    for key, value in sorted((details or {}).items()):
        if key == "against":
            lines.append(
                _("compared with version %(version)s", version=value)
                if value is not None
                else _("first published version: nothing to compare with")
            )
        elif key == "lineage" and isinstance(value, Mapping):
            counts = ", ".join(
                f"{_LINEAGE.get(kind, kind)}: {count}" for kind, count in sorted(value.items())
            )
            lines.append(_("items compared with the previous version: %(counts)s", counts=counts))
        elif key == "changes" and isinstance(value, Mapping):
            for name, change in sorted(value.items()):
                if isinstance(change, list | tuple) and len(change) == 2:
                    lines.append(
                        _(
                            "%(field)s: “%(old)s” → “%(new)s”",
                            field=_key(name),
                            old=_value(change[0], names),
                            new=_value(change[1], names),
                        )
                    )
                else:
                    lines.append(f"{_key(name)}: {_value(change, names)}")
        elif key == "library" and isinstance(value, str) and ":" not in value:
            # a library named by its bare code (an export's library)
            found = (names or {}).get(f"library:{value}")
            shown = f"{found[0]} ({found[1] or '—'})" if found is not None else value
            lines.append(f"{_key(key)}: {shown}")
        else:
            lines.append(f"{_key(key)}: {_value(value, names)}")
    return lines
