"""The report's pictures as inline SVG, built in plain code: one module per picture (``rack`` for
the elevations, ``fabric`` for the cabling graph, ``timeline`` for an upgrade campaign).

Every element is written through :func:`el`, which escapes attribute values and text, so a device
name or an error message from a run can never break out of the markup. Elements carry ``data-*``
attributes (``data-server``, ``data-cable``, ``data-app`` ...) that the page's script and the
tests find them by.

>>> str(el("text", {"x": 1, "data-server": 'a"<b>'}, "c&d"))
'<text x="1" data-server="a&#34;&lt;b&gt;">c&amp;d</text>'
>>> str(el("rect", {"width": 2.5, "hidden": None}))
'<rect width="2.5"/>'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from markupsafe import Markup, escape

# Colours shared by the pictures and the legend (the page's CSS reuses them through classes).
OUTCOME_COLOURS = {
    "available": "#43a047",
    "hypervisor": "#1e88e5",
    "deployed": "#3949ab",
    "verified": "#00897b",
    "quarantined": "#fb8c00",
    "failed": "#e53935",
    "untouched": "#cfd8dc",
    "other": "#9e9e9e",
}
CABLE_COLOURS = {"planned": "#2e7d32", "miswired": "#d32f2f", "not_seen": "#9e9e9e", "unknown": "#7e57c2"}
FONT = "font-family:DejaVu Sans,Arial,Helvetica,sans-serif"


def num(value: float) -> str:
    """A coordinate without noise: ``12`` not ``12.0``, at most two decimals.

    >>> num(12.0), num(3.14159), num(-0.001)
    ('12', '3.14', '0')
    """
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def attrs(values: Mapping[str, object]) -> str:
    parts = []
    for key, value in values.items():
        if value is None or value is False:
            continue
        text = num(value) if isinstance(value, float) else str(value)
        parts.append(f' {key}="{escape(text)}"')
    return "".join(parts)


def el(tag: str, attributes: Mapping[str, object] | None = None, *children: object) -> Markup:
    """One SVG element; text children are escaped, Markup children (other elements) kept."""
    inner = "".join(str(child if isinstance(child, Markup) else escape(child))
                    for child in flatten(children))
    head = f"<{tag}{attrs(attributes or {})}"
    return Markup(f"{head}>{inner}</{tag}>" if inner else f"{head}/>")


def flatten(children: Iterable[object]) -> list[object]:
    out: list[object] = []
    for child in children:
        if child is None:
            continue
        if isinstance(child, str | Markup):
            out.append(child)
        elif isinstance(child, Iterable):
            out.extend(flatten(child))
        else:
            out.append(str(child))
    return out


def clip(text: str, most: int) -> str:
    """``text`` cut to ``most`` characters for a label that must fit its box (the whole text stays
    in the element's title and data attributes).

    >>> clip("c02-s01", 10), clip("api-gateway-internal/prd", 12)
    ('c02-s01', 'api-gateway…')
    """
    return text if len(text) <= most else text[:most - 1] + "…"


def title(text: str) -> Markup:
    """The hover text of the element it is the first child of."""
    return el("title", None, text)


def svg(width: float, height: float, label: str, *children: object, **data: object) -> Markup:
    """A picture that scales to the page's width and keeps its aspect ratio when printed."""
    extra = {k.rstrip("_").replace("_", "-"): v for k, v in data.items()}  # class_ -> class
    return el("svg", {"xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {num(width)} {num(height)}",
                      "width": num(width), "height": num(height), "role": "img", "aria-label": label,
                      "style": FONT, **extra}, title(label), *children)


def outcome_key(outcome: str) -> str:
    """The colour class of a server's outcome: the word itself, else its last word (a step's
    state such as ``check failed``), else ``other``.

    >>> outcome_key("Quarantined"), outcome_key(""), outcome_key("check failed"), outcome_key("cleaning")
    ('quarantined', 'untouched', 'failed', 'other')
    """
    words = (outcome or "untouched").strip().lower().split() or ["untouched"]
    for word in (" ".join(words), words[-1]):
        if word in OUTCOME_COLOURS:
            return word
    return "other"


def legend(items: Iterable[tuple[str, str]], x: float, y: float, kind: str, dashed: Iterable[str] = (),
           vertical: bool = False) -> Markup:
    """A row (or a column) of colour swatches with their names (``kind`` names what they colour)."""
    dashed = set(dashed)
    parts = []
    for name, colour in items:
        swatch = (el("line", {"x1": x, "y1": y + 6, "x2": x + 14, "y2": y + 6, "stroke": colour,
                              "stroke-width": 3, "stroke-dasharray": "4 3" if name in dashed else None})
                  if kind == "cable" else
                  el("rect", {"x": x, "y": y, "width": 12, "height": 12, "fill": colour, "stroke": "#555"}))
        parts.append(el("g", {"class": "legend-item", f"data-legend-{kind}": name}, swatch,
                        el("text", {"x": x + 18, "y": y + 10, "font-size": 11}, name.replace("_", " "))))
        if vertical:
            y += 18
        else:
            x += 26 + 7 * len(name)
    return el("g", {"class": "legend", "data-legend": kind}, parts)
