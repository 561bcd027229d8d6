"""SQLAlchemy Core layer: engines, table mapping, schema evolution, roles (no MUSE knowledge)."""
