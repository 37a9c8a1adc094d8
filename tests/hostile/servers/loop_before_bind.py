"""Hostile: spins forever before it ever creates a socket."""
while True:
    pass
