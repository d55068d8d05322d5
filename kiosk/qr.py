"""QR codes for survey links: SVG (for posters, scales without loss) and PNG (for messengers).

Pure: takes a URL string, returns bytes.  Knows nothing of Flask or of the survey routes;
the web layer decides which URL to encode.
"""

from __future__ import annotations

import io
from typing import Any

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathFillImage

__all__ = ["MAX_URL_LENGTH", "qr_png", "qr_svg"]

#: longest URL accepted; a QR code of a longer link gets too dense to scan from a poster
MAX_URL_LENGTH = 1000


def _code(url: str, border: int) -> qrcode.QRCode[Any]:
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {type(url).__name__}")
    if not url.strip():
        raise ValueError("url must not be empty")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"url has {len(url)} characters; at most {MAX_URL_LENGTH} allowed")
    if isinstance(border, bool) or not isinstance(border, int):
        raise TypeError("border must be an int")
    if border < 4:
        raise ValueError(
            "border must be at least 4 modules (the quiet zone ISO/IEC 18004 asks for)"
        )
    # level M survives ~15 % damage: enough for a scuffed poster, still a small symbol
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_svg(url: str, *, border: int = 4) -> bytes:
    """Encode ``url`` as a QR code in SVG.

    Parameters
    ----------
    url : str
        The link to encode (at most :data:`MAX_URL_LENGTH` characters).
    border : int, default 4
        Quiet zone around the symbol, in modules (at least 4).

    Returns
    -------
    bytes
        A UTF-8 SVG document: a white background and one black path, one unit per module,
        so it scales to any poster size without loss.

    Raises
    ------
    TypeError
        ``url`` is not a string or ``border`` not an int.
    ValueError
        ``url`` is empty or too long, or ``border`` is below 4.
    """
    image = _code(url, border).make_image(image_factory=SvgPathFillImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_png(url: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """Encode ``url`` as a QR code in PNG.

    Parameters
    ----------
    url : str
        The link to encode (at most :data:`MAX_URL_LENGTH` characters).
    box_size : int, default 10
        Pixels per module (1 to 100).
    border : int, default 4
        Quiet zone around the symbol, in modules (at least 4).

    Returns
    -------
    bytes
        A black-on-white PNG image.

    Raises
    ------
    TypeError
        ``url`` is not a string, or ``box_size``/``border`` not an int.
    ValueError
        ``url`` is empty or too long, ``box_size`` outside 1..100, or ``border`` below 4.
    """
    if isinstance(box_size, bool) or not isinstance(box_size, int):
        raise TypeError("box_size must be an int")
    if not 1 <= box_size <= 100:
        raise ValueError(f"box_size must lie in 1..100, got {box_size}")
    code = _code(url, border)
    code.box_size = box_size
    image = code.make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
