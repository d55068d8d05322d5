"""kiosk.qr: QR codes for survey links decode (with an independent decoder, zxing-cpp) to the URL.

Covers: SVG and PNG output, the quiet zone, input validation.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image
from PIL import ImageDraw

from kiosk.qr import MAX_URL_LENGTH
from kiosk.qr import qr_png
from kiosk.qr import qr_svg

URL = "https://survey.example.org/s/spring-2026/kem-cb?ch=qr"
SVG_NS = "{http://www.w3.org/2000/svg}"


def rasterise_svg(svg: bytes, scale: int = 8) -> Image.Image:
    """Draw the SVG's rectangles (``M x,y H x2 V y2 H x z`` path segments) onto a white image.

    A tiny rasteriser for the one shape qrcode's path images use; independent of kiosk.qr.
    """
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    image = Image.new("L", (int(width * scale), int(height * scale)), 255)
    draw = ImageDraw.Draw(image)
    path = root.find(f"{SVG_NS}path")
    assert path is not None
    segments = re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z", path.attrib["d"])
    assert segments, "no rectangles found in the path"
    for x1, y1, x2, y2, _x3 in segments:
        box = [float(x1) * scale, float(y1) * scale, float(x2) * scale - 1, float(y2) * scale - 1]
        draw.rectangle(box, fill=0)
    return image


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_qr_svg__decodes_to_the_url() -> None:
    svg = qr_svg(URL)
    assert svg.startswith(b"<?xml")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    # white background rectangle so the code scans on a coloured poster
    rect = root.find(f"{SVG_NS}rect")
    assert rect is not None and rect.attrib["fill"] == "white"
    assert decode(rasterise_svg(svg)) == [URL]


def test_qr_svg__has_a_four_module_quiet_zone() -> None:
    root = ET.fromstring(qr_svg(URL))
    _, _, width, _ = (float(v) for v in root.attrib["viewBox"].split())
    coords = [float(x) for x in re.findall(r"M([\d.]+),", root.find(f"{SVG_NS}path").attrib["d"])]
    assert min(coords) == 4
    # a version-N symbol is 17 + 4N modules wide; with the border the view box adds 8
    assert (width - 8 - 17) % 4 == 0


def test_qr_png__decodes_to_the_url() -> None:
    png = qr_png(URL)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert decode(image.convert("L")) == [URL]


def test_qr_png__box_size_sets_the_pixel_size() -> None:
    small = Image.open(io.BytesIO(qr_png(URL, box_size=2)))
    large = Image.open(io.BytesIO(qr_png(URL, box_size=6)))
    assert large.size[0] == 3 * small.size[0]
    assert decode(large.convert("L")) == [URL]


def test_qr_svg__cyrillic_url_round_trips() -> None:
    url = "https://опрос.example/s/весна/цб?ch=qr"
    assert decode(rasterise_svg(qr_svg(url))) == [url]


@pytest.mark.parametrize(
    ("url", "error"),
    [
        (None, TypeError),
        (b"https://x", TypeError),
        ("", ValueError),
        ("   ", ValueError),
        ("x" * (MAX_URL_LENGTH + 1), ValueError),
    ],
)
def test_qr_svg__rejects_bad_urls(url: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        qr_svg(url)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"box_size": 0}, ValueError),
        ({"box_size": 101}, ValueError),
        ({"box_size": 2.5}, TypeError),
        ({"border": 3}, ValueError),
        ({"border": True}, TypeError),
    ],
)
def test_qr_png__rejects_bad_sizes(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        qr_png(URL, **kwargs)  # type: ignore[arg-type]
