"""The ``i2`` command line: click commands over the model, the engine and the runbooks."""
