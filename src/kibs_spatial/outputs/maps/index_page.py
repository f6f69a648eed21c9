"""The index page: title, synthetic-data banner, one line per sector map, run parameters."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from ...result import SectorCount
from .elements import synthetic_banner_html
from .pages import footer_html, sector_file_name

INDEX_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Malgun Gothic", "Apple SD Gothic Neo",
       "Noto Sans KR", sans-serif; margin: 1.5em auto; max-width: 60em; padding: 0 1em; color: #222; }
h1 { font-size: 22px; }
.kibs-banner { background: #fff3cd; color: #7a4b00; border: 1px solid #e0b84f; padding: 6px 10px;
               font-weight: bold; margin: 0.5em 0 1em; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #ddd; vertical-align: top; }
td.n { text-align: right; }
.kibs-footer { margin-top: 1.5em; font-size: 12px; color: #444; border-top: 1px solid #ccc; padding-top: 6px; }
"""


def summary_line(summary: SectorCount) -> str:
    """One-line summary of a sector: promising locations, HH units, Gi* hot spots."""
    return (f"{summary.promising.locations} promising · {summary.lisa_hh} LISA High-High · "
            f"{summary.gi_hot} Gi* hot spots (≥ 90 %)")


def _sector_row(summary: SectorCount) -> str:
    s = summary.sector
    link = f'<a href="{html.escape(sector_file_name(s))}">{html.escape(s.name_en)}</a>'
    return (f"<tr><td>{html.escape(s.ksic)}</td><td>{link}<br><small>{html.escape(s.name_ko)}</small></td>"
            f"<td>{html.escape(s.kind)}</td><td>{html.escape(summary_line(summary))}</td></tr>")


def _contrast_html(contrast_file: str | None) -> str:
    if contrast_file is None:
        return ""
    return (f'<p><a href="{html.escape(contrast_file)}"><b>Professional against technology KIBS</b></a>: '
            "two synchronised maps side by side, the location quotient of each kind of KIBS combined, "
            "the Gangnam area outlined.</p>")


def index_page_html(summaries: Sequence[SectorCount], run_info: Mapping[str, str], *, synthetic: bool,
                    title: str = "KIBS cluster maps", contrast_file: str | None = None) -> str:
    """The complete HTML of the index page; ``contrast_file`` adds a link to the contrast page."""
    banner = synthetic_banner_html() if synthetic else ""
    rows = "\n".join(_sector_row(s) for s in summaries)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{INDEX_CSS}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
{banner}
<p>One map per knowledge-intensive business service (KIBS) sector, with layers for the location
quotient, LISA clusters, Getis-Ord Gi* hot spots and promising cluster locations.</p>
{_contrast_html(contrast_file)}
<table>
<thead><tr><th>KSIC</th><th>Sector</th><th>Kind</th><th>Summary</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<div class="kibs-footer">{footer_html(run_info, synthetic)}</div>
</body>
</html>
"""
