"""Reports: what a command shows, as plain data and as text.

``render`` holds the generic renderers (a rich table, JSON, YAML) every command uses through
``lifecycle.cli.output``; the per-runbook builders that turn a run's steps into rows live beside
it (``report.rack`` for rack runs, ``report.upgrade`` for the upgrade).
"""
