"""The VSD emulator's fixtures (tests/lab/nuage/conftest.py) for the Nuage adapter's tests."""

from tests.lab.nuage.conftest import tls, vsd, vsd_factory  # noqa: F401
