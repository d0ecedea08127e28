"""ETag and If-Match over the aggregates' integer `version` column, to refuse lost updates.

A GET sets `ETag: "<version>"`; a change sends it back in If-Match. Missing If-Match is 428, a tag
that no longer matches is 412. The UPDATE itself is guarded again by SQLAlchemy's version_id_col
(a StaleDataError becomes 412 as well), so a change between the check and the write is caught too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Header, Response

from shared.problems import FieldError, PreconditionFailed, PreconditionRequired, ValidationProblem


def etag_for(version: int) -> str:
    return f'"{version}"'


def etag_headers(version: int) -> Mapping[str, str]:
    """For responses built by hand (e.g. `Idempotency.respond(headers=...)`)."""
    return {"ETag": etag_for(version)}


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


@dataclass(frozen=True)
class IfMatch:
    """A parsed If-Match: `any` for "*", else the strong entity tags (without quotes)."""

    any: bool = False
    tags: frozenset[str] = frozenset()

    def matches(self, version: int) -> bool:
        return self.any or str(version) in self.tags


def parse_if_match(value: str) -> IfMatch:
    """Parses `*` or a comma-separated list of entity tags.

    Weak tags (W/"3") never match: If-Match uses the strong comparison (RFC 9110 13.1.1).
    Unquoted tags are accepted, for clients that drop the quotes.
    """
    value = value.strip()
    if value == "*":
        return IfMatch(any=True)
    tags: set[str] = set()
    for part in value.split(","):
        tag = part.strip()
        if not tag or tag.startswith("W/"):
            continue
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tag = tag[1:-1]
        if '"' in tag:
            raise ValueError("malformed entity tag")
        tags.add(tag)
    return IfMatch(tags=frozenset(tags))


def check_if_match(if_match: IfMatch, current_version: int) -> None:
    if not if_match.matches(current_version):
        raise PreconditionFailed()


def _parsed(if_match: str) -> IfMatch:
    try:
        return parse_if_match(if_match)
    except ValueError:
        raise ValidationProblem(
            [
                FieldError(
                    field="header.If-Match", code="value_error", message="field.if-match-invalid"
                )
            ]
        ) from None


async def _if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The ETag from your last read, e.g. "3"; "*" for any version.',
        ),
    ] = None,
) -> IfMatch:
    if if_match is None or not if_match.strip():
        raise PreconditionRequired()
    return _parsed(if_match)


async def _optional_if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='Optional: the ETag from your last read, e.g. "2"; without it the change '
            "applies to whatever version is current.",
        ),
    ] = None,
) -> IfMatch | None:
    if if_match is None or not if_match.strip():
        return None
    return _parsed(if_match)


IfMatchDep = Annotated[IfMatch, Depends(_if_match)]
"""Required: a change without If-Match is 428."""

OptionalIfMatchDep = Annotated[IfMatch | None, Depends(_optional_if_match)]
"""For changes that may also be made blind (e.g. recording a day's attendance)."""


def optional_if_match(description: str) -> Callable[..., Awaitable[IfMatch | None]]:
    """The dependency of `OptionalIfMatchDep` with the header described for one resource (e.g.
    what the tag of a thing not recorded yet is): `Annotated[IfMatch | None, Depends(...)]`."""

    async def dependency(
        if_match: str | None = Header(None, alias="If-Match", description=description),
    ) -> IfMatch | None:
        return await _optional_if_match(if_match)

    return dependency


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def read_versioned(row: V, response: Response) -> V:
    """The pattern of every read of one aggregate: answer the row with its version as the ETag.

    Load `row` through its repository first (404 for what the caller may not see)."""
    set_etag(response, row.version)
    return row


async def change_versioned(
    row: V,
    if_match: IfMatch | None,
    response: Response,
    change: Callable[[V], Awaitable[Any]],
) -> V:
    """The pattern of every change route: refuse a stale If-Match, apply, answer the new ETag.

    Load `row` through its repository first (404 before 412). A missing If-Match (None) passes:
    routes that require one take `IfMatchDep`, which refuses it earlier with 428.
    """
    if if_match is not None:
        check_if_match(if_match, row.version)
    await change(row)
    set_etag(response, row.version)
    return row
