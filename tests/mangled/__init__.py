"""Notebooks students mangle (issue 14): built from the sample submissions by tests/mangled/build.py."""
