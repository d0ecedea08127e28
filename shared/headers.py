"""Security headers on every response, the 500s Starlette's outermost middleware answers
included: a pure ASGI middleware that wraps the whole app.

- `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` everywhere;
- on the API (`/v1/...`): `Cache-Control: no-store` (answers hold personal data: no browser or
  proxy may keep them) and `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`;
- elsewhere (`/docs`, which loads its own scripts and styles) only `frame-ancestors 'none'`;
- `X-Frame-Options: DENY` everywhere, for browsers that ignore frame-ancestors;
- `Strict-Transport-Security` when `hsts_seconds` is set: behind TLS only (the ingress).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/v1/"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts_seconds: int = 0) -> None:
        self.app = app
        common = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
        }
        if hsts_seconds > 0:
            common["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"
        api = {
            **common,
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
        }
        other = {**common, "Content-Security-Policy": "frame-ancestors 'none'"}
        self.api, self.other = _raw(api), _raw(other)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        names, added = self.api if scope["path"].startswith(API_PREFIX) else self.other

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # One pass: a header of the same name the app set is replaced, as by setting it.
                kept = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in names]
                message["headers"] = kept + added
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _raw(headers: dict[str, str]) -> tuple[frozenset[bytes], list[tuple[bytes, bytes]]]:
    """The headers' lower-case names, and the headers as ASGI sends them."""
    raw = [(name.lower().encode(), value.encode("latin-1")) for name, value in headers.items()]
    return frozenset(name for name, _ in raw), raw
