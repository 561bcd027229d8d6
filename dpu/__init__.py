"""Distributed Processing Unit: Pyro5 daemon and client, executors and job running."""
