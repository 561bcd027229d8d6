"""MUSE processing on files and arrays; recipes never touch the database."""
