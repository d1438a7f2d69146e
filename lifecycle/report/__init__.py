"""Reports: what a command shows, and what a run leaves for a change board.

``render`` holds the generic renderers (a rich table, JSON, YAML) every command uses through
``lifecycle.cli.output``; ``report.rack`` and ``report.upgrade`` turn a rack run's or the upgrade's
steps into the rows ``i2 rack report`` and ``i2 upgrade status`` print.

A run's report (``i2 runs report``, written at the end of every apply) is a
:class:`~lifecycle.report.document.Report` built by ``report.build`` (one builder per runbook, from
the run store and the site model only) and rendered by ``report.markdown``, ``report.html`` (with
the pictures of ``report.svg``) or as JSON; ``report.write`` says where the files go.
"""
