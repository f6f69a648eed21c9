"""The self-contained HTML report of a run (``report.html``): one file, inline CSS, figures embedded.

Nothing is fetched when it opens: no scripts, fonts, style sheets or images from the network;
the figures are base64 PNG data URIs. See docs/REPORT.md.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path

from ...files import write_text
from ...result import AnalysisResult
from . import sections

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
figure.small{width:370px;margin:0}
figcaption{font-size:.8em;color:#555}
.finding{background:#f6f6ff;border-left:4px solid #1f77b4;padding:.5em .8em}
details summary h3{display:inline;font-size:1em}
footer{font-size:.8em;color:#555;margin-top:2em}
"""


def write_report(result: AnalysisResult, path: str | Path) -> Path:
    """Render the report of ``result`` and write it atomically."""
    return write_text(path, render_report(result))


def render_report(result: AnalysisResult) -> str:
    """The whole page as one HTML string."""
    tag = SYNTHETIC_TAG if result.data.synthetic else ""
    parts = [
        ("summary", "Promising cluster locations", sections.summary_section(result)),
        ("locations", "Promising locations per sector", sections.promising_lists_section(result)),
        ("gangnam", "Gangnam vs outlying areas", sections.contrast_section(result)),
        ("moran", "Global Moran's I: which sectors cluster at all", sections.moran_section(result)),
        ("method", "Method, rules and thresholds", sections.method_section(result)),
    ]
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
        f"{html.escape(result.last_period)}); made {made}.</p>{_notes(result)}"
        f"<nav>{nav}</nav>{body}<footer>{_attribution(result)}Made by kibs_spatial.</footer>"
        "</main></body></html>\n"
    )


def _notes(result: AnalysisResult) -> str:
    """What the run could not do with these data, said before anything else."""
    if not result.notes:
        return ""
    items = "".join(f"<li>{html.escape(note)}</li>" for note in result.notes)
    return f'<div class="finding"><b>Not applied with these data:</b><ul>{items}</ul></div>'


def _attribution(result: AnalysisResult) -> str:
    source = str(result.metadata.get("boundary_attribution", ""))
    return f"Boundaries: {html.escape(source.removeprefix('Source: '))} (attribution required). " if source else ""
