"""i2: lifecycle automation for a private OpenStack estate on bare metal."""

__version__ = "0.1.0"
