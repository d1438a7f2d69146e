"""The twin's shared Pure-like storage array: one pool of named volumes that every cloud's Cinder
backend sees, with the renames the real Cinder Pure driver makes. See :class:`PureArray`.

>>> array = PureArray("pure-ie1")
>>> vol = array.create("orders-prd-db", 100)
>>> array.claim("orders-prd-db", "volume-0f1e-cinder", owner="ie1-new", cinder_id="0f1e").owner
'ie1-new'
>>> [(v.name, v.renames) for v in array.snapshot()]
[('volume-0f1e-cinder', ('orders-prd-db',))]
"""

from lifecycle.lab.array.array import ArrayError, ArrayVolume, PureArray, VolumeView

__all__ = ["ArrayError", "ArrayVolume", "PureArray", "VolumeView"]
