"""The fabric adapter: Arista leaf/spine configuration, ZTP provisioning, verification over eAPI."""

from lifecycle.fabric.render import render_leaf, render_spine, render_switches
from lifecycle.fabric.ztp import clear_node, write_data_root, ztp_spines

__all__ = ["clear_node", "render_leaf", "render_spine", "render_switches", "write_data_root", "ztp_spines"]
