"""TripleO adapter: render a Train overcloud's deploy files from the site model and validate them
with the real tripleo-heat-templates 11.6.0, Heat and tripleoclient (in .venv-heat).

Example (needs the THT tree and .venv-heat of ``scripts/lib/tht.sh``)::

    rendered = render_overcloud(site, "ie1-new", endpoints, Path("out"))
    validate_rendered(rendered.out_dir).ok      # True
"""

from lifecycle.tripleo.render import Rendered, RenderError, render_overcloud
from lifecycle.tripleo.validate import (
    Finding,
    Report,
    ValidationUnavailable,
    validate_overcloud,
    validate_rendered,
)

__all__ = ["Finding", "RenderError", "Rendered", "Report", "ValidationUnavailable", "render_overcloud",
           "validate_overcloud", "validate_rendered"]
