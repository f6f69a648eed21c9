"""The HTML maps in a real browser: Debian's Chromium, headless, driven by Playwright, no network.

Builds the maps and the report of a real run (bundled si-gun-gu, synthetic demo data, 99
permutations, two periods), opens them through file:// URLs, and checks what a user sees: that
each map drew one path per region with the expected colours, that a sector page opens on its
significant units with their names on the map, that the legends, tooltips and the period switch
follow the chosen period, that the two contrast maps move together, that the report shows its
maps and links the maps, that the console shows no error, and that no request left the machine
(every request that is not file:, data:, blob: or about: is blocked, recorded and fails the
test). Screenshots of every page go to test-artifacts/browser/ (gitignored).

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
from kibs_spatial.outputs.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECTOR = "732"
# docs/MAPS.md: LQ classes (upper bounds inclusive) and their colours, no data grey.
LQ_BREAKS = [0.5, 0.8, 1.25, 2.0, 4.0]
LQ_COLOURS = ["#c6dbef", "#e7f0f8", "#f7f7f7", "#fdbe85", "#e6550d", "#7f2704"]
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
    out = tmp_path_factory.mktemp("browser") / "out"
    maps_dir = out / "maps"
    report = write_report(demo_result, out / "report.html", maps_index=maps_dir / "index.html")
    write_maps(demo_result, maps_dir, report=report)
    return demo_result, maps_dir


@pytest.fixture(scope="module")
def browser(sync_playwright, tmp_path_factory):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900}, service_workers="block")
        yield context
        context.close()


class Visit:
    """One page opened in the browser, with its console errors and every request it attempted."""

    def __init__(self, context, path: Path, wait_ms: int = 300) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.page = context.new_page()
        self.page.route(re.compile(r"^(?!file:|data:|blob:|about:).*"), self._block)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_timeout(wait_ms)

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


def test_index_links_every_map_the_contrast_page_and_the_report(browser, built):
    run, maps_dir = built
    visit = Visit(browser, maps_dir / "index.html")
    links = visit.page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    assert set(links) == {f"sector_{s.ksic}.html" for s in run.sectors} | {"contrast.html", "../report.html"}
    assert all((maps_dir / link).exists() for link in links)
    assert "Synthetic demo data" in visit.page.inner_text("body")
    visit.page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)
    visit.check_offline_and_clean()


def _table(run, period: str) -> pd.DataFrame:
    rows = run.table[(run.table["period"] == period) & (run.table["ksic"] == SECTOR)]
    return run.regions[["region_code"]].merge(rows, on="region_code", how="left")


def _highlighted_outside_view(page) -> list[str]:
    """Codes of the units the page should open on (promising, High-High, Gi* 95 %+) whose label point is outside the view."""
    return page.evaluate("""() => {
        const map = Object.keys(window).filter(k => k.startsWith('map_') && window[k] instanceof L.Map)
            .map(k => window[k])[0];
        const data = Object.keys(window).filter(k => k.startsWith('kibs_regions_')).map(k => window[k])[0];
        const bounds = map.getBounds();
        return data.features.filter(f => Number(KIBS.value(f, 'prom')) === 1 || KIBS.value(f, 'lisa_k') === 'HH'
                                         || Number(KIBS.value(f, 'gi_k')) >= 2)
            .filter(f => !bounds.contains([f.properties.pt[1], f.properties.pt[0]]))
            .map(f => f.properties.code);
    }""")


def _legend_titles(page) -> list[str]:
    return [t.split("\n")[0] for t in page.locator(".kibs-legend:visible").all_inner_texts()]


def test_sector_map_opens_on_its_results_with_labels_legend_and_tooltip(browser, built):
    run, maps_dir = built
    visit = Visit(browser, maps_dir / f"sector_{SECTOR}.html")
    page = visit.page
    fills = _fill_colours(page, "")
    assert len(fills) == len(run.regions)  # one path per region in the fill layer shown (LQ)
    table = _table(run, run.last_period)
    assert Counter(fills) == _expected_lq_colours(table["lq"].astype(float))
    highlighted = table["promising"].fillna(False).astype(bool) | (table["lisa_cl"] == "HH") | (table["gi_bin"] >= 2)
    assert highlighted.sum() > 0 and _highlighted_outside_view(page) == []  # the first view holds the results
    zoom = page.evaluate("Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k].getZoom())[0]")
    assert zoom >= 9  # not the whole country: the results fill the view
    labels = page.locator(".leaflet-kibsLabel-pane .kibs-label").all_inner_texts()
    assert len(labels) >= 10 and len(set(labels)) == len(labels)
    strong = page.locator(".leaflet-kibsLabel-pane .kibs-label-strong").all_inner_texts()
    assert sorted(strong) == sorted(_unique_names(run, table[table["promising"].fillna(False).astype(bool)]))
    titles = _legend_titles(page)
    assert titles.count("Location quotient (LQ)") == 1 and "LISA clusters and outliers" not in titles
    assert page.locator(".kibs-inset path").count() >= 1  # the overview inset draws the country

    box = page.locator(".folium-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
    page.wait_for_selector(".leaflet-tooltip", timeout=5000)
    tip = page.inner_text(".leaflet-tooltip")
    assert re.search(r"LQ: [\d.]+ \(1 = the national share\)", tip) and "Employees:" in tip
    assert re.search(r"Cluster test \(local Moran\): .+ \(p [^,]+, q ", tip)
    assert re.search(r"Hot spot test \(Gi\*\): (hot spot|cold spot|not a hot).* \(z ", tip) and run.last_period in tip
    page.screenshot(path=str(ARTIFACTS / f"sector_{SECTOR}_opening.png"))

    page.get_by_label("LISA clusters and outliers").check()
    visible = _legend_titles(page)
    assert "LISA clusters and outliers" in visible and "Location quotient (LQ)" not in visible
    assert Counter(_fill_colours(page, ""))["#d7191c"] == int((table["lisa_cl"] == "HH").sum())
    page.get_by_label("LISA significance (p and q)").check()
    assert "LISA significance (p and q)" in _legend_titles(page)
    page.get_by_label("Location quotient (LQ)").check()
    page.get_by_text("whole country", exact=True).click()
    page.wait_for_timeout(400)
    promising = int(table["promising"].fillna(False).astype(bool).sum())
    assert page.locator(".leaflet-kibsMarker-pane path").count() == promising  # dots while zoomed out
    page.screenshot(path=str(ARTIFACTS / f"sector_{SECTOR}_country.png"))
    visit.check_offline_and_clean()


def _unique_names(run, rows: pd.DataFrame) -> list[str]:
    from kibs_spatial.symbology import unique_labels

    names = dict(zip(run.regions["region_code"], unique_labels(run.regions)))
    return [names[code] for code in rows["region_code"]]


def test_period_switch_changes_colours_legends_and_tooltips(browser, built):
    run, maps_dir = built
    first, last = run.periods[0].label, run.last_period
    assert first != last
    visit = Visit(browser, maps_dir / f"sector_{SECTOR}.html")
    page = visit.page
    assert page.locator("#kibs-period").input_value() == str(len(run.periods) - 1)  # the last period first
    lq_legend = page.locator(".kibs-legend:visible", has_text="Location quotient (LQ)")
    legend_last = lq_legend.inner_text()
    page.select_option("#kibs-period", label=first)
    page.wait_for_timeout(300)
    early = _table(run, first)
    assert Counter(_fill_colours(page, "")) == _expected_lq_colours(early["lq"].astype(float))
    legend_first = lq_legend.inner_text()
    assert legend_first != legend_last
    assert f"≤ 0.50 ({int((early['lq'] <= 0.5).sum())})" in legend_first
    box = page.locator(".folium-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
    page.wait_for_selector(".leaflet-tooltip", timeout=5000)
    assert first in page.inner_text(".leaflet-tooltip")
    promising = int(early["promising"].fillna(False).astype(bool).sum())
    assert page.locator(".leaflet-kibsLabel-pane .kibs-label-strong").count() == promising
    page.screenshot(path=str(ARTIFACTS / f"sector_{SECTOR}_{first}.png"))
    visit.check_offline_and_clean()


def test_screenshots_of_every_page_without_errors(browser, built):
    """Every page as a user opens it: no console error, no request off the machine, a screenshot each."""
    run, maps_dir = built
    for path in sorted(maps_dir.glob("*.html")):
        visit = Visit(browser, path, wait_ms=150)
        if path.name.startswith("sector_"):
            assert visit.page.locator(".leaflet-kibsFill-pane path").count() == len(run.regions), path.name
            assert _highlighted_outside_view(visit.page) == [], path.name
        visit.page.screenshot(path=str(ARTIFACTS / path.name.replace(".html", ".png")))
        visit.check_offline_and_clean()
        visit.page.close()


def test_report_shows_its_maps_and_links_the_interactive_maps(browser, built):
    run, maps_dir = built
    visit = Visit(browser, maps_dir.parent / "report.html")
    page = visit.page
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.naturalWidth, e.alt])")
    assert all(width >= 600 for width, _ in images), images  # every figure at least 600 pixels wide
    assert sum(alt.startswith("maps of") for _, alt in images) == len(run.sectors)
    links = page.eval_on_selector_all("a[href$='.html']", "els => els.map(e => e.getAttribute('href'))")
    assert "maps/index.html" in links and f"maps/sector_{SECTOR}.html" in links
    assert all((maps_dir.parent / link).exists() for link in links if not link.startswith("#"))
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
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
    page.screenshot(path=str(ARTIFACTS / "contrast_after_zoom.png"))
    visit.check_offline_and_clean()
