"""Raw-data simulator of the MUSE instrument with a recorded truth; imports no recipe code."""
