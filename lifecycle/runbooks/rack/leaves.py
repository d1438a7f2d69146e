"""A rack's leaf steps: stage its ZTP definitions, wait for each leaf, verify each once its
peer has ended ZTP. The rack runbook and the build-out (one set per rack) both plan them."""

from __future__ import annotations

from collections.abc import Sequence

from lifecycle.engine import StepSpec
from lifecycle.model.schema import Rack
from lifecycle.runbooks.rack.fabric import AwaitZtp, StageZtp, VerifyLeaf


def leaf_steps(rack: Rack, *, batch: str, ztp_timeout: float = 900, stage_key: str = "ztp/stage",
               deps: Sequence[str] = (), after: Sequence[str] = (),
               gate_spines: bool = True) -> tuple[list[StepSpec], dict[str, str]]:
    """The steps, and each leaf's verify step key. A planned rack goes through ZTP (staged after
    ``deps``, ordered ``after``, and once the spines its leaves hang off verify when
    ``gate_spines``); an in-service one is only verified. ``deps`` also gate the verification of
    an in-service rack.

    >>> from pathlib import Path
    >>> import lifecycle
    >>> from lifecycle.model import load_site
    >>> rack = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1").rack("c02")
    >>> steps, verify = leaf_steps(rack, batch="rack:c02", stage_key="c02/ztp/stage")
    >>> [s.key for s in steps]
    ['c02/ztp/stage', 'c02-leaf1/ztp', 'c02-leaf1/verify', 'c02-leaf2/ztp', 'c02-leaf2/verify']
    >>> verify["c02-leaf2"]
    'c02-leaf2/verify'
    """
    ztp = rack.state == "planned"
    steps: list[StepSpec] = []
    verify: dict[str, str] = {}
    if ztp:
        steps.append(StepSpec(key=stage_key, target=f"rack:{rack.name}", action=StageZtp.name,
                              params=StageZtp.Params(rack=rack.name, gate_spines=gate_spines), batch=batch,
                              deps=list(deps), after=list(after),
                              description=f"Stage ZTP definitions for {rack.name}'s leaves"
                              + (" once its spines verify" if gate_spines else "")))
    for i, leaf in enumerate(rack.leaves.leaves):
        target = f"switch:{leaf.name}"
        first = [stage_key] if ztp else list(deps)
        if ztp:
            steps.append(StepSpec(key=f"{leaf.name}/ztp", target=target, action=AwaitZtp.name,
                                  params=AwaitZtp.Params(leaf=leaf.name, ztp_timeout=ztp_timeout),
                                  deps=first, batch=batch, system=f"fabric:{leaf.name}",
                                  description=f"Wait for {leaf.name} to finish ZTP"))
            first = [f"{leaf.name}/ztp"]
        verify[leaf.name] = f"{leaf.name}/verify"
        # The peer link's LLDP names the MLAG peer only once the peer is provisioned too: verify
        # after every leaf of the rack has ended ZTP (done or failed: a failed peer is reported).
        peers = [f"{other.name}/ztp" for other in rack.leaves.leaves if ztp and other.name != leaf.name]
        steps.append(StepSpec(key=verify[leaf.name], target=target, action=VerifyLeaf.name,
                              params=VerifyLeaf.Params(leaf=leaf.name, rack=rack.name, index=i), deps=first,
                              after=peers, batch=batch, system=f"fabric:{leaf.name}",
                              description=f"Verify {leaf.name}: config, MLAG, BGP, CVX, LLDP"))
    return steps, verify
