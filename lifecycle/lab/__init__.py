"""The digital twin of a site (rehearsal and test bed). The product never imports this package.

``i2 lab up`` starts it from the same site model the runbooks use: real Ironic, sushy-tools and
ztpserver where they can run here, wire-faithful emulators (OneView, EOS eAPI, CVX) where they
cannot. See docs/twin.md.
"""
