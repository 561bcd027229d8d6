"""Everything specific to the MUSE instrument: layout, data model, recipes and simulator."""
