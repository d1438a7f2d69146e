"""What Keystone's modules share: the default domain and the path patterns."""

DEFAULT_DOMAIN = "default"
V3 = r"/v3"
ID = r"(?P<id>[^/]+)"
