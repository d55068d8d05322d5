"""Kiosk mode: QR codes, printable posters and the tablet web app (``kiosk.webapp``).

Pure: no Flask, no database.
"""

from __future__ import annotations

from kiosk.qr import qr_png
from kiosk.qr import qr_svg

__all__ = ["qr_png", "qr_svg"]
