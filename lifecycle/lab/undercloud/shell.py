"""The undercloud's command line: what ``exec`` requests run, through the stack user's shell
(:mod:`lifecycle.lab.undercloud.bash`; ``openstack`` needs ``source ~/stackrc`` first).

Only ``openstack`` with the sub-commands i2 (and an operator checking on it) uses:
``overcloud deploy``, ``overcloud node delete``, ``overcloud status``, ``stack list``,
``stack show`` and ``stack environment show`` (``-f json|yaml``). Anything else answers as the
real shell or client would (exit 127, or 1 with the client's message).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from lifecycle.lab.undercloud.bash import Bash, Processes
from lifecycle.lab.undercloud.director import Director
from lifecycle.lab.undercloud.envfiles import CommandError, Parser
from lifecycle.lab.undercloud.sshd import Session


def _format(s: Session, data: Any, fmt: str) -> None:
    if fmt == "json":
        s.write(json.dumps(data, indent=4, sort_keys=True))
    elif fmt == "yaml":
        s.write(yaml.safe_dump(data, sort_keys=True).rstrip("\n"))
    elif isinstance(data, list):
        for row in data:
            s.write(" | ".join(str(v) for v in row.values()))
    else:
        for key, value in data.items():
            s.write(f"| {key} | {json.dumps(value) if isinstance(value, dict | list) else value} |")


def _parser(prog: str, *positional: str, default_format: str = "table") -> Parser:
    p = Parser(prog=prog, add_help=False)
    p.add_argument("-f", "--format", choices=["json", "yaml", "table", "value"], default=default_format)
    p.add_argument("-c", "--column", action="append", default=[])
    for name in positional:
        p.add_argument(name)
    return p


class Shell:
    def __init__(self, director: Director, procs: Processes, root: Path, home: str = "/home/stack",
                 record: Any = None) -> None:
        self.director = director
        self.bash = Bash(root, home, procs, self._openstack, record)

    def __call__(self, s: Session) -> int:
        return self.bash(s)

    def _openstack(self, s: Session, args: list[str]) -> int:
        try:
            return self.openstack(s, args)
        except CommandError as exc:
            s.write(str(exc))
            return 2

    def openstack(self, s: Session, args: list[str]) -> int:
        d = self.director
        if args[:2] == ["overcloud", "deploy"]:
            return d.deploy(s, args[2:])
        if args[:3] == ["overcloud", "node", "delete"]:
            return d.node_delete(s, args[3:])
        if args[:2] == ["overcloud", "status"]:
            p = _parser("openstack overcloud status")
            p.add_argument("--plan", "--stack", dest="plan", default="overcloud")
            ns = p.parse_args(args[2:])
            stack = d.stacks.get(ns.plan)
            if stack is None:
                s.write(f"ERROR: The plan {ns.plan} could not be found.")
                return 1
            _format(s, [{"Plan Name": stack.name, "Created": stack.created, "Updated": stack.updated,
                         "Deployment Status": stack.deployment}], ns.format)
            return 0
        if args[:2] == ["stack", "list"]:
            ns = _parser("openstack stack list").parse_args(args[2:])
            rows = [{"ID": st.id, "Stack Name": st.name, "Stack Status": st.status,
                     "Creation Time": st.created, "Updated Time": st.updated}
                    for st in (d.stacks.get(n) for n in d.stacks.names()) if st is not None and st.status]
            _format(s, rows, ns.format)
            return 0
        if args[:2] == ["stack", "show"] or args[:3] == ["stack", "environment", "show"]:
            env = args[1] == "environment"
            rest = args[3:] if env else args[2:]
            ns = _parser(f"openstack stack {'environment ' if env else ''}show", "stack",
                         default_format="yaml" if env else "table").parse_args(rest)
            stack = d.stacks.get(ns.stack)
            if stack is None or not stack.status:
                s.write(f"ERROR: The Stack ({ns.stack}) could not be found.")
                return 1
            data = ({"parameters": {}, "parameter_defaults": stack.parameter_defaults,
                     "resource_registry": stack.resource_registry, "encrypted_param_names": [],
                     "event_sinks": []} if env else stack.show())
            _format(s, data, ns.format)
            return 0
        s.write(f"openstack: '{' '.join(args[:3])}' is not an openstack command. See 'openstack --help'.")
        return 1
