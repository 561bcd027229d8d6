"""Target processing: process specifications, the planner, the up-to-date rule and jobs."""
