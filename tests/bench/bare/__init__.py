"""The floor of /healthz: a bare ASGI app, served the way the services are (shared.cli)."""
