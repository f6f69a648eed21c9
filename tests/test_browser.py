"""The HTML maps in a real browser: Debian's Chromium, headless, driven by Playwright, no network.

Builds the maps of a real run (bundled si-gun-gu, synthetic demo data, 99 permutations),
opens the index, a sector map and the contrast page through file:// URLs, and checks that
each map drew one path per region with the expected colours, that the legends show, that
tooltips carry p and q, that the two contrast maps move together, that the console shows
no error, and that no request left the machine (every request that is not file:, data:,
blob: or about: is blocked, recorded and fails the test). Screenshots go to test-artifacts/
(gitignored).

Needs /usr/bin/chromium (Debian package ``chromium``) and the ``playwright`` package (test
extra; its own browsers are never installed or downloaded). Without them the tests skip
locally but FAIL when the environment variable CI is set.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from system_programs import require

from kibs_spatial.outputs.maps import write_maps

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECTOR = "732"
# docs/MAPS.md: LQ classes (upper bounds inclusive) and their colours, no data grey.
LQ_BREAKS = [0.5, 0.8, 1.25, 2.0, 4.0]
LQ_COLOURS = ["#5e3c99", "#b2abd2", "#f7f7f7", "#fdb863", "#e66101", "#7f2704"]
NO_DATA = "#969696"


def _require(what: str, available: bool) -> None:
    require(available, f"{what} is needed for the browser tests (Debian's chromium, the test extra)")


@pytest.fixture(scope="module")
def sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    _require("the playwright package", sync_playwright is not None)
    _require(str(CHROMIUM), CHROMIUM.exists())
    return sync_playwright


@pytest.fixture(scope="module")
def built(tmp_path_factory, demo_result):
    maps_dir = tmp_path_factory.mktemp("browser") / "maps"
    write_maps(demo_result, maps_dir)
    return demo_result, maps_dir


@pytest.fixture(scope="module")
def browser(sync_playwright, tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900}, service_workers="block")
        yield context
        context.close()


class Visit:
    """One page opened in the browser, with its console errors and every request it attempted."""

    def __init__(self, context, path: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.page = context.new_page()
        self.page.route(re.compile(r"^(?!file:|data:|blob:|about:).*"), self._block)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_timeout(300)

    def _block(self, route) -> None:
        self.blocked.append(route.request.url)
        route.abort()

    def check_offline_and_clean(self) -> None:
        non_local = [u for u in self.requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
        assert non_local == [] and self.blocked == [], f"non-local requests: {non_local or self.blocked}"
        assert self.errors == [], f"console errors: {self.errors}"


def _expected_lq_colours(lq: pd.Series) -> Counter:
    """Colours the LQ layer should show, from the breaks in docs/MAPS.md (not from the maps code)."""
    colours = []
    for value in lq:
        if not np.isfinite(value):
            colours.append(NO_DATA)
        else:
            colours.append(LQ_COLOURS[sum(value > b for b in LQ_BREAKS)])
    return Counter(colours)


def _fill_colours(page, pane_selector: str) -> list[str]:
    return page.eval_on_selector_all(f"{pane_selector} .leaflet-kibsFill-pane path",
                                     "els => els.map(e => e.getAttribute('fill'))")


def test_index_links_every_map_and_the_contrast_page(browser, built):
    run, maps_dir = built
    visit = Visit(browser, maps_dir / "index.html")
    links = visit.page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    assert set(links) == {f"sector_{s.ksic}.html" for s in run.sectors} | {"contrast.html"}
    assert all((maps_dir / link).exists() for link in links)
    assert "Synthetic demo data" in visit.page.inner_text("body")
    visit.page.screenshot(path=str(ARTIFACTS / "browser_index.png"), full_page=True)
    visit.check_offline_and_clean()


def test_sector_map_draws_every_region_with_legend_and_tooltip(browser, built):
    run, maps_dir = built
    visit = Visit(browser, maps_dir / f"sector_{SECTOR}.html")
    page = visit.page
    fills = _fill_colours(page, "")
    assert len(fills) == len(run.regions)  # one path per region in the fill layer shown (LQ)
    latest = run.latest()
    table = run.regions[["region_code"]].merge(latest[latest["ksic"] == SECTOR], on="region_code",
                                               how="left")
    assert Counter(fills) == _expected_lq_colours(table["lq"].astype(float))
    titles = [t.split("\n")[0] for t in page.locator(".kibs-legend:visible").all_inner_texts()]
    assert titles.count("Location quotient (LQ)") == 1 and "LISA clusters" not in titles
    promising = int(table["promising"].fillna(False).astype(bool).sum())
    assert page.locator(".leaflet-kibsMarker-pane path").count() == promising

    box = page.locator(".folium-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45)
    page.wait_for_selector(".leaflet-tooltip", timeout=5000)
    tip = page.inner_text(".leaflet-tooltip")
    assert re.search(r"LQ: ", tip) and re.search(r"\(p [^,]+, q ", tip) and "Employees:" in tip

    page.get_by_label("LISA clusters").check()
    visible = [t.split("\n")[0] for t in page.locator(".kibs-legend:visible").all_inner_texts()]
    assert "LISA clusters" in visible and "Location quotient (LQ)" not in visible
    lisa_colours = Counter(_fill_colours(page, ""))
    assert lisa_colours["#d7191c"] == int((table["lisa_cl"] == "HH").sum())
    page.get_by_label("Location quotient (LQ)").check()
    page.screenshot(path=str(ARTIFACTS / f"browser_sector_{SECTOR}.png"))
    visit.check_offline_and_clean()


def _combined_lq(run, kind: str) -> pd.Series:
    """LQ of all sectors of one kind together: summed employees over total employment, per unit."""
    ksic = [s.ksic for s in run.sectors if s.kind == kind]
    rows = run.latest()[run.latest()["ksic"].isin(ksic)]
    employees = rows.groupby("region_code")["employees"].sum(min_count=len(ksic))
    totals = rows.groupby("region_code")["total_employees"].first()
    national = employees.sum() / totals[employees.notna()].sum()
    return (employees / totals / national).reindex(run.regions["region_code"])


def _map_views(page) -> list[list[float]]:
    return page.evaluate("""() => Object.keys(window)
        .filter(k => k.startsWith('map_') && window[k] instanceof L.Map).sort()
        .map(k => { const c = window[k].getCenter(); return [c.lat, c.lng, window[k].getZoom()]; })""")


def test_contrast_page_two_synchronised_maps(browser, built):
    run, maps_dir = built
    visit = Visit(browser, maps_dir / "contrast.html")
    page = visit.page
    maps = page.locator(".folium-map")
    assert maps.count() == 2
    left, right = maps.nth(0).bounding_box(), maps.nth(1).bounding_box()
    assert left["width"] > 500 and right["x"] >= left["x"] + left["width"] - 1  # side by side
    assert abs(left["height"] - right["height"]) < 1 and left["height"] > 400
    for i in range(2):
        assert maps.nth(i).locator(".leaflet-kibsFill-pane path").count() == len(run.regions)
        assert maps.nth(i).locator(".leaflet-kibsOutline-pane path").count() >= 2  # sido + Gangnam area
        titles = [t.split("\n")[0] for t in maps.nth(i).locator(".kibs-legend:visible").all_inner_texts()]
        assert f"{('Professional', 'Technology')[i]} KIBS: LQ" in titles and "Outlined" in titles
    header = page.inner_text(".kibs-header")
    assert "Gangnam area" in header and "Synthetic demo data" in header
    # The two sides differ: professional and technology KIBS are not distributed alike.
    colours = [maps.nth(i).locator(".leaflet-kibsFill-pane path").evaluate_all(
        "els => els.map(e => e.getAttribute('fill'))") for i in range(2)]
    for i, kind in enumerate(("professional", "technology")):
        assert Counter(colours[i]) == _expected_lq_colours(_combined_lq(run, kind))
    assert colours[0] != colours[1]

    before = _map_views(page)
    assert len(before) == 2 and before[0] == pytest.approx(before[1])
    page.mouse.move(left["x"] + left["width"] / 2, left["y"] + left["height"] / 2)
    page.mouse.down()
    page.mouse.move(left["x"] + left["width"] / 2 + 150, left["y"] + left["height"] / 2 + 80, steps=8)
    page.mouse.up()
    page.mouse.dblclick(right["x"] + right["width"] / 2, right["y"] + right["height"] / 2)
    page.wait_for_timeout(600)
    after = _map_views(page)
    assert after[0] != pytest.approx(before[0])  # the drag moved the left map...
    assert after[0] == pytest.approx(after[1], abs=1e-9)  # ...and the zoom on the right followed on both
    assert after[0][2] == before[0][2] + 1
    page.get_by_text("Gangnam area", exact=True).first.click()
    page.wait_for_timeout(600)
    zoomed = _map_views(page)
    assert zoomed[0][2] >= 10 and zoomed[0] == pytest.approx(zoomed[1], abs=1e-9)
    assert 37.45 < zoomed[0][0] < 37.53 and 127.0 < zoomed[0][1] < 127.1  # centred on 강남구 + 서초구
    page.screenshot(path=str(ARTIFACTS / "browser_contrast.png"))
    visit.check_offline_and_clean()
