"""Install the browser the real-browser tests drive: Debian's Chromium (``/usr/bin/chromium``).

Playwright's own browser download is not used (it cannot run on machines without general
internet access); pytest-playwright is pointed at this binary in ``tests/conftest.py``.
Run as ``python -m tests.browser_setup``; it does nothing when Chromium is already there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    """Install Chromium with apt-get when it is missing; return the exit status."""
    if os.path.exists(CHROMIUM):
        print(f"browser: {CHROMIUM} present")
        return 0
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(
            f"browser: {CHROMIUM} missing and cannot install it here (needs root and apt-get); "
            "install Debian's 'chromium' package, or the browser tests will be skipped.",
            file=sys.stderr,
        )
        return 0 if os.environ.get("CI") != "true" else 1
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    print(f"browser: installed {CHROMIUM}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
