"""Zero Touch Provisioning in the twin: the real ztpserver and its real bootstrap client.

A new switch (a leaf, or a spine of a new DC: :func:`ztp_boot`) boots with an empty flash, and
its ZTP agent fetches ``/bootstrap`` from the real ztpserver and runs it exactly as EOS does: as
a Python program on the switch, talking to the switch's eAPI over
``unix:/var/run/command-api.sock`` and its CLI through ``FastCli``, writing
``/mnt/flash/startup-config``, logging to ``/dev/log``. Each switch's program runs in its own
mount namespace where those paths are that switch's socket, flash and log.
"""

from lifecycle.lab.ztp.agent import ZtpAgent, ZtpResult, ztp_boot
from lifecycle.lab.ztp.server import ZtpServer

__all__ = ["ZtpAgent", "ZtpResult", "ZtpServer", "ztp_boot"]
