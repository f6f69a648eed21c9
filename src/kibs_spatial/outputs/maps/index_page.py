"""The index page: title, synthetic-data banner, links to the report and the run's files, one line per sector map."""

from __future__ import annotations

import html
from collections.abc import Sequence

from ...result import SectorCount
from .elements import synthetic_banner_html
from .pages import sector_file_name

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
.kibs-footer summary { cursor: pointer; }
.kibs-files li { margin: 2px 0; }
"""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def summary_line(summary: SectorCount) -> str:
    """One-line summary of a sector: promising locations, HH units, Gi* hot spots."""
    return (f"{_plural(summary.promising.locations, 'promising location')} · "
            f"{_plural(summary.lisa_hh, 'High-High cluster unit')} · "
            f"{_plural(summary.gi_hot, 'hot spot')} (Gi*, 90 % or more)")


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


def _files_html(report_href: str | None, files: Sequence[tuple[str, str]]) -> str:
    """Links to the report and the run's other files (relative, so the folder can be moved or sent)."""
    items = []
    if report_href:
        items.append(f'<li><a href="{html.escape(report_href)}"><b>Report</b></a>: the findings, a map per sector, '
                     "figures and the method, in one page</li>")
    items += [f'<li><a href="{html.escape(href)}">{html.escape(href.rsplit("/", 1)[-1] or href)}</a>: '
              f"{html.escape(text)}</li>" for text, href in files]
    return f'<ul class="kibs-files">{"".join(items)}</ul>' if items else ""


def index_page_html(summaries: Sequence[SectorCount], footer_html: str, *, synthetic: bool,
                    title: str = "KIBS cluster maps", contrast_file: str | None = None,
                    report_href: str | None = None, files: Sequence[tuple[str, str]] = (),
                    period: str = "") -> str:
    """The complete HTML of the index page; ``contrast_file`` adds a link to the contrast page,
    ``report_href`` and ``files`` (``(description, href)``) link the run's other deliverables."""
    banner = synthetic_banner_html() if synthetic else ""
    rows = "\n".join(_sector_row(s) for s in summaries)
    when = f" ({html.escape(period)})" if period else ""
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
quotient, clusters and outliers (local Moran), hot and cold spots (Getis-Ord Gi*), the strength of
the evidence, and promising cluster locations. Each map opens on the sector's results.</p>
{_files_html(report_href, files)}
{_contrast_html(contrast_file)}
<table>
<thead><tr><th>KSIC</th><th>Sector</th><th>Kind</th><th>Summary{when}</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<div class="kibs-footer">{footer_html}</div>
</body>
</html>
"""
