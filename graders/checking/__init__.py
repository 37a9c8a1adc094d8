"""Checking a server: the scenario explorer (explore) that tests histories against the spec models."""
