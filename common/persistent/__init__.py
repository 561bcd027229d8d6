"""Persistent Python objects: class = table, attribute = column, instance = row."""
