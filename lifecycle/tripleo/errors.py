"""The error every TripleO rendering step raises for a site, endpoints or tree it cannot use."""


class RenderError(Exception):
    """The site, the endpoints or the THT tree cannot give a deployable set of files."""
