"""An upgrade campaign on a time axis: one lane per application environment, its phases as bars
(B built, volumes moved, in service, soak, A retired), the write-freezes hatched over them and
the downtime windows the probes measured in red; lanes grouped by wave, waves separated.

>>> from datetime import datetime, timedelta
>>> from lifecycle.report.document import Lane, Span, Timeline
>>> t0 = datetime(2026, 5, 1, 10, 0)
>>> s = timedelta(seconds=1)
>>> lane = Lane(app="shop-prod", wave=1, phases=[Span(name="b_built", start=t0, end=t0 + 120 * s)],
...             downtime=[Span(name="downtime", start=t0 + 70 * s, end=t0 + 71 * s)])
>>> pic = timeline(Timeline(lanes=[lane]))
>>> 'data-app="shop-prod"' in pic and 'data-phase="b_built"' in pic and 'data-downtime="shop-prod"' in pic
True
>>> tick_step(600)
60
"""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup

from lifecycle.report.document import Lane, Span, Timeline
from lifecycle.report.svg import clip, el, legend, num, svg, title

LABEL_W, PLOT_W, SIDE_W = 180, 880, 150
LANE_H, BAR_H, WAVE_H, AXIS_H, MARGIN = 30, 20, 22, 36, 10
PHASE_COLOURS = {
    "b_built": "#90caf9",
    "volumes_moved": "#ce93d8",
    "in_service": "#a5d6a7",
    "soak": "#fff176",
    "a_retired": "#bcaaa4",
}
OTHER_PHASE = "#b0bec5"
FREEZE, DOWNTIME = "#1565c0", "#d32f2f"
STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def ts(moment: datetime) -> float:
    """Seconds since the epoch; a naive time is UTC (the run store writes UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def tick_step(seconds: float, most: int = 10) -> int:
    """The smallest round step that puts at most ``most`` ticks on ``seconds``."""
    return next((s for s in STEPS if seconds / s <= most), STEPS[-1])


def tick_label(moment: float, step: int) -> str:
    t = datetime.fromtimestamp(moment, UTC)
    return t.strftime("%H:%M:%S" if step < 60 else "%H:%M" if step < 86400 else "%m-%d")


def duration(seconds: float) -> str:
    """``0.35 s``, ``42 s``, ``3 min 05 s``, ``2 h 10 min``.

    >>> duration(0.347), duration(42), duration(185), duration(7800)
    ('0.35 s', '42 s', '3 min 05 s', '2 h 10 min')
    """
    if seconds < 10:
        return f"{num(seconds)} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def bounds(tl: Timeline) -> tuple[float, float]:
    spans = [s for lane in tl.lanes for s in (*lane.phases, *lane.freezes, *lane.downtime)]
    start = ts(tl.start) if tl.start else min((ts(s.start) for s in spans), default=0.0)
    end = ts(tl.end) if tl.end else max((ts(s.end) for s in spans), default=start)
    return start, max(end, start + 1)


class Axis:
    def __init__(self, start: float, end: float) -> None:
        self.start, self.end = start, end

    def x(self, moment: datetime) -> float:
        f = (ts(moment) - self.start) / (self.end - self.start)
        return LABEL_W + min(max(f, 0.0), 1.0) * PLOT_W

    def span(self, s: Span, least: float = 1.0) -> tuple[float, float]:
        """Left and width, at least ``least`` wide so a 300 ms window stays visible."""
        x1, x2 = self.x(s.start), self.x(s.end)
        return x1, max(x2 - x1, least)


def span_title(app: str, s: Span) -> str:
    text = f"{app}: {s.name.replace('_', ' ')} {s.start:%H:%M:%S} to {s.end:%H:%M:%S} " \
           f"({duration(ts(s.end) - ts(s.start))})"
    return f"{text}\n{s.detail}" if s.detail else text


def lane_row(lane: Lane, y: float, axis: Axis) -> Markup:
    bar_y = y + (LANE_H - BAR_H) / 2
    parts: list[Markup] = [
        title(f"{lane.app} (wave {lane.wave}): downtime {duration(lane.downtime_ms / 1000)}"),
        el("text", {"x": LABEL_W - 8, "y": y + LANE_H / 2 + 4, "font-size": 11, "text-anchor": "end",
                    "class": "lane-name"}, clip(lane.app, 26)),
    ]
    for s in lane.phases:
        x, w = axis.span(s)
        label = s.name.replace("_", " ")
        parts.append(el("g", {"class": "phase", "data-phase": s.name, "data-app": lane.app},
                        title(span_title(lane.app, s)),
                        el("rect", {"x": x, "y": bar_y, "width": w, "height": BAR_H, "rx": 2,
                                    "fill": PHASE_COLOURS.get(s.name, OTHER_PHASE), "stroke": "#546e7a",
                                    "stroke-width": 0.6}),
                        el("text", {"x": x + 3, "y": bar_y + BAR_H / 2 + 3, "font-size": 9}, label)
                        if w > 6 * len(label) + 6 else None))
    for s in lane.freezes:
        x, w = axis.span(s, 2)
        parts.append(el("g", {"class": "freeze", "data-freeze": lane.app}, title(span_title(lane.app, s)),
                        el("rect", {"x": x, "y": y + 2, "width": w, "height": LANE_H - 4,
                                    "fill": "url(#freeze-hatch)", "stroke": FREEZE, "stroke-width": 1})))
    for s in lane.downtime:
        x, w = axis.span(s, 3)
        parts.append(el("g", {"class": "downtime", "data-downtime": lane.app}, title(span_title(lane.app, s)),
                        el("rect", {"x": x, "y": y + 1, "width": w, "height": LANE_H - 2,
                                    "fill": DOWNTIME, "opacity": 0.8})))
    side = f"down {duration(lane.downtime_ms / 1000)}"
    if lane.both_serving_ms is not None:
        side += f" · A+B {duration(lane.both_serving_ms / 1000)}"
    parts.append(el("text", {"x": LABEL_W + PLOT_W + 8, "y": y + LANE_H / 2 + 4, "font-size": 10,
                             "fill": DOWNTIME if lane.downtime_ms else "#546e7a"}, side))
    return el("g", {"class": "lane", "data-app": lane.app, "data-wave": lane.wave, "id": f"lane-{lane.app}",
                    "data-downtime-ms": num(lane.downtime_ms)}, *parts)


def axis_ticks(axis: Axis, bottom: float) -> Markup:
    step = tick_step(axis.end - axis.start)
    first = -(-axis.start // step) * step
    parts = [el("line", {"x1": LABEL_W, "y1": AXIS_H, "x2": LABEL_W + PLOT_W, "y2": AXIS_H,
                         "stroke": "#37474f"})]
    t = first
    while t <= axis.end:
        x = LABEL_W + (t - axis.start) / (axis.end - axis.start) * PLOT_W
        parts.append(el("g", {"class": "tick", "data-t": datetime.fromtimestamp(t, UTC).isoformat()},
                        el("line", {"x1": x, "y1": AXIS_H - 4, "x2": x, "y2": bottom, "stroke": "#eceff1"}),
                        el("text", {"x": x, "y": AXIS_H - 8, "font-size": 10, "text-anchor": "middle",
                                    "fill": "#37474f"}, tick_label(t, step))))
        t += step
    day = datetime.fromtimestamp(axis.start, UTC)
    parts.append(el("text", {"x": 4, "y": AXIS_H - 8, "font-size": 10, "fill": "#546e7a"},
                    f"{day:%Y-%m-%d} UTC"))
    return el("g", {"class": "axis"}, *parts)


def defs() -> Markup:
    hatch = {"id": "freeze-hatch", "width": 6, "height": 6, "patternUnits": "userSpaceOnUse",
             "patternTransform": "rotate(45)"}
    return el("defs", None, el("pattern", hatch,
                               el("rect", {"width": 6, "height": 6, "fill": FREEZE, "fill-opacity": 0.08}),
                               el("line", {"x1": 0, "y1": 0, "x2": 0, "y2": 6, "stroke": FREEZE,
                                           "stroke-width": 2, "stroke-opacity": 0.55})))


def timeline(tl: Timeline) -> Markup:
    """The campaign ``tl`` as one SVG picture."""
    axis = Axis(*bounds(tl))
    lanes = sorted(tl.lanes, key=lambda lane: lane.wave)  # stable: the builder's order within a wave
    body: list[Markup] = []
    y = AXIS_H + 4
    wave = None
    for lane in lanes:
        if lane.wave != wave:
            wave = lane.wave
            name = f"wave {wave}" + (f": {lane.wave_name}" if lane.wave_name else "")
            body.append(el("g", {"class": "wave", "data-wave": wave},
                           el("line", {"x1": 0, "y1": y, "x2": LABEL_W + PLOT_W + SIDE_W, "y2": y,
                                       "stroke": "#78909c", "stroke-width": 1.5}),
                           el("text", {"x": 4, "y": y + 15, "font-size": 11, "font-weight": "bold",
                                       "fill": "#37474f"}, name)))
            y += WAVE_H
        body.append(lane_row(lane, y, axis))
        y += LANE_H
    items = [(k.replace("_", " "), v) for k, v in PHASE_COLOURS.items()] + \
        [("write freeze", "url(#freeze-hatch)"), ("downtime", DOWNTIME)]
    height = y + MARGIN + 30
    return svg(LABEL_W + PLOT_W + SIDE_W, height, "campaign timeline", defs(), axis_ticks(axis, y),
               *body, legend(items, 8, y + MARGIN + 4, "phase"), class_="timeline")
