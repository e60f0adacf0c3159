"""Audit action names of the library (they also invalidate cached pages)."""

RESOURCE_SAVE = "library.resource.save"
RESOURCE_REMOVE = "library.resource.remove"
IMPORT = "library.import"
EXPORT = "library.export"

DATA_CHANGES = (RESOURCE_SAVE, RESOURCE_REMOVE, IMPORT)
