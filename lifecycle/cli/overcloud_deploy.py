"""``i2 overcloud deploy | scale | remove``: resumable runs on the undercloud over SSH.

Each shows the change (counts before and after, nodes to delete or add), asks unless ``--yes``,
then runs render -> validate -> upload -> deploy (or node-delete) in the engine, streaming the
undercloud's output to stderr and into the run's events. A run refused by validation touched
nothing and is aborted at once (its target is free again); any other failure keeps the run for
``i2 runs resume``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.execute import confirm, run_plan
from lifecycle.cli.output import console, emit, err_console, make_table
from lifecycle.cli.overcloud_options import file_options
from lifecycle.engine import RunStatus
from lifecycle.model.limits import step_limits
from lifecycle.runbooks.common import Services

EXIT = {RunStatus.SUCCEEDED: 0, RunStatus.PARTIAL: 1, RunStatus.FAILED: 1, RunStatus.INTERRUPTED: 130}


def _services(ctx: Ctx, cloud: str) -> Services:
    site = ctx.site()
    try:
        c = site.cloud(cloud)
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from None
    if not c.managed:
        raise click.ClickException(f"cloud {cloud} is not managed by i2 (managed: false)")
    return Services(site_dir=ctx.require_site_dir(), endpoints_file=ctx.endpoints_file or "", site=site,
                    endpoints=ctx.endpoints())


def _observe(svc: Services, cloud_name: str, **change: Any) -> tuple[Any, Any]:
    """(stack view, target) for the change, from the undercloud and its Ironic as they are now."""
    from lifecycle.baremetal import BaremetalError
    from lifecycle.runbooks.overcloud import tagged_nodes
    from lifecycle.tripleo.deploy import ScaleError, observe_stack, plan_target, remote_removed
    from lifecycle.tripleo.undercloud import Undercloud, UndercloudError

    cloud = svc.site.cloud(cloud_name)
    roles = [r.name for r in cloud.roles]
    try:
        with Undercloud.connect(svc.endpoints, cloud.undercloud, svc.secrets) as uc:
            stack = observe_stack(uc, cloud.stack, roles)
            removed = remote_removed(uc, change.pop("remote_dir"))
        nodes = tagged_nodes(svc.baremetal(cloud.undercloud), roles)
        return stack, plan_target(stack, cloud, nodes, removed=removed, **change)
    except (UndercloudError, BaremetalError, ScaleError) as exc:
        raise click.ClickException(str(exc)) from None


def _change_rows(target: Any) -> list[tuple[Any, ...]]:
    rows = []
    for role, before in target["before"].items():
        after = target["counts"][role]
        rows.append((role, before, after, ", ".join(str(i) for i in target["removed"].get(role, []))))
    return rows


def _show_change(ctx: Ctx, cloud: str, stack: Any, target: Any, steps: list[Any], title: str) -> None:
    t = target.as_dict()
    data = {"cloud": cloud, "stack": stack.name if stack else None,
            "stack_status": stack.status if stack else None, "change": t,
            "steps": [s.model_dump(include={"key", "action", "deps", "description"}) for s in steps]}
    if ctx.output != "table":
        emit(data, ctx.output)
        return
    console.print(make_table(title, ["role", "count now", "after", "removed indices"], _change_rows(t)))
    if t["delete"]:
        console.print(f"node delete: {', '.join(t['delete'])}")
    if t["added"]:
        console.print(f"joining: {', '.join(t['added'])}")
    console.print(make_table(None, ["step", "action", "after"],
                             [(s.key, s.action, ", ".join(s.deps)) for s in steps]))


def _report(ctx: Ctx, store: Any, svc: Services, run_id: str) -> dict[str, Any]:
    from lifecycle.runbooks.overcloud import tagged_nodes

    run = store.get_run(run_id)
    steps = {s.key.rsplit("/", 1)[-1]: s for s in store.get_steps(run_id)}
    validated = steps.get("validate")
    render = validated if validated is not None and validated.outputs else steps.get("render")
    cloud = svc.site.cloud(run.params["cloud"])
    try:
        nodes = tagged_nodes(svc.baremetal(cloud.undercloud), [r.name for r in cloud.roles])
        members = [{"role": n.role, "index": n.index, "node": n.name, "state": n.state,
                    "deployed": n.deployed, "hostname": n.hostname}
                   for role in nodes.values() for n in sorted(role.values(), key=lambda n: n.index)]
    except Exception as exc:  # the report must not hide the run's outcome
        members = [{"error": f"cannot read Ironic: {exc}"}]
    return {"run": run.id, "status": str(run.status), "error": run.error, "cloud": cloud.name,
            "change": (render.outputs or {}).get("target") if render else None,
            "steps": [{"step": s.key, "status": str(s.status), "attempts": s.attempts, "error": s.last_error,
                       "outputs": {k: v for k, v in (s.outputs or {}).items()
                                   if k in ("deployment", "seconds", "lines", "ran", "uploaded", "deleted")}}
                      for s in store.get_steps(run_id)],
            "nodes": members}


def run_change(ctx: Ctx, cloud: str, mode: str, *, yes: bool, dry_run: bool, opts: dict[str, Any],
               **change: Any) -> None:
    """Observe, show, confirm, then create and execute the run; print its report; exit."""
    from lifecycle.runbooks import overcloud as runbook

    svc = _services(ctx, cloud)
    remote = opts.get("remote_dir") or f"/home/stack/i2/{cloud}"
    stack, target = _observe(svc, cloud, remote_dir=remote, **change)
    if mode == "scale" and target.counts == target.before:
        now = ", ".join(f"{r} {n}" for r, n in target.counts.items())
        emit({"cloud": cloud, "change": target.as_dict(), "run": None}, ctx.output,
             message=f"{cloud}: {now} already: nothing to do")
        return
    delete = bool(target.delete)
    if mode == "scale" and delete:
        change = {"remove": target.delete}  # the nodes chosen now, by name, whatever happens next

    def make_plan(work: Path) -> Any:
        render = runbook.render_params(cloud, work=work, env_files=opts["env_files"],
                                       extra_env=opts["extra_env"], cms_id=opts["cms_id"],
                                       templates_dir=opts["templates_dir"], remote_dir=remote, **change)
        return runbook.build_plan(svc, cloud, mode=mode, render=render, delete=delete)

    if dry_run or not yes:
        title = f"{cloud}: {mode}" + (" (dry run)" if dry_run else "")
        _show_change(ctx, cloud, stack, target, make_plan(Path("(work dir)")).steps, title)
    if dry_run:
        return
    confirm(yes, f"{mode} {cloud}?", "the overcloud")
    plan = make_plan(runbook.work_dir(f"{cloud}-{mode}"))
    run_id, result = run_plan(ctx, plan, runbook.build, svc,
                              limits=step_limits(svc.endpoints, runbook.LIMITS),
                              what=f"{mode} {cloud}")
    store = ctx.store()
    refused = _refused(store, run_id)
    if refused:
        store.abort_run(run_id, reason="refused by validation: nothing reached the undercloud")
    data = _report(ctx, store, svc, run_id)
    if ctx.output == "table":
        columns = ["role", "index", "node", "state", "hostname"]
        console.print(make_table(f"{cloud}: nodes", columns,
                                 [tuple(m.get(c) for c in columns) for m in data["nodes"]]))
        for s in data["steps"]:
            if s["error"]:
                err_console.print(Text(f"{s['step']}: {s['error']}", style="red"))
        console.print(f"run {run_id}: {data['status']}" + (f" - {data['error']}" if data["error"] else ""))
    else:
        emit(data, ctx.output)
    sys.exit(1 if refused else EXIT.get(RunStatus(str(result.status)), 1))


def _refused(store: Any, run_id: str) -> bool:
    """The validate step failed, so nothing was uploaded: the run may go."""
    steps = {s.key.rsplit("/", 1)[-1]: s for s in store.get_steps(run_id)}
    validate, upload = steps.get("validate"), steps.get("upload")
    return bool(validate and str(validate.status) == "failed" and upload and upload.attempts == 0)


RUN_OPTIONS = [
    click.option("--env-file", "env_files", multiple=True,
                 type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="A local environment file of yours: validated with i2's, uploaded, passed after them."),
    click.option("--yes", is_flag=True, help="Do not ask for confirmation."),
    click.option("--dry-run", is_flag=True, help="Show the change and the steps; create no run."),
]


def run_options(fn: Any) -> Any:
    for option in reversed(RUN_OPTIONS):
        fn = option(fn)
    return file_options(fn)


def _opts(kw: dict[str, Any]) -> dict[str, Any]:
    return {"env_files": list(kw["env_files"]), "extra_env": list(kw["extra_env"]), "cms_id": kw["cms_id"],
            "templates_dir": kw["templates_dir"], "remote_dir": kw["remote_dir"]}


@click.command("deploy")
@click.argument("cloud")
@run_options
@pass_ctx
def deploy_cmd(ctx: Ctx, cloud: str, yes: bool, dry_run: bool, **kw: Any) -> None:
    """Deploy CLOUD with the counts its stack has now (the site's for a new stack)."""
    run_change(ctx, cloud, "deploy", yes=yes, dry_run=dry_run, opts=_opts(kw))


@click.command("scale")
@click.argument("cloud")
@click.option("--role", required=True, help="The role to scale, e.g. ComputeNuage.")
@click.option("--count", type=click.IntRange(0), required=True, help="Its node count after the run.")
@run_options
@pass_ctx
def scale_cmd(ctx: Ctx, cloud: str, role: str, count: int, yes: bool, dry_run: bool, **kw: Any) -> None:
    """Scale ROLE of CLOUD to COUNT nodes: out by a deploy, down by deleting its highest members."""
    run_change(ctx, cloud, "scale", yes=yes, dry_run=dry_run, opts=_opts(kw), counts={role: count})


@click.command("remove")
@click.argument("cloud")
@click.argument("nodes", nargs=-1, required=True)
@run_options
@pass_ctx
def remove_cmd(ctx: Ctx, cloud: str, nodes: tuple[str, ...], yes: bool, dry_run: bool, **kw: Any) -> None:
    """Delete NODES (Ironic node names) from CLOUD's stack: each role's count drops by its nodes."""
    run_change(ctx, cloud, "remove", yes=yes, dry_run=dry_run, opts=_opts(kw), remove=list(nodes))
