"""Charts of the reports as PNG or SVG (matplotlib, no GUI). Withheld figures are not drawn; their
place is marked "<5". DejaVu Sans, matplotlib's own font, has every Azerbaijani letter."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any, Literal

from monitoring.reports.schemas import FunnelReport, ParticipantsReport, SurvivalReport
from monitoring.reports.suppression import MARK

ChartFormat = Literal["png", "svg"]
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}

_STAGE_LABELS = {
    "applied": "Applied",
    "eligible": "Eligible",
    "selected": "Selected",
    "plan_approved": "Plan approved",
    "delivered": "Assets delivered",
    "operating_6": "Operating at 6 months",
    "operating_12": "Operating at 12 months",
}


def _figure() -> tuple[Any, Any]:
    # The object API without pyplot: no global state, safe in worker threads.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _render(figure: Any, fmt: ChartFormat) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def participants_chart(report: ParticipantsReport, fmt: ChartFormat) -> bytes:
    figure, axes = _figure()
    if report.by is None or not report.breakdown:
        years = [str(row.year) for row in report.years]
        heights = [row.count or 0 for row in report.years]
        bars = axes.bar(years, heights, color="#2a6f97")
        labels = [MARK if row.count is None else str(row.count) for row in report.years]
        axes.bar_label(bars, labels=labels, padding=2, fontsize=8)
    else:
        series: dict[str, dict[int, int]] = defaultdict(dict)
        for row in report.breakdown:
            if row.count is not None:
                series[row.group or "—"][row.year] = row.count
        years_all = sorted({row.year for row in report.breakdown})
        for group, counts in sorted(series.items()):
            axes.plot(
                [str(y) for y in years_all],
                [counts.get(y, 0) for y in years_all],
                marker="o",
                label=group,
            )
        axes.legend(fontsize=7, ncols=2, frameon=False)
    title = "Participants per year"
    if report.first_year is not None:
        title += f" (growth against {report.first_year})"
    axes.set_title(title)
    axes.set_ylabel("Participants")
    return _render(figure, fmt)


def funnel_chart(report: FunnelReport, fmt: ChartFormat) -> bytes:
    figure, axes = _figure()
    stages = list(reversed(report.stages))
    labels = [_STAGE_LABELS[stage.stage] for stage in stages]
    bars = axes.barh(labels, [stage.count or 0 for stage in stages], color="#468faf")
    texts = []
    for stage in stages:
        if stage.count is None:
            texts.append(MARK)
        elif stage.conversion_from_applied is not None:
            texts.append(f"{stage.count} ({stage.conversion_from_applied:.0%})")
        else:
            texts.append(str(stage.count))
    axes.bar_label(bars, labels=texts, padding=3, fontsize=8)
    axes.set_title("From application to a business alive at 12 months")
    axes.set_xlabel("Applications")
    return _render(figure, fmt)


def survival_chart(report: SurvivalReport, fmt: ChartFormat) -> bytes:
    figure, axes = _figure()
    for curve in report.directions:
        months = [0]
        values = [1.0]
        for point in curve.points:
            if point.survival is None:
                break
            months.append(point.month)
            values.append(point.survival)
        if len(months) > 1:
            axes.step(months, values, where="post", marker="o", label=curve.direction or "—")
    axes.set_xticks([0, 3, 6, 12])
    axes.set_ylim(0, 1.05)
    axes.set_xlabel("Months after the handover")
    axes.set_ylabel("Share still operating")
    axes.set_title("Business survival by direction (Kaplan-Meier)")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize=8, frameon=False)
    return _render(figure, fmt)
