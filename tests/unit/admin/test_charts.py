"""The dashboard's inline SVG bar chart: its totals, one bar per non-empty outcome, labels escaped."""

from __future__ import annotations

from ecmahost.admin.charts import Bucket, bar_chart


def test_the_chart_carries_its_totals_and_draws_one_bar_per_outcome_with_operations() -> None:
    svg = str(bar_chart([Bucket("10:00", ok=3), Bucket("10:01"), Bucket("10:02", ok=1, failed=2)], "demo"))
    assert 'data-ok="4"' in svg
    assert 'data-failed="2"' in svg
    assert 'aria-label="demo: 4 ok, 2 failed"' in svg
    assert svg.count("<rect") == 3
    assert "<title>10:02: 2 failed</title>" in svg


def test_labels_are_escaped_and_an_empty_chart_draws_no_bar() -> None:
    svg = str(bar_chart([Bucket("<b>")], "a <script> & b"))
    assert "<script>" not in svg
    assert "&lt;b&gt;" in svg
    assert "<rect" not in svg
    assert str(bar_chart([], "none")).startswith("<svg")
