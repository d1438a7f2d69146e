"""Runbooks: plans of steps over several adapters, executed by the engine.

A runbook module offers ``build_plan(...) -> Plan`` (what to do, fixed when the run is created)
and a ``build(RunbookContext) -> ActionRegistry`` factory (how to do each step, rebuilt on every
resume from the run's stored params).
"""
