"""Child process for the kill tests: create the big toy run, or run/resume a run.

    python -m tests.engine.toy_driver --db URL create --effects F [--seed N]
    python -m tests.engine.toy_driver --db URL run --run-id ID [--signals]

``run`` prints ``RUNNING <id>`` once the run is claimed and prepared, then ``RESULT <status>``.
"""

from __future__ import annotations

import argparse
import sys

from lifecycle.engine import Engine, RetryPolicy, RunbookContext, RunObserver, Store, load_runbook

from .plans import LIMITS, big_plan


class _Announce(RunObserver):
    def on_run_start(self, run, steps) -> None:  # type: ignore[no-untyped-def]
        print(f"RUNNING {run.id}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--events-dir")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("create")
    c.add_argument("--effects", required=True)
    c.add_argument("--seed", type=int, default=0)
    r = sub.add_parser("run")
    r.add_argument("--run-id", required=True)
    r.add_argument("--signals", action="store_true")
    args = ap.parse_args(argv)

    store = Store.open(args.db)
    if args.cmd == "create":
        print(store.create_run(big_plan(args.effects, seed=args.seed)), flush=True)
        return 0
    run = store.get_run(args.run_id)
    registry = load_runbook(run.runbook)(RunbookContext.from_run(run))
    engine = Engine(
        store,
        registry,
        limits=LIMITS,
        default_limit=3,
        retry=RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.1),
        observer=_Announce(),
        events_dir=args.events_dir,
        install_signal_handlers=args.signals,
    )
    result = engine.execute(run.id)
    print(f"RESULT {result.status}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
