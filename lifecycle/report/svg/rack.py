"""A rack elevation: every U numbered from the bottom, each server placed by its lowest U and its
height, labelled with its name and hardware profile and coloured by how the run left it, the
leaf pair drawn at the top. Hovering a server shows its outcome and why (a quarantine's reason).

>>> from lifecycle.report.document import Rack, Server
>>> pic = elevation(Rack(name="c02", units=4, leaves=["c02-leaf1", "c02-leaf2"],
...                      servers=[Server(name="c02-s01", u=1, height=2, outcome="quarantined",
...                                      reason="LLDP: nic1 on c02-leaf2")]))
>>> 'data-server="c02-s01"' in pic and 'data-outcome="quarantined"' in pic
True
>>> pic.count('class="u-number"')
4
"""

from __future__ import annotations

from markupsafe import Markup

from lifecycle.report.document import Rack, Server
from lifecycle.report.svg import OUTCOME_COLOURS, clip, el, legend, outcome_key, svg, title

U_H = 18  # one rack unit, in pixels
LABEL_W = 30  # the U numbers' column
INNER_W = 290  # the rack's inside
TOP = 28  # the rack's name
LEAF_H = 26  # the leaf pair's band above the rack
PAD = 8
LEGEND_W = 110  # the outcomes' colours, in a column right of the rack


def server_title(server: Server) -> str:
    """The hover text: what the server is, where, and how the run left it and why."""
    where = f"U{server.u}" if server.height == 1 else f"U{server.u}-U{server.u + server.height - 1}"
    head = " · ".join(p for p in (server.name, where, server.profile, server.role) if p)
    tail = server.outcome or "untouched"
    return f"{head}\n{tail}: {server.reason}" if server.reason else f"{head}\n{tail}"


def server_box(rack: Rack, server: Server, x: float, y: float, height: float) -> Markup:
    key = outcome_key(server.outcome)
    ink = "#fff" if key in ("hypervisor", "deployed", "failed", "verified") else "#111"
    return el("g", {"class": f"server outcome-{key}", "id": f"server-{server.name}",
                    "data-server": server.name, "data-rack": rack.name, "data-u": server.u,
                    "data-height": server.height, "data-outcome": server.outcome or "untouched",
                    "data-profile": server.profile or None},
              title(server_title(server)),
              el("rect", {"x": x + 2, "y": y + 1, "width": INNER_W - 4, "height": height - 2, "rx": 2,
                          "fill": OUTCOME_COLOURS[key], "stroke": "#37474f", "stroke-width": 1}),
              el("text", {"x": x + 8, "y": y + height / 2 + 4, "font-size": 11, "fill": ink},
                 el("tspan", {"font-weight": "bold"}, clip(server.name, 18)),
                 el("tspan", {"dx": 8, "font-size": 9}, clip(server.profile, 26)) if server.profile
                 else None),
              el("text", {"x": x + INNER_W - 8, "y": y + height / 2 + 4, "font-size": 9,
                          "text-anchor": "end", "fill": ink},
                 server.outcome or "untouched"))


def placed(rack: Rack, server: Server) -> bool:
    return server.u >= 1 and server.height >= 1 and server.u + server.height - 1 <= rack.units


def elevation(rack: Rack) -> Markup:
    """The rack ``rack`` as an SVG picture (servers outside its units listed below it)."""
    frame_y = TOP + LEAF_H + PAD
    frame_h = rack.units * U_H
    x0 = PAD + LABEL_W
    stray = [s for s in rack.servers if not placed(rack, s)]
    height = frame_y + frame_h + PAD + len(stray) * (U_H + 2) + (16 if stray else 0) + PAD
    width = x0 + INNER_W + PAD + LABEL_W + LEGEND_W
    parts: list[Markup] = [
        el("text", {"x": x0, "y": 18, "font-size": 14, "font-weight": "bold", "class": "rack-name"},
           f"rack {rack.name}" + (f" ({rack.dc})" if rack.dc else "")),
    ]
    leaves = rack.leaves or ["(no leaf)"]
    leaf_w = INNER_W / len(leaves)
    for i, leaf in enumerate(leaves):
        lx = x0 + i * leaf_w
        parts.append(el("g", {"class": "leaf", "data-leaf": leaf, "data-rack": rack.name},
                        title(f"{leaf} (leaf, rack {rack.name})"),
                        el("rect", {"x": lx + 1, "y": TOP, "width": leaf_w - 2, "height": LEAF_H - 4,
                                    "rx": 3, "fill": "#455a64"}),
                        el("text", {"x": lx + leaf_w / 2, "y": TOP + 15, "font-size": 11,
                                    "text-anchor": "middle", "fill": "#fff"}, clip(leaf, 20))))
    parts.append(el("rect", {"x": x0, "y": frame_y, "width": INNER_W, "height": frame_h,
                             "fill": "#fafafa", "stroke": "#263238", "stroke-width": 2, "class": "frame"}))
    for u in range(1, rack.units + 1):
        y = frame_y + (rack.units - u) * U_H
        parts.append(el("line", {"x1": x0, "y1": y, "x2": x0 + INNER_W, "y2": y, "stroke": "#e0e0e0"}))
        for tx, anchor in ((x0 - 4, "end"), (x0 + INNER_W + 4, "start")):
            parts.append(el("text", {"x": tx, "y": y + U_H / 2 + 4, "font-size": 9, "fill": "#607d8b",
                                     "text-anchor": anchor, "class": "u-number" if anchor == "end" else None,
                                     "data-u": u}, u))
    for server in sorted((s for s in rack.servers if placed(rack, s)), key=lambda s: s.u):
        top_u = server.u + server.height - 1
        y = frame_y + (rack.units - top_u) * U_H
        parts.append(server_box(rack, server, x0, y, server.height * U_H))
    if stray:
        y = frame_y + frame_h + PAD + 12
        parts.append(el("text", {"x": x0, "y": y, "font-size": 10, "fill": "#b71c1c"},
                        "no place in this rack's units:"))
        for server in stray:
            parts.append(server_box(rack, server, x0, y + 4, U_H))
            y += U_H + 2
    parts.append(legend(OUTCOME_COLOURS.items(), x0 + INNER_W + LABEL_W + PAD, frame_y, "outcome",
                        vertical=True))
    return svg(width, height, f"elevation of rack {rack.name}", *parts, class_="elevation",
               data_rack=rack.name)
