"""The console's first load stays small: the script and the modules index.html preloads (the
shell, Vue, Element Plus), gzipped, under 500 KB; charts and pages load with their routes."""

from __future__ import annotations

import gzip
import re

from devstack.catalogue import ROOT

DIST = ROOT / "console" / "dist"
LIMIT = 500 * 1024


def test_initial_javascript_is_under_500_kb_gzipped():
    index = (DIST / "index.html").read_text()
    initial = re.findall(r'(?:src|href)="/console/(assets/[^"]+\.js)"', index)
    assert initial, index
    size = sum(len(gzip.compress((DIST / name).read_bytes(), 9)) for name in initial)
    assert size < LIMIT, f"{size} bytes gzipped: {initial}"
    assert not any("charts" in name for name in initial)  # ECharts loads with the dashboard
