"""Runs that talk to a system without TLS verification say so, every time (issue 12, hazard 4).

The endpoints file may turn verification off only with ``verify: false`` plus
``insecure_acknowledged: "<reason>"`` (see :class:`lifecycle.model.endpoints.Tls`). Each run that
uses such a file gets a warning on stderr at its start and a ``tls_unverified`` event in its
journal naming the sections and their reasons, so the choice is never silent or forgotten.
"""

from __future__ import annotations

import click

from lifecycle.cli.context import Ctx
from lifecycle.engine.events import EventJournal

EVENT = "tls_unverified"


def warn_unverified_tls(ctx: Ctx, run_id: str) -> dict[str, str]:
    """Warn on stderr and journal an event for ``run_id``; returns section -> reason (may be empty)."""
    if ctx.endpoints_file is None:
        return {}
    try:
        unverified = ctx.endpoints().unverified_tls()
    except click.ClickException:  # an invalid endpoints file fails the run's first connection, clearly
        return {}
    if not unverified:
        return {}
    listing = "; ".join(f"{where} ({why})" for where, why in sorted(unverified.items()))
    message = f"TLS certificate and hostname checks are OFF for: {listing}"
    click.echo(f"warning: run {run_id}: {message}", err=True)
    store = ctx.store()
    journal = EventJournal(run_id, store.redactor, ctx.events_dir())
    with store.session() as session:
        journal.add(session, EVENT, message, data={"sections": unverified})
        session.commit()
    journal.flush_file()
    return unverified
