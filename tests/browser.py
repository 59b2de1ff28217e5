#!/usr/bin/env python3
"""Loads a page in Debian's Chromium (headless, over WebDriver with selenium) and
reports on it as JSON, for verdict's browser tests.

    browser.py URL [--width 375] [--dark] [--axe AXE_JS] [--eval JS]... [--type SELECTOR TEXT]
               [--submit SELECTOR] [--visit URL SUBMIT]... [--max-seconds 60]

Prints one JSON object: the page's final URL and title, its console errors, the
document's scroll and client widths, the axe-core violations (WCAG 2.1 A and AA
rules) when --axe names axe.min.js, and the value of each --eval script (run as
a function body, after the page and any typing and submitting). Each --visit
loads one more page in the same browser (pressing SUBMIT there, unless it is
"-") and reports on it alike, in the list "visits". Chromium runs with a fresh
profile and no background networking; it only ever loads the URLs given (on
127.0.0.1 or file://), and the whole run ends after --max-seconds.
"""

import argparse
import json
import os
import signal
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--axe")
    parser.add_argument("--eval", action="append", default=[])
    parser.add_argument("--type", nargs=2, action="append", default=[], metavar=("SELECTOR", "TEXT"))
    parser.add_argument("--submit")
    parser.add_argument("--visit", nargs=2, action="append", default=[], metavar=("URL", "SUBMIT"))
    parser.add_argument("--screenshot")
    parser.add_argument("--max-seconds", type=float, default=60)
    args = parser.parse_args()
    for url in [args.url] + [url for url, _ in args.visit]:
        if not (url.startswith("file://") or url.startswith("http://127.0.0.1")):
            sys.exit("browser.py only loads file:// and http://127.0.0.1 pages")
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("browser.py ran out of time"))
    signal.alarm(int(args.max_seconds))

    profile = tempfile.mkdtemp(prefix="verdict-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("VERDICT_TEST_CHROMIUM", "/usr/bin/chromium")
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile,
                 "--window-size=%d,%d" % (args.width, args.height)]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=os.environ.get("VERDICT_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(args.max_seconds)
        # The viewport itself, not the window, is the width under test.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": args.width, "height": args.height, "deviceScaleFactor": 1, "mobile": args.width < 600})
        if args.dark:
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
                "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        report = look_at(driver, args, args.url, args.type, args.submit, args.screenshot)
        report["visits"] = [look_at(driver, args, url, [], None if submit == "-" else submit, None)
                            for url, submit in args.visit]
        print(json.dumps(report))
    finally:
        driver.quit()


def look_at(driver, args, url, typing, submit, screenshot):
    """Loads url, types and submits, and reports on the page it ends on."""
    driver.get(url)
    for selector, text in typing:
        driver.find_element(By.CSS_SELECTOR, selector).send_keys(text)
    if submit:
        driver.find_element(By.CSS_SELECTOR, submit).click()
    report = {
        "url": driver.current_url,
        "title": driver.title,
        "scroll_width": driver.execute_script("return document.documentElement.scrollWidth"),
        "client_width": driver.execute_script("return document.documentElement.clientWidth"),
        "eval": [driver.execute_script(script) for script in args.eval],
    }
    if args.axe:
        with open(args.axe) as f:
            driver.execute_script(f.read())
        result = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.html.slice(0, 200) + ' | ' + n.failureSummary)}))))"
            ".catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));")
        report["axe"] = result
    if screenshot:
        driver.save_screenshot(screenshot)
    report["console_errors"] = [entry["message"] for entry in driver.get_log("browser")
                                if entry["level"] == "SEVERE"]
    return report


if __name__ == "__main__":
    main()
