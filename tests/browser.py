"""What the browser tests share: a free local port, and Debian's Chromium through Playwright
(Playwright's own browser download does not work offline); a test skips, saying why, only where
no Chromium is found."""

from __future__ import annotations

import shutil
import socket

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_chromium(playwright):
    """Headless Debian Chromium, or a skip that says how to install it."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no Chromium on this machine: `apt-get install chromium` (make test does it when run as root)")
    return playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
