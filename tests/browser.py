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


# ------------------------------------------------------------------ accessibility audit (axe-core)

#: The rules of WCAG 2.0 and 2.1, levels A and AA (axe-core's tags): what schools ask of a tool
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, exclude: tuple[str, ...] = ()) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on ``page`` as it is now: for each, its rule id,
    impact, help text and the nodes that fail (their target selectors and axe's summary of why).
    ``exclude``: CSS selectors of markup left out of the audit (each with its reason where it is
    passed). axe-core comes bundled with axe-playwright-python and runs in the page: the audit asks
    nothing of the network, and fails if the page made any request off this machine meanwhile."""
    from urllib.parse import urlsplit

    from axe_playwright_python.base import AXE_SCRIPT

    requests: list[str] = []
    watch = lambda request: requests.append(request.url)  # noqa: E731
    page.on("request", watch)
    try:
        page.evaluate(AXE_SCRIPT)
        context = {"include": [["html"]], "exclude": [[selector] for selector in exclude]}
        options = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
        results = page.evaluate("([context, options]) => axe.run(context, options)", [context, options])
    finally:
        page.remove_listener("request", watch)
    away = [url for url in requests if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1", None)]
    assert not away, f"the audit made requests off this machine: {away}"
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [
                {"target": " ".join(map(str, node["target"])), "summary": node.get("failureSummary", "")}
                for node in v["nodes"]
            ],
        }
        for v in results["violations"]
    ]


def axe_report(violations: list[dict], where: str = "") -> str:
    """``violations`` (of :func:`axe_violations`) as lines to read: a rule a line with its impact and
    the number of nodes, then each node's selector and why it fails."""
    if not violations:
        return f"{where}: no WCAG 2.1 A/AA violation"
    lines = [f"{where}: {len(violations)} WCAG 2.1 A/AA rule(s) violated"]
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}, {len(v['nodes'])} node(s)): {v['help']}")
        for node in v["nodes"]:
            why = " / ".join(line.strip() for line in node["summary"].splitlines()[1:] if line.strip())
            lines.append(f"    {node['target']}: {why}")
    return "\n".join(lines)
