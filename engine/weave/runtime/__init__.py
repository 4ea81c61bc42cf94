"""The runtime of `weave serve`: the supervisor, the ASGI server, services given to flows, metrics, status."""
