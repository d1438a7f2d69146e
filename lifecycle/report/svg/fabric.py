"""The fabric as a graph: spines on top, each rack's leaf pair below them with its MLAG peer
links between the two leaves, the rack's servers below its leaves, and every planned cable a line
coloured by what LLDP proved — as planned (green), miswired (red, labelled with the port LLDP saw
instead), not seen (grey, dashed) or unknown (violet, dotted).

>>> from lifecycle.report.document import Cable, Fabric, FabricNode
>>> pic = fabric(Fabric(nodes=[FabricNode(name="sp1", role="spine"),
...                            FabricNode(name="l1", role="leaf", rack="c02"),
...                            FabricNode(name="s1", role="server", rack="c02")],
...                     cables=[Cable(a="l1", a_port="Ethernet49", b="sp1", b_port="Ethernet2", kind="uplink",
...                                   status="planned"),
...                             Cable(a="l1", a_port="Ethernet1", b="s1", b_port="nic1", kind="server",
...                                   status="miswired", seen="l2:Ethernet1")]))
>>> 'data-cable="l1:Ethernet1-s1:nic1" data-status="miswired"' in pic and "seen l2:Ethernet1" in pic
True
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from markupsafe import Markup

from lifecycle.report.document import Cable, Fabric, FabricNode
from lifecycle.report.svg import CABLE_COLOURS, clip, el, legend, svg, title

ROW_Y = {0: 12, 1: 160, 2: 330}  # top of the spines', leaves' and servers' rows
NODE_H = {0: 30, 1: 30, 2: 26}
SPINE_W, LEAF_W, SERVER_W = 120, 118, 62
GAP, LEAF_GAP, RACK_GAP, MARGIN = 8, 60, 40, 16
NODE_FILL = {"spine": "#263238", "leaf": "#455a64", "server": "#eceff1", "cvx": "#5d4037"}
DASH = {"not_seen": "6 4", "unknown": "2 3"}
LABEL_AT = (0.62, 0.4, 0.8, 0.28)
LAYER = {"planned": 0, "unknown": 1, "not_seen": 2, "miswired": 3}
WIDTH = {"planned": 1.6, "miswired": 3, "not_seen": 1.6, "unknown": 1.6}


def row_of(role: str) -> int:
    return {"leaf": 1, "server": 2}.get(role, 0)


def cable_id(cable: Cable) -> str:
    """The cable's name in the page: ``a:port-b:port`` as planned."""
    return f"{cable.a}:{cable.a_port}-{cable.b}:{cable.b_port}"


def cable_title(cable: Cable) -> str:
    status = cable.status.replace("_", " ")
    text = f"{cable.a}:{cable.a_port} — {cable.b}:{cable.b_port} ({cable.kind}): {status}"
    return f"{text}; LLDP saw {cable.seen} instead" if cable.seen else text


