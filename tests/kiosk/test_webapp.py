"""The kiosk web app's files as kiosk.webapp hands them to the route.

The shell and the service worker carry the app version (a digest of every file); the worker's
cache list names exactly the assets served; no file asks for anything outside the kiosk's own
origin; the first visit stays under 100 KB compressed; the shell obeys the Content-Security-Policy
(no inline script, style or event handler).
"""

from __future__ import annotations

import gzip
import json
import re
from importlib import resources

from kiosk import webapp

STATIC = resources.files("kiosk").joinpath("static")


def test_app_version__is_written_into_the_shell_and_the_service_worker() -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", webapp.APP_VERSION)
    assert f'content="{webapp.APP_VERSION}"'.encode() in webapp.shell()
    worker = webapp.service_worker().decode()
    assert f'const VERSION = "{webapp.APP_VERSION}";' in worker
    assert "__KIOSK" not in worker and b"__KIOSK" not in webapp.shell()


def test_service_worker__caches_every_asset_and_the_manifest() -> None:
    worker = webapp.service_worker().decode()
    listed = json.loads(re.search(r"const ASSETS = (\[.*?\]);", worker).group(1))
    assert sorted(listed) == sorted(
        ["/kiosk/manifest.webmanifest", *(f"/kiosk/assets/{name}" for name in webapp.ASSETS)]
    )


def test_asset__serves_the_listed_files_with_their_type_and_nothing_else() -> None:
    body, kind = webapp.asset("kiosk.js")
    assert kind == "text/javascript" and body.startswith(b"// The kiosk app")
    assert webapp.asset("icon-192.png")[0][:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("../webapp.py", "sw.js", "index.html", "", "assets/kiosk.js"):
        assert webapp.asset(name) is None
    on_disk = {p.name for p in STATIC.joinpath("assets").iterdir()}
    assert on_disk == set(webapp.ASSETS)


def test_every_file__asks_for_nothing_outside_the_kiosk() -> None:
    bodies = [webapp.shell(), webapp.service_worker(), webapp.manifest()]
    bodies += [webapp.asset(name)[0] for name in webapp.ASSETS if not name.endswith(".png")]
    for body in bodies:
        urls = re.findall(rb"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", body)
        # the only absolute URL is the SVG namespace, an identifier that is never fetched
        assert set(urls) <= {b"http://www.w3.org/2000/svg"}, urls
    for name in webapp.ASSETS:
        if name.endswith(".js"):
            imports = re.findall(rb'from "([^"]+)"', webapp.asset(name)[0])
            assert all(i.startswith(b"./") for i in imports), (name, imports)


def test_shell__has_no_inline_script_style_or_handler() -> None:
    html = webapp.shell().decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "<style" not in html and "style=" not in html
    assert re.search(r"\son\w+=", html) is None


def test_transfer_size__first_visit_is_under_100_kb_compressed() -> None:
    sizes = webapp.transfer_size()
    shell = webapp.shell()
    assert sizes["/kiosk"] == len(gzip.compress(shell, 9, mtime=0))
    assert sizes["total"] == sum(v for k, v in sizes.items() if k != "total")
    assert sizes["total"] < 100 * 1024


def test_manifest__starts_the_kiosk_full_screen_in_its_scope() -> None:
    manifest = json.loads(webapp.manifest())
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/kiosk",
        "/kiosk",
        "fullscreen",
    )
    for icon in manifest["icons"]:
        assert icon["src"].removeprefix("/kiosk/assets/") in webapp.ASSETS
