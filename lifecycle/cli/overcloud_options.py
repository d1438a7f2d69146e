"""Options every ``i2 overcloud`` command that renders takes (render, validate, deploy, ...)."""

from __future__ import annotations

from typing import Any

import click

from lifecycle.tripleo.paths import UNDERCLOUD_THT

IRONIC_OPTION = click.option(
    "--ironic", "from_ironic", is_flag=True,
    help="Take each node's index from its node:<role>-N tag in the undercloud's Ironic "
         "(default: the site's servers of the role in name order).")
# deploy, scale and remove always place nodes by their Ironic tags: they take these only
FILE_OPTIONS = [
    click.option("--cms-id", help="The CMS id VSD gave the cloud's cms_name (NeutronNuageCMSId)."),
    click.option("--templates-dir", default=UNDERCLOUD_THT, show_default=True,
                 help="Where tripleo-heat-templates are on the undercloud."),
    click.option("--remote-dir", help="Where these files will be on the undercloud "
                                      "[default: /home/stack/i2/CLOUD]."),
    click.option("-e", "--extra-env", multiple=True,
                 help="Another environment file (undercloud path) for the deploy, before secrets.yaml."),
]
RENDER_OPTIONS = [FILE_OPTIONS[0], IRONIC_OPTION, *FILE_OPTIONS[1:]]


def render_options(fn: Any) -> Any:
    for option in reversed(RENDER_OPTIONS):
        fn = option(fn)
    return fn


def file_options(fn: Any) -> Any:
    for option in reversed(FILE_OPTIONS):
        fn = option(fn)
    return fn
