"""The MUSE data model: classes generated from muse.xml plus their hand-written behaviour."""
