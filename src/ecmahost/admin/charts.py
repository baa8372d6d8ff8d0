"""Charts drawn on the server as inline SVG (no script, no CDN): stacked bars of operations by outcome.

Pure functions from numbers to markup; the admin pages decide what to count. Every bar has a `<title>` (the
browser's tooltip) and the chart an `aria-label` with its totals, so the numbers are readable without the picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 720
HEIGHT = 110
COLORS = {"ok": "#1a7f37", "failed": "#b42318"}


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str
    ok: int = 0
    failed: int = 0


def bar_chart(buckets: list[Bucket], caption: str) -> Markup:
    """Stacked bars (ok below, failed above), one per bucket, scaled to the largest bucket."""
    tallest = max((bucket.ok + bucket.failed for bucket in buckets), default=0) or 1
    width = WIDTH / max(len(buckets), 1)
    ok = sum(bucket.ok for bucket in buckets)
    failed = sum(bucket.failed for bucket in buckets)
    label = f"{caption}: {ok} ok, {failed} failed"
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 14}" width="{WIDTH}" height="{HEIGHT + 14}" '
        f'role="img" aria-label="{escape(label)}" data-ok="{ok}" data-failed="{failed}">',
        f'<line x1="0" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}" stroke="#d0d7de"/>',
    ]
    for index, bucket in enumerate(buckets):
        x = index * width
        base = HEIGHT
        for outcome, count in (("ok", bucket.ok), ("failed", bucket.failed)):
            if not count:
                continue
            height = max(count / tallest * (HEIGHT - 4), 1.0)
            base -= height
            parts.append(
                f'<rect x="{x + 0.5:.1f}" y="{base:.1f}" width="{max(width - 1, 0.8):.1f}" height="{height:.1f}" '
                f'fill="{COLORS[outcome]}"><title>{escape(bucket.label)}: {count} {outcome}</title></rect>'
            )
    if buckets:
        parts.append(f'<text x="0" y="{HEIGHT + 12}" font-size="10" fill="#57606a">{escape(buckets[0].label)}</text>')
        parts.append(
            f'<text x="{WIDTH}" y="{HEIGHT + 12}" font-size="10" fill="#57606a" text-anchor="end">'
            f"{escape(buckets[-1].label)}</text>"
        )
    parts.append(f'<text x="2" y="10" font-size="10" fill="#57606a">max {tallest}</text></svg>')
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
