"""The workforce capability's audit action names. Those in DATA_CHANGES change what its
pages show, so the page and computation caches follow them (see service.Workforce)."""

SNAPSHOT_ADD = "workforce.snapshot.add"
SNAPSHOT_REPLACE = "workforce.snapshot.replace"
PEER_GROUP_SAVE = "workforce.peer_group.save"
PEER_GROUP_REMOVE = "workforce.peer_group.remove"
PROVIDERS_IMPORT = "workforce.providers.import"
DEFINITION_ADD = "workforce.definition.add"
AGGREGATE_LOAD = "workforce.aggregate.load"
ROWS_DOWNLOAD = "workforce.rows.download"
UPLOAD_REFUSED = "workforce.upload.refused"

DATA_CHANGES = (
    SNAPSHOT_ADD,
    SNAPSHOT_REPLACE,
    PEER_GROUP_SAVE,
    PEER_GROUP_REMOVE,
    PROVIDERS_IMPORT,
    DEFINITION_ADD,
    AGGREGATE_LOAD,
)
