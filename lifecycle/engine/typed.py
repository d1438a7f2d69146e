"""Typed step params and outputs: pydantic models an action declares (``Action.Params``,
``Action.Outputs``) so a plan is checked when it is built and outputs when they are returned;
the store keeps both as plain JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class StepParams(BaseModel):
    """Base of an action's typed params. Unknown keys are refused, so a misspelt key fails when
    the plan is built, not an hour into a run; the store keeps them as plain JSON.

    >>> class EnrollParams(StepParams):
    ...     server: str
    ...     undercloud: str = "uc-new"
    >>> EnrollParams(server="c02-s01").undercloud
    'uc-new'
    >>> EnrollParams(server="c02-s01", undrcloud="uc-old")
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for EnrollParams
    undrcloud
      Extra inputs are not permitted ...
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class StepOutputs(BaseModel):
    """Base of an action's typed outputs (what ``apply``/``observe`` return, stored as JSON).

    >>> class EnrollOut(StepOutputs):
    ...     uuid: str
    ...     created: bool = False
    >>> EnrollOut(uuid="n-1").stored()
    {'uuid': 'n-1', 'created': False}
    """

    model_config = ConfigDict(extra="forbid")

    def stored(self) -> dict[str, Any]:
        """The JSON the store keeps: None fields left out, as the untyped outputs did, unless
        the field is required (else the stored outputs would not read back).

        >>> class Port(StepOutputs):
        ...     vlan: int | None
        ...     lag: str | None = None
        >>> Port(vlan=None).stored()
        {'vlan': None}
        """
        data = self.model_dump(mode="json", exclude_none=True)
        for name, info in type(self).model_fields.items():
            if info.is_required() and getattr(self, name) is None:
                data[name] = None
        return data


def first_error(exc: ValidationError) -> str:
    """The first error of ``exc`` as ``field: message`` (errors name the field, not a dump).

    >>> try:
    ...     StepParams.model_validate({"sever": "s1"})
    ... except ValidationError as exc:
    ...     first_error(exc)
    'sever: Extra inputs are not permitted'
    """
    errs = exc.errors()
    if not errs:
        return str(exc)
    e = errs[0]
    where = ".".join(str(p) for p in e.get("loc", ())) or "(root)"
    more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
    return f"{where}: {e.get('msg')}{more}"
