"""Screenshots of the main pages for the docs (``make screenshots``).

    python -m bench.screenshots [--out var/screenshots] [--languages en,ru,zh-hans]
                                [--sizes 1280x900,390x844] [--keep DIR]

Starts the demo as ``make run`` would (``frontline migrate``, ``frontline demo``,
``frontline serve``, in a temporary folder of its own, so the developer's
database is left alone), then drives Debian's Chromium through Playwright, as
the browser tests do, and saves each page, full length, at each size and in
each language as ``<language>-<page>-<width>.png`` in ``--out`` (``var/`` is
ignored by git). Pages: the desk's queue, a ticket, the reports (as the demo
supervisor), the customer portal and the help centre (as a demo customer).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import REPO_DIR
from bench.common import demo_environment, free_port, run_frontline, serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
DEMO_PASSWORD = "demo"  # noqa: S105 - the demo's own, see frontline.ops.demo
STAFF, CUSTOMER = "sam", "carol"


def log(msg: str) -> None:
    print(f"[bench.screenshots] {msg}", flush=True)


def _sign_in(page, site: str, username: str) -> None:
    page.goto(f"{site}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shoot(site: str, out: Path, languages: list[str], sizes: list[tuple[int, int]]) -> list[Path]:
    """Every page at every size in every language; the files written."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for language in languages:
                for width, height in sizes:
                    for username, pages in ((STAFF, _staff_pages), (CUSTOMER, _customer_pages)):
                        context = browser.new_context(viewport={"width": width, "height": height})
                        context.add_cookies(
                            [{"name": "django_language", "value": language, "url": site}]
                        )
                        try:
                            page = context.new_page()
                            _sign_in(page, site, username)
                            for name, path in pages(page, site):
                                page.goto(site + path)
                                page.wait_for_load_state("networkidle")
                                target = out / f"{language}-{name}-{width}.png"
                                page.screenshot(path=str(target), full_page=True)
                                written.append(target)
                                log(f"{target.name} ({path})")
                        finally:
                            context.close()
        finally:
            browser.close()
    return written


def _staff_pages(page, site: str) -> list[tuple[str, str]]:
    page.goto(f"{site}/desk/q/open/")
    first = page.locator("a[href^='/desk/tickets/']").first.get_attribute("href") or "/desk/"
    return [("desk-queue", "/desk/q/open/"), ("desk-ticket", first), ("reports", "/desk/reports/")]


def _customer_pages(page, site: str) -> list[tuple[str, str]]:
    return [("portal", "/portal/"), ("help", "/help/")]


def _size(text: str) -> tuple[int, int]:
    width, _x, height = text.partition("x")
    return int(width), int(height)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_DIR / "var" / "screenshots")
    parser.add_argument("--languages", default="en,ru,zh-hans")
    parser.add_argument("--sizes", default="1280x900,390x844")
    args = parser.parse_args(argv)
    languages = [code for code in args.languages.split(",") if code]
    sizes = [_size(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        env = demo_environment(Path(tmp))
        log("loading the demo")
        run_frontline(env, "migrate", "--noinput", "-v", "0")
        run_frontline(env, "demo", "--if-empty")
        port = free_port()
        env["SITE_URL"] = f"http://127.0.0.1:{port}"
        with serving(env, port=port, timeout=120):
            written = shoot(f"http://127.0.0.1:{port}", args.out, languages, sizes)
    log(f"{len(written)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
