"""The report's charts, drawn by matplotlib as SVG text that the PDF embeds as vector graphics.

Every chart comes out the same for the same data: the SVG carries no date and its element ids
come from a fixed salt. Text stays text (`svg.fonttype = none`), so labels can be searched and
copied in the PDF and the PDF's fonts draw them. Labels are owner names, which are untrusted:
matplotlib's math parser is off, so a `$` in a name is just a dollar sign.
"""

from __future__ import annotations

import io
import unicodedata
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib import font_manager  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.textpath import TextPath  # noqa: E402
from matplotlib.transforms import Affine2D, ScaledTranslation  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

ACCENT = "#1f4e79"
ACCENT_TINTS = ("#1f4e79", "#4f7aa3", "#7fa3c7", "#aec8e0", "#d5e3f0")
DARK_GREY = "#404040"
MID_GREY = "#8c8c8c"
LIGHT_GREY = "#c8c8c8"
RULE_GREY = "#e3e3e3"

CONTENT_WIDTH_INCHES = 6.69   # A4 less two 20 mm margins: charts are drawn at the size they print
LABEL_CHARACTERS = 34
FONT_FAMILIES = ("DejaVu Sans", "WenQuanYi Micro Hei", "Droid Sans Fallback", "Noto Sans CJK JP")

_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "p402-monitor",
    "text.parse_math": False,
    "font.size": 8,
    "axes.edgecolor": LIGHT_GREY,
    "axes.labelcolor": DARK_GREY,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 9,
    "xtick.color": MID_GREY,
    "ytick.color": DARK_GREY,
    "xtick.labelcolor": MID_GREY,
    "ytick.labelcolor": DARK_GREY,
    "xtick.major.size": 0,
    "ytick.major.size": 0,
    "figure.dpi": 72,
}