@dataclass
class Box:
    node: FabricNode
    x: float
    y: float
    w: float
    h: float
    ports: dict[str, list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


def layout(nodes: list[FabricNode]) -> tuple[dict[str, Box], list[tuple[str, float, float]], float]:
    """Boxes for every node, the racks' columns (name, left, right) and the picture's width."""
    racks: dict[str, dict[str, list[FabricNode]]] = defaultdict(lambda: {"leaf": [], "server": []})
    top = [n for n in nodes if row_of(n.role) == 0]
    for n in nodes:
        if row_of(n.role):
            racks[n.rack][n.role].append(n)
    boxes: dict[str, Box] = {}
    columns: list[tuple[str, float, float]] = []
    x = MARGIN
    for rack in sorted(racks):
        leaves, servers = racks[rack]["leaf"], racks[rack]["server"]
        leaves_w = len(leaves) * LEAF_W + max(len(leaves) - 1, 0) * LEAF_GAP
        servers_w = len(servers) * SERVER_W + max(len(servers) - 1, 0) * GAP
        col_w = max(leaves_w, servers_w, LEAF_W)
        lx = x + (col_w - leaves_w) / 2
        for leaf in leaves:
            boxes[leaf.name] = Box(leaf, lx, ROW_Y[1], LEAF_W, NODE_H[1])
            lx += LEAF_W + LEAF_GAP
        sx = x + (col_w - servers_w) / 2
        for server in servers:
            boxes[server.name] = Box(server, sx, ROW_Y[2], SERVER_W, NODE_H[2])
            sx += SERVER_W + GAP
        columns.append((rack, x, x + col_w))
        x += col_w + RACK_GAP
    width = max(x - RACK_GAP + MARGIN, len(top) * (SPINE_W + 2 * GAP) + 2 * MARGIN, 420)
    step = (width - 2 * MARGIN) / max(len(top), 1)
    for i, n in enumerate(top):
        boxes[n.name] = Box(n, MARGIN + i * step + (step - SPINE_W) / 2, ROW_Y[0], SPINE_W, NODE_H[0])
    return boxes, columns, width


def anchors(boxes: dict[str, Box], cables: list[Cable]) -> dict[int, tuple[float, float, float, float]]:
    """Where each cable leaves and reaches its boxes: spread along the facing edge, in the order of
    the far ends, so parallel cables (two uplinks, a bond's two NICs) stay apart."""
    sides: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for i, c in enumerate(cables):
        a, b = boxes[c.a], boxes[c.b]
        if a.y == b.y:  # a peer link, between two boxes of the same row
            left, right = (a, b) if a.x <= b.x else (b, a)
            sides[(left.node.name, "right")].append((right.cx, i))
            sides[(right.node.name, "left")].append((left.cx, i))
        else:
            upper, lower = (a, b) if a.y < b.y else (b, a)
            sides[(upper.node.name, "bottom")].append((lower.cx, i))
            sides[(lower.node.name, "top")].append((upper.cx, i))
    ends: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for (name, side), items in sides.items():
        box = boxes[name]
        items.sort()
        for k, (_, i) in enumerate(items):
            f = (k + 1) / (len(items) + 1)
            if side in ("top", "bottom"):
                ends[i].append((box.x + 4 + f * (box.w - 8), box.y + (box.h if side == "bottom" else 0)))
            else:
                ends[i].append((box.x + (box.w if side == "right" else 0), box.y + 4 + f * (box.h - 8)))
    return {i: (e[0][0], e[0][1], e[1][0], e[1][1]) for i, e in ends.items()}


def cable_line(cable: Cable, x1: float, y1: float, x2: float, y2: float, at: float = 0.62) -> Markup:
    """One cable; a miswired one labelled with the port seen, ``at`` that fraction of its length."""
    colour = CABLE_COLOURS[cable.status]
    label = None
    if cable.status == "miswired":
        lx, ly = x1 + (x2 - x1) * at + 4, y1 + (y2 - y1) * at
        text = clip(f"seen {cable.seen}", 40) if cable.seen else "miswired"
        label = [el("rect", {"x": lx - 2, "y": ly - 11, "width": 6.2 * len(text) + 6, "height": 15, "rx": 3,
                             "fill": "#fff", "fill-opacity": 0.9, "stroke": colour, "stroke-width": 0.8}),
                 el("text", {"x": lx + 1, "y": ly, "font-size": 10, "fill": colour, "font-weight": "bold",
                             "class": "cable-label"}, text)]
    return el("g", {"class": f"cable cable-{cable.status}", "data-cable": cable_id(cable),
                    "data-status": cable.status, "data-kind": cable.kind, "data-seen": cable.seen or None},
              title(cable_title(cable)),
              el("line", {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "stroke": "transparent",
                          "stroke-width": 8}),
              el("line", {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "stroke": colour,
                          "stroke-width": WIDTH[cable.status], "stroke-dasharray": DASH.get(cable.status)}),
              label)


def node_box(box: Box) -> Markup:
    n = box.node
    fill = NODE_FILL.get(n.role, "#78909c")
    ink = "#111" if n.role == "server" else "#fff"
    return el("g", {"class": f"node node-{n.role}", "data-node": n.name, "data-role": n.role,
                    "data-rack": n.rack or None},
              title(f"{n.name} ({n.role}{', rack ' + n.rack if n.rack else ''})"),
              el("rect", {"x": box.x, "y": box.y, "width": box.w, "height": box.h, "rx": 4, "fill": fill,
                          "stroke": "#37474f"}),
              el("text", {"x": box.cx, "y": box.y + box.h / 2 + 4, "text-anchor": "middle", "fill": ink,
                          "font-size": 9 if n.role == "server" else 11},
                 clip(n.name, 11 if n.role == "server" else 18)))


def fabric(fab: Fabric) -> Markup:
    """The fabric ``fab`` as one SVG picture; a cable's end not among the nodes is drawn as one."""
    nodes = list(fab.nodes)
    known = {n.name for n in nodes}
    for c in fab.cables:
        for end in (c.a, c.b):
            if end not in known:
                nodes.append(FabricNode(name=end, role="other"))
                known.add(end)
    boxes, columns, width = layout(nodes)
    ends = anchors(boxes, fab.cables)
    height = ROW_Y[2] + NODE_H[2] + 60
    parts: list[Markup] = []
    for rack, left, right in columns:
        parts.append(el("g", {"class": "rack-column", "data-rack": rack},
                        el("rect", {"x": left - 10, "y": ROW_Y[1] - 26, "width": right - left + 20,
                                    "height": ROW_Y[2] + NODE_H[2] + 10 - (ROW_Y[1] - 26), "rx": 8,
                                    "fill": "#f5f7f8", "stroke": "#cfd8dc", "stroke-dasharray": "4 3"}),
                        el("text", {"x": left - 4, "y": ROW_Y[1] - 12, "font-size": 11, "fill": "#546e7a"},
                           f"rack {rack}" if rack else "no rack")))
    drawn = sorted(range(len(fab.cables)), key=lambda i: LAYER[fab.cables[i].status])  # faults on top
    miswired = [i for i in drawn if fab.cables[i].status == "miswired"]
    at = {i: LABEL_AT[k % len(LABEL_AT)] for k, i in enumerate(miswired)}  # neighbours' labels apart
    parts += [cable_line(fab.cables[i], *ends[i], at=at.get(i, 0.62)) for i in drawn]
    parts += [node_box(boxes[n.name]) for n in nodes]
    dashed = [k for k in CABLE_COLOURS if k in DASH]
    parts.append(legend([(k.replace("planned", "as planned"), v) for k, v in CABLE_COLOURS.items()],
                        MARGIN, height - 24, "cable", dashed=dashed))
    return svg(width, height, "fabric: spines, leaf pairs and servers with every planned cable", *parts,
               class_="fabric")
