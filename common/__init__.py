"""Generic information-system core: configuration, errors, database, persistence, processing."""