def _font_families() -> list[str]:
    """DejaVu Sans first, then whichever CJK-capable fallback fonts this machine has."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [family for family in FONT_FAMILIES if family in installed] or ["sans-serif"]


def money_label(value: float, places: int = 0) -> str:
    """`$1,234` (or `-$1,234`) for chart axes and bar ends."""
    text = f"${abs(value):,.{places}f}"
    return "-" + text if value < 0 and text.strip("$0.,") else text


def _places_for(span: float) -> int:
    """Whole dollars unless the amounts are so small that cents tell them apart."""
    return 0 if span >= 20 else 2


def short_label(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= LABEL_CHARACTERS else text[: LABEL_CHARACTERS - 1] + "…"


def needs_shaping(text: str) -> bool:
    """Right-to-left or combining-mark scripts (Arabic, Hebrew, Devanagari…).

    The PDF renderer draws SVG text one letter at a time, left to right, which breaks these
    scripts; labels in them are drawn as outlines instead, shaped by matplotlib's text layout.
    """
    return any(unicodedata.bidirectional(char) in ("R", "AL", "AN")
               or unicodedata.category(char) in ("Mn", "Mc") for char in text)


def _outline_shaped_text(figure) -> None:
    """Replace each visible label that needs shaping with its outline, centred where it stood."""
    shaped = [text for text in figure.findobj(Text)
              if text.get_visible() and needs_shaping(text.get_text())]
    if not shaped:
        return
    figure.canvas.draw()   # lays the labels out, so that their places are known
    figure.set_layout_engine("none")   # and keeps them there once the labels are outlines
    renderer = figure.canvas.get_renderer()
    for text in shaped:
        content = text.get_text()
        extent = text.get_window_extent(renderer)
        centre = figure.transFigure.inverted().transform(((extent.x0 + extent.x1) / 2, (extent.y0 + extent.y1) / 2))
        outline = TextPath((0, 0), content, size=text.get_fontsize(), prop=text.get_fontproperties())
        box = outline.get_extents()
        placement = (
            Affine2D().translate(-(box.x0 + box.x1) / 2, -(box.y0 + box.y1) / 2).scale(1 / 72)
            + figure.dpi_scale_trans
            + ScaledTranslation(centre[0], centre[1], figure.transFigure)
        )
        figure.add_artist(PathPatch(outline, transform=placement, facecolor=text.get_color(),
                                    edgecolor="none", clip_on=False))
        text.set_visible(False)


def _svg(figure) -> str:
    _outline_shaped_text(figure)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight", pad_inches=0.04)
    plt.close(figure)
    return buffer.getvalue()


def _money_axis(axis, span: float) -> None:
    places = _places_for(span)
    axis.set_major_formatter(FuncFormatter(lambda value, _: money_label(value, places)))
    axis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))


def cost_bars(labels: list[str], costs: list[Decimal], *, others_label: str | None = None) -> str:
    """Horizontal bars, largest at the top; the last bar is grey when it stands for all others."""
    values = [float(cost) for cost in costs]
    with plt.rc_context(_STYLE | {"font.family": _font_families()}):
        height = 0.45 + 0.26 * len(values)
        figure, axes = plt.subplots(figsize=(CONTENT_WIDTH_INCHES, height), layout="constrained")
        positions = list(range(len(values)))[::-1]
        colours = [ACCENT] * len(values)
        if others_label is not None and colours:
            colours[-1] = LIGHT_GREY
        axes.barh(positions, values, height=0.68, color=colours, zorder=2)
        axes.set_yticks(positions, [short_label(label) for label in labels])
        largest = max([0.0, *values])
        smallest = min([0.0, *values])
        span = (largest - smallest) or 1.0
        places = _places_for(span)
        for position, value in zip(positions, values):
            axes.text(value + span * 0.01 if value >= 0 else value - span * 0.01, position,
                      money_label(value, places), va="center", ha="left" if value >= 0 else "right",
                      fontsize=7, color=DARK_GREY)
        axes.set_xlim(smallest - (span * 0.2 if smallest < 0 else 0), largest + span * 0.16)
        axes.set_ylim(-0.6, len(values) - 0.4)
        _money_axis(axes.xaxis, span)
        axes.grid(axis="x", color=RULE_GREY, linewidth=0.6, zorder=0)
        axes.spines["left"].set_visible(False)
        axes.tick_params(axis="y", pad=4)
        return _svg(figure)


def drift_waterfall(baseline: Decimal, volume: Decimal, mix: Decimal, rate: Decimal, current: Decimal) -> str:
    """Baseline cost, the three effects as floating steps, and the current cost."""
    steps = [("Baseline", float(baseline), True), ("Volume", float(volume), False),
             ("Mix", float(mix), False), ("Rate", float(rate), False), ("Current", float(current), True)]
    with plt.rc_context(_STYLE | {"font.family": _font_families()}):
        figure, axes = plt.subplots(figsize=(CONTENT_WIDTH_INCHES, 2.3), layout="constrained")
        level = 0.0
        tops = []
        for index, (name, value, is_total) in enumerate(steps):
            if is_total:
                bottom, height, colour = 0.0, value, ACCENT
                level = value
            else:
                bottom, height = level, value
                colour = DARK_GREY if value >= 0 else LIGHT_GREY
                level += value
            axes.bar(index, height, bottom=bottom, width=0.58, color=colour, zorder=2)
            tops.append((index, max(bottom, bottom + height), value, is_total))
            if index < len(steps) - 1:
                axes.plot([index + 0.29, index + 0.71], [level, level], color=MID_GREY,
                          linewidth=0.6, zorder=1)
        extent = [0.0] + [top for _, top, _, _ in tops]
        span = (max(extent) - min(0.0, level)) or 1.0
        places = _places_for(span)
        for index, top, value, is_total in tops:
            text = money_label(value, places)
            if not is_total and value > 0:
                text = "+" + text
            axes.text(index, top + span * 0.02, text, ha="center", va="bottom", fontsize=7, color=DARK_GREY)
        axes.set_xticks(range(len(steps)), [name for name, _, _ in steps])
        axes.set_ylim(min(0.0, level, *(b for b in _running_levels(steps))), max(extent) + span * 0.14)
        _money_axis(axes.yaxis, span)
        axes.grid(axis="y", color=RULE_GREY, linewidth=0.6, zorder=0)
        axes.spines["bottom"].set_color(MID_GREY)
        return _svg(figure)


def _running_levels(steps):
    level = 0.0
    for _, value, is_total in steps:
        level = value if is_total else level + value
        yield level


def share_bar(labels: list[str], costs: list[Decimal], *, others_label: str | None = None) -> str:
    """One bar split into each member's share of the total: tints of the accent, all others grey."""
    total = float(sum(costs, Decimal(0))) or 1.0
    shares = [float(cost) / total for cost in costs]
    with plt.rc_context(_STYLE | {"font.family": _font_families()}):
        columns = len(shares) if len(shares) <= 4 else 3
        rows = -(-len(shares) // columns) if shares else 1
        figure, axes = plt.subplots(figsize=(CONTENT_WIDTH_INCHES, 0.42 + 0.18 * rows), layout="constrained")
        left = 0.0
        bars, texts = [], []
        for index, (label, share) in enumerate(zip(labels, shares)):
            is_others = others_label is not None and index == len(shares) - 1
            colour = LIGHT_GREY if is_others else ACCENT_TINTS[min(index, len(ACCENT_TINTS) - 1)]
            bars.append(axes.barh(0, share, left=left, height=0.8, color=colour,
                                  edgecolor="white", linewidth=0.8))
            if share >= 0.06:
                dark_fill = not is_others and index < 2
                axes.text(left + share / 2, 0, f"{share:.0%}", ha="center", va="center", fontsize=7,
                          color="white" if dark_fill else DARK_GREY)
            texts.append(f"{short_label(label)}  {share:.1%}")
            left += share
        axes.set_xlim(0, 1)
        axes.set_axis_off()
        # The legend fills column by column: order the entries so that they read across the rows.
        order = sorted(range(len(bars)), key=lambda i: (i % columns, i // columns))
        axes.legend([bars[i] for i in order], [texts[i] for i in order], loc="upper left",
                    bbox_to_anchor=(0, -0.02), ncol=columns, frameon=False,
                    fontsize=7, handlelength=1, handleheight=1, columnspacing=1.6)
        return _svg(figure)
