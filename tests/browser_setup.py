"""Install the browser the real-browser tests drive: Debian's Chromium (``/usr/bin/chromium``).

Playwright's own browser download is not used (it cannot run on machines without general
internet access); pytest-playwright is pointed at this binary in ``tests/browser/conftest.py``.
Run as ``python -m tests.browser_setup``; it does nothing when Chromium is already there.

When Chromium is missing and cannot be installed here (not root, no apt-get, or apt-get
fails) it says so in one line, with what to do, and exits with status 1: the README's test
command stops there instead of running a suite whose browser tests would all be skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def _cannot(reason: str) -> int:
    print(
        f"browser: {CHROMIUM} is missing and {reason}; install Debian's 'chromium' package "
        "(as root: apt-get install chromium), then run the tests again.",
        file=sys.stderr,
    )
    return 1


def main() -> int:
    """Install Chromium with apt-get when it is missing; return the exit status."""
    if os.path.exists(CHROMIUM):
        print(f"browser: {CHROMIUM} present")
        return 0
    if shutil.which("apt-get") is None:
        return _cannot("this machine has no apt-get to install it with")
    if os.geteuid() != 0:
        return _cannot("installing it with apt-get needs root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "chromium"],
    ):
        done = subprocess.run(command, env=env, check=False)
        if done.returncode != 0:
            return _cannot(f"'{' '.join(command)}' failed with status {done.returncode}")
    if not os.path.exists(CHROMIUM):
        return _cannot("apt-get installed 'chromium' but not at this path")
    print(f"browser: installed {CHROMIUM}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
