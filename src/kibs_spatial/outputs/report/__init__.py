"""The self-contained HTML report of a run (``report.html``): one file, inline CSS, figures embedded.

Nothing is fetched when it opens: no scripts, fonts, style sheets or images from the network;
the figures and maps are base64 PNG data URIs. Relative links lead to the interactive maps and
the run's other files when the report is written with them (:func:`write_report`). See docs/REPORT.md.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

from ...files import write_text
from ...result import AnalysisResult
from ..maps.pages import sector_file_name
from . import sections
from .maps import report_grids, small_grids

SYNTHETIC_BANNER = ("SYNTHETIC DEMO DATA — every number and figure in this report comes from a seeded generator; "
                    "they illustrate the toolkit and are not findings about Korea.")
SYNTHETIC_TAG = '<span class="tag">SYNTHETIC</span>'

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans KR","Malgun Gothic",sans-serif;margin:0;color:#222;
 line-height:1.45}
main{max-width:1200px;margin:0 auto;padding:0 1.2em 3em}
.banner{position:sticky;top:0;z-index:10;background:#b00020;color:#fff;padding:.6em 1.2em;font-weight:600}
.tag{background:#b00020;color:#fff;font-size:.65em;padding:.1em .45em;border-radius:3px;vertical-align:middle;
 margin-left:.5em}
nav a{margin-right:1em}
section{border-top:1px solid #ddd;margin-top:1.5em}
table{border-collapse:collapse;margin:.6em 0;font-size:.82em}
th,td{border:1px solid #ccc;padding:.2em .45em;text-align:left}
th{background:#f3f3f3}
td.n{text-align:right}
.method th{width:14em;vertical-align:top}
figure{margin:.8em 0}
figure img{max-width:100%}
.grid{display:flex;flex-wrap:wrap;gap:.5em}
figure.scatter{width:590px;margin:0}
figcaption{font-size:.9em;color:#444}
.sector-map{margin:1.2em 0 2em}
.sector-map img{display:block;width:100%;max-width:1344px;image-rendering:auto}
.sector-map .heads,.sector-map .legends{display:grid;grid-template-columns:1fr 1fr 1fr;gap:12px;max-width:1344px}
.sector-map .heads span{font-weight:600;text-align:center}
.smalls{margin:.3em 0}
.smalls img{display:block;width:100%}
.smalls .heads{display:grid}
.smalls .heads span{font-weight:600;text-align:center;font-size:.85em}
.legends2{display:flex;gap:2em}
.emerging{margin:1em 0 1.6em}
.legend ul{list-style:none;padding:0;margin:.2em 0;font-size:.85em}
.legend b{font-size:.85em}
.sw{display:inline-block;width:14px;height:12px;margin-right:6px;border:1px solid #777;vertical-align:middle}
.finding{background:#f6f6ff;border-left:4px solid #1f77b4;padding:.5em .8em}
details summary h3{display:inline;font-size:1em}
footer{font-size:.8em;color:#555;margin-top:2em}
"""


def _href(target: str | Path, folder: Path) -> str:
    try:
        return Path(os.path.relpath(Path(target).resolve(), folder.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return Path(target).resolve().as_uri()


def write_report(result: AnalysisResult, path: str | Path, *, maps_index: str | Path | None = None,
                 deliverables: Sequence[tuple[str, Path]] = ()) -> Path:
    """Render the report of ``result`` and write it atomically.

    ``maps_index`` is the maps' ``index.html`` (its folder holds the sector pages), ``deliverables`` are
    ``(description, path)`` of the run's other files; the report links them all by relative links.
    """
    links, files = report_links(result, Path(path).parent, maps_index, deliverables)
    return write_text(path, render_report(result, links, files))


def report_links(result: AnalysisResult, folder: Path, maps_index: str | Path | None,
                 deliverables: Sequence[tuple[str, Path]] = ()) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Relative addresses, from a report in ``folder``, of the maps' index and sector pages (``index`` and
    each sector's code) and of the ``deliverables``."""
    links: dict[str, str] = {}
    if maps_index is not None:
        links["index"] = _href(maps_index, folder)
        links.update({s.ksic: _href(Path(maps_index).parent / sector_file_name(s), folder) for s in result.sectors})
    return links, [(text, _href(target, folder)) for text, target in deliverables]


def render_report(result: AnalysisResult, links: Mapping[str, str] | None = None,
                  files: Sequence[tuple[str, str]] = ()) -> str:
    """The whole page as one HTML string; ``links`` maps ``index`` and sector codes to the maps' addresses,
    ``files`` holds ``(description, address)`` of the run's other files."""
    links = dict(links or {})
    tag = SYNTHETIC_TAG if result.data.synthetic else ""
    parts = [
        ("summary", "Promising cluster locations", sections.summary_section(result)),
        ("maps", "Maps per sector", sections.maps_section(result, report_grids(result.regions), links)),
        ("emerging", "Emerging hot spots", sections.emerging_section(result, small_grids(result.regions), links)
         if result.emerging is not None else ""),
        ("locations", "Promising locations per sector", sections.promising_lists_section(result)),
        ("gangnam", "Gangnam vs outlying areas", sections.contrast_section(result)),
        ("moran", "Global Moran's I: which sectors cluster at all", sections.moran_section(result)),
        ("method", "Method, rules and thresholds", sections.method_section(result)),
        ("files", "Maps and files of this run", sections.files_section(links, files)),
    ]
    parts = [part for part in parts if part[2]]  # a section without content (emerging hot spots off) is left out
    nav = "".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title, _ in parts)
    body = "".join(f'<section id="{key}"><h2>{html.escape(title)}{tag}</h2>{content}</section>' for key, title, content in parts)
    title = "KIBS cluster report" + (" (SYNTHETIC demo data)" if result.data.synthetic else "")
    banner = f'<div class="banner">{html.escape(SYNTHETIC_BANNER)}</div>' if result.data.synthetic else ""
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    source = "SYNTHETIC demo data" if result.data.synthetic else html.escape(result.data.label)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
        f"<style>{CSS}</style></head><body>{banner}<main><h1>{html.escape(title)}</h1>"
        f"<p>Data: {source}; {len(result.regions)} units, {len(result.sectors)} sectors, period(s) "
        f"{html.escape(', '.join(p.label for p in result.periods))} (locations, maps and contrast: "
        f"{html.escape(result.last_period)}); made {made}.</p>{_maps_link(links)}{_notes(result)}"
        f"<nav>{nav}</nav>{body}<footer>{_attribution(result)}Made by kibs_spatial.</footer>"
        "</main></body></html>\n"
    )


def _maps_link(links: Mapping[str, str]) -> str:
    if not links.get("index"):
        return ""
    return (f'<p><b><a href="{html.escape(links["index"])}">Open the interactive maps</a></b> (one per sector, '
            "with labels, layers and a period switch); the files of this run are listed at the end.</p>")


def _notes(result: AnalysisResult) -> str:
    """What the run could not do with these data, said before anything else."""
    if not result.notes:
        return ""
    items = "".join(f"<li>{html.escape(note)}</li>" for note in result.notes)
    return f'<div class="finding"><b>Not applied with these data:</b><ul>{items}</ul></div>'


def _attribution(result: AnalysisResult) -> str:
    source = str(result.metadata.get("boundary_attribution", ""))
    return f"Boundaries: {html.escape(source.removeprefix('Source: '))} (attribution required). " if source else ""
