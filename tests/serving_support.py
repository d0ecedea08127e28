"""An app started in-process, served by a real HTTP server: for a service that another reaches
over HTTP (intake gathering the parts of an access request)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """`app` (its lifespan already started) behind a real HTTP server: its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    # Bound and listening before it serves: a request in the meantime waits in the backlog.
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        listening.close()
