"""The console's dashboard with 100,000 tickets in the dev stack (issue 13): the whole suite
(devstack/launch.py, as `make up` runs it), reporting's facts grown to `--tickets` generated
tickets of the past year (bench/reporting.py's generator, COPYed in), then the platform admin
opens 服务统计 in Debian's chromium `--runs` times. Prints, per run, the first contentful paint
and the time until every chart holds its numbers (from the navigation's start), and the
JavaScript transferred.

`python -m bench.console_dashboard [--tickets 100000] [--runs 7]`
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import tempfile
from datetime import date
from pathlib import Path

from playwright.async_api import Page, async_playwright

from bench.reporting import grow_facts
from devstack.launch import start_suite
from devstack.postgres import database_url, libpq_url

CHROMIUM = "/usr/bin/chromium"
CHARTS = ("volume", "top", "durations", "satisfaction", "workload")
# Every chart has drawn its series and no list is loading.
READY = (
    "() => { const charts = [...document.querySelectorAll('[data-chart]')];"
    " const masks = [...document.querySelectorAll('.el-loading-mask')].filter(e => e.offsetParent);"
    f" return charts.length === {len(CHARTS)} && masks.length === 0 &&"
    " charts.every(c => JSON.parse(c.dataset.series).series.some(s => s.data.length > 0)); }"
)


async def open_dashboard(page: Page, base: str) -> tuple[float, float, int]:
    await page.goto(f"{base}/console/dashboard")
    await page.wait_for_function(READY, timeout=60_000, polling=20)
    timing = await page.evaluate(
        """() => ({
          paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
          now: performance.now(),
          script: performance.getEntriesByType('resource')
            .filter(r => r.initiatorType === 'script' || r.name.endsWith('.js'))
            .reduce((sum, r) => sum + (r.encodedBodySize || 0), 0),
        })"""
    )
    return timing["paint"], timing["now"], timing["script"]


async def measure(base: str, runs: int) -> list[tuple[float, float, int]]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        context = await browser.new_context(viewport={"width": 1440, "height": 900})
        page = await context.new_page()
        await page.goto(f"{base}/console/login")
        await page.fill("input[name=login]", "admin")
        await page.fill("input[name=password]", "admin-demo-2026")
        await page.click("[data-test=submit]")
        await page.wait_for_selector("[data-test=who]")
        await open_dashboard(page, base)  # warm: the server's caches and plans
        results = []
        for _ in range(runs):
            await page.goto("about:blank")
            results.append(await open_dashboard(page, base))
        await browser.close()
        return results


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        suite = start_suite(Path(folder))
        try:
            reporting = libpq_url(database_url(suite.database_server_url(), "reporting"))
            added, seconds = grow_facts(reporting, args.tickets, seed=13)
            print(f"reporting facts: +{added:,} generated tickets in {seconds:.0f} s")
            results = await measure(suite.base_url, args.runs)
        finally:
            suite.stop()
    print(f"{date.today()}, {platform.machine()}, {platform.python_version()}")
    for paint, ready, script in results:
        print(
            f"first paint {paint:6.0f} ms   charts ready {ready:6.0f} ms   js {script // 1024} KB"
        )
    paints = sorted(r[0] for r in results)
    ready = sorted(r[1] for r in results)
    print(
        f"median: first paint {statistics.median(paints):.0f} ms, charts ready "
        f"{statistics.median(ready):.0f} ms (max {ready[-1]:.0f} ms); target: first paint < 1.5 s"
    )


if __name__ == "__main__":
    asyncio.run(main())
