"""Collection responses: ``start``/``count`` paging, ``filter``, ``sort``.

The page is ``{"type","category","members","count","total","start","prevPageUri","nextPageUri",
"uri"}``. ``count=-1`` (hpOneView's default) means "as many as the appliance will give", which is
at most ``page_size``: beyond it the client must follow ``nextPageUri``, as hpOneView's get_all
does. ``total`` counts every member matching the filter.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from lifecycle.lab.base import Request
from lifecycle.lab.oneview.errors import bad_request
from lifecycle.lab.oneview.filters import parse_filters


def _int_arg(req: Request, name: str, default: int) -> int:
    raw = req.arg(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)  # type: ignore[arg-type]
    except ValueError:
        raise bad_request("INVALID_QUERY_PARAMETER", f"The {name} parameter must be an integer.",
                          f"{name}={raw}") from None


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, float(value))
    return (2, str(value).lower())


def _sort(members: list[dict[str, Any]], spec: str) -> list[dict[str, Any]]:
    # "name:ascending,created:desc" - applied last key first so the first key wins.
    for part in reversed([p for p in spec.split(",") if p.strip()]):
        field, _, order = part.strip().partition(":")
        reverse = order.strip().lower() in ("desc", "descending")
        members = sorted(members, key=lambda m, f=field.strip(): _sort_key(m.get(f)), reverse=reverse)
    return members


def page(req: Request, members: list[dict[str, Any]], *, list_type: str, category: str,
         page_size: int) -> dict[str, Any]:
    """One page of ``members`` (already rendered) as the appliance would return it."""
    start = max(0, _int_arg(req, "start", 0))
    count = _int_arg(req, "count", -1)
    filters = [f for f in req.query.get("filter", []) if f.strip()]
    if filters:
        pred = parse_filters(filters)
        members = [m for m in members if pred(m)]
    sort = req.arg("sort")
    if sort:
        members = _sort(members, sort)
    total = len(members)
    limit = page_size if count < 0 else min(count, page_size)
    chunk = members[start:start + limit]

    def uri_at(at: int) -> str:
        params: list[tuple[str, str]] = [("start", str(at)), ("count", str(count))]
        params += [("filter", f) for f in filters]
        if sort:
            params.append(("sort", sort))
        extra = [(k, v) for k, vs in req.query.items() if k not in ("start", "count", "filter", "sort")
                 for v in vs]
        return f"{req.path}?{urlencode(params + extra)}"

    # Like the appliance: a next page whenever members remain; hpOneView stops by itself once it
    # holds the count it asked for.
    more = start + len(chunk) < total
    return {
        "type": list_type,
        "category": category,
        "members": chunk,
        "count": len(chunk),
        "total": total,
        "start": start,
        "prevPageUri": uri_at(max(0, start - limit)) if start > 0 and limit > 0 else None,
        "nextPageUri": uri_at(start + len(chunk)) if more and chunk else None,
        "uri": uri_at(start),
    }
