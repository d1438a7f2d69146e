"""Vendor-agnostic, resumable run engine.

Example::

    from lifecycle.engine import Engine, Plan, StepSpec, Store, load_runbook, RunbookContext

    store = Store.open()                                    # $I2_DB or the default SQLite file
    run_id = store.create_run(Plan(kind="rack", target="rack:c02", site_digest="sha256:...",
                                   runbook="lifecycle.runbooks.rack:build", params={...},
                                   steps=[StepSpec(key="c02-s1/enroll", ...)]))
    run = store.get_run(run_id)
    registry = load_runbook(run.runbook)(RunbookContext.from_run(run, extra))
    result = Engine(store, registry, limits={"ironic": 8}).execute(run_id)   # also resumes
"""

from .actions import (
    Action,
    ActionContext,
    ActionRegistry,
    RetryPolicy,
    RunbookContext,
    RunbookFactory,
    StepView,
    load_runbook,
)
from .errors import (
    ActionError,
    AmbiguousRunId,
    EngineError,
    LeaseLost,
    LockHolder,
    PermanentError,
    PlanError,
    ResourcesLocked,
    RunBusy,
    RunNotFound,
    RunStateError,
    StepTimeout,
    TargetLocked,
    TransientError,
    UnknownAction,
    is_transient,
    register_classifier,
    unregister_classifier,
)
from .executor import Engine
from .models import Event, Run, RunStatus, Step, StepStatus
from .observer import RunObserver, RunResult
from .plan import Plan, StepSpec, check_dag
from .store import Store
from .typed import StepOutputs, StepParams

__all__ = [
    "Action",
    "ActionContext",
    "ActionError",
    "ActionRegistry",
    "AmbiguousRunId",
    "Engine",
    "EngineError",
    "Event",
    "LeaseLost",
    "LockHolder",
    "PermanentError",
    "Plan",
    "PlanError",
    "ResourcesLocked",
    "RetryPolicy",
    "Run",
    "RunBusy",
    "RunNotFound",
    "RunObserver",
    "RunResult",
    "RunStateError",
    "RunStatus",
    "RunbookContext",
    "RunbookFactory",
    "Step",
    "StepOutputs",
    "StepParams",
    "StepSpec",
    "StepStatus",
    "StepTimeout",
    "StepView",
    "Store",
    "TargetLocked",
    "TransientError",
    "UnknownAction",
    "check_dag",
    "is_transient",
    "load_runbook",
    "register_classifier",
    "unregister_classifier",
]
