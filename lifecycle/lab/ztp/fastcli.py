"""The twin's ``FastCli``: the switch-local CLI the ZTP bootstrap shells out to.

On EOS, ``FastCli -p 15 -A -c "cmds"`` runs CLI lines in the switch itself (that is how the
bootstrap enables eAPI before it can use it). Here it forwards the lines to the twin's console
for the switch named in ``I2_TWIN_SWITCH`` and prints what the CLI printed, pipes included.
This file is copied next to the bootstrap and run by the switch's Python; it uses only stdlib.
"""

import json
import os
import re
import sys
import urllib.request


def _filter(text, pipe):
    kind, _, pattern = pipe.strip().partition(" ")
    lines = text.splitlines()
    if kind in ("include", "grep", "i"):
        lines = [x for x in lines if re.search(pattern, x)]
    elif kind in ("exclude", "e"):
        lines = [x for x in lines if not re.search(pattern, x)]
    return "\n".join(lines) + ("\n" if lines else "")


def main(argv):
    cmds = None
    args = iter(argv)
    for arg in args:
        if arg == "-c":
            cmds = next(args, "")
    if cmds is None:
        sys.stderr.write("twin FastCli: only -c is supported\n")
        return 2
    # All lines run in one CLI session (config mode carries over, as in FastCli); a pipe
    # filters what its line printed, which the bootstrap only does for one-line shows.
    lines = cmds.splitlines()
    pipe = ""
    if len(lines) == 1 and " | " in lines[0]:
        lines[0], _, pipe = lines[0].partition(" | ")
    url = "{}/switch/{}/cli".format(os.environ["I2_TWIN_CONTROL"], os.environ["I2_TWIN_SWITCH"])
    body = json.dumps({"text": "\n".join(lines)}).encode()
    req = urllib.request.Request(url, data=body, method="POST")
    with urllib.request.urlopen(req, timeout=60) as resp:
        text = json.loads(resp.read())["output"]
    sys.stdout.write(_filter(text, pipe) if pipe else text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
