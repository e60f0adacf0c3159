"""Know the workforce: HESA Staff record ingest, validation, snapshots, definitions,
indicators, peer groups, open-data aggregates and the synthetic sector."""
