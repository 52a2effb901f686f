"""PyPI's journal over XML-RPC: `changelog_last_serial` and `changelog_since_serial`, parsed.

Rows are `[name, version|None, epoch seconds, action, serial]`. Serials can have gaps and
timestamps go backwards, so the serial alone orders events. Faults: -32500 means rate limited
("Limit may reset in N seconds."); the RateLimit header says how many calls remain.
"""

from __future__ import annotations

import logging
import re
import time
import xmlrpc.client
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from xml.parsers.expat import ExpatError

from analysis.names import normalize
from collector.errors import UpstreamError
from collector.pypi.http import Http, Sleep, status_error

log = logging.getLogger(__name__)

RATE_LIMIT_FAULT = -32500
_RESET = re.compile(r"reset in (\d+(?:\.\d+)?) seconds?")
_RATELIMIT_HEADER = re.compile(r"r=(\d+);\s*t=(\d+)")


class EventKind(StrEnum):
    CREATE = "create"
    NEW_RELEASE = "new_release"
    ADD_FILE = "add_file"
    REMOVE_FILE = "remove_file"
    REMOVE_RELEASE = "remove_release"
    REMOVE_PROJECT = "remove_project"
    YANK = "yank"
    UNYANK = "unyank"
    PROJECT_QUARANTINED = "project_quarantined"
    PROJECT_QUARANTINE_CLEARED = "project_quarantine_cleared"
    RELEASE_QUARANTINED = "release_quarantined"
    RELEASE_QUARANTINE_CLEARED = "release_quarantine_cleared"
    ROLE_ADD = "role_add"
    ROLE_REMOVE = "role_remove"
    ROLE_CHANGE = "role_change"
    ROLE_INVITE = "role_invite"
    ROLE_INVITE_REVOKED = "role_invite_revoked"
    ROLE_ACCEPTED = "role_accepted"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ParsedAction:
    kind: EventKind
    filename: str | None = None
    python_version: str | None = None
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChangelogEvent:
    serial: int
    name: str  # display form at event time
    normalized: str
    version: str | None
    occurred_at: datetime
    action: str  # verbatim
    parsed: ParsedAction

    @property
    def kind(self) -> EventKind:
        return self.parsed.kind


_EXACT = {
    "create": EventKind.CREATE,
    "new release": EventKind.NEW_RELEASE,
    "remove release": EventKind.REMOVE_RELEASE,
    "remove project": EventKind.REMOVE_PROJECT,
    "yank release": EventKind.YANK,
    "unyank release": EventKind.UNYANK,
    "project quarantined": EventKind.PROJECT_QUARANTINED,
    "project quarantine cleared": EventKind.PROJECT_QUARANTINE_CLEARED,
    "release quarantined": EventKind.RELEASE_QUARANTINED,
    "release quarantine cleared": EventKind.RELEASE_QUARANTINE_CLEARED,
}
_ADD_FILE = re.compile(r"^add (\S+) file (\S.*)$")
_REMOVE_FILE = re.compile(r"^remove file (\S.*)$")
_CHANGE_ROLE = re.compile(r"^change (\S+) (\S+) to (\S+)$")
_ROLE = re.compile(r"^(add|remove|invite|revoke_invite|accepted) ([A-Z]\w*) (\S+)$")
_ROLE_KINDS = {
    "add": EventKind.ROLE_ADD,
    "remove": EventKind.ROLE_REMOVE,
    "invite": EventKind.ROLE_INVITE,
    "revoke_invite": EventKind.ROLE_INVITE_REVOKED,
    "accepted": EventKind.ROLE_ACCEPTED,
}


def parse_action(action: str, version: str | None) -> ParsedAction:
    """Classify an action string; unknown (and historical) ones stay raw as UNKNOWN."""
    if action in _EXACT:
        return ParsedAction(_EXACT[action])
    if action == "remove":  # pre-Warehouse rows: a bare remove of a release or a project
        return ParsedAction(EventKind.REMOVE_RELEASE if version else EventKind.REMOVE_PROJECT)
    if match := _ADD_FILE.match(action):
        return ParsedAction(EventKind.ADD_FILE, filename=match[2], python_version=match[1])
    if match := _REMOVE_FILE.match(action):
        return ParsedAction(EventKind.REMOVE_FILE, filename=match[1])
    if match := _CHANGE_ROLE.match(action):
        detail = {"role": match[1], "user": match[2], "new_role": match[3]}
        return ParsedAction(EventKind.ROLE_CHANGE, detail=detail)
    if match := _ROLE.match(action):
        return ParsedAction(_ROLE_KINDS[match[1]], detail={"role": match[2], "user": match[3]})
    return ParsedAction(EventKind.UNKNOWN)


class GarbageError(ValueError):
    """A payload that does not have the documented shape."""


def parse_changelog_rows(rows: object) -> list[ChangelogEvent]:
    """Decode `changelog_since_serial` rows, sorted by serial; GarbageError on a bad shape."""
    if not isinstance(rows, list):
        raise GarbageError(f"expected a list of rows, got {type(rows).__name__}")
    events = [_parse_row(row) for row in rows]
    events.sort(key=lambda e: e.serial)
    return events


def _parse_row(row: object) -> ChangelogEvent:
    if not isinstance(row, list | tuple) or len(row) != 5:
        raise GarbageError(f"expected a 5-item row, got {row!r:.200}")
    name, version, timestamp, action, serial = row
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
        raise GarbageError(f"row has no valid serial: {row!r:.200}")
    if not isinstance(name, str) or not name.strip():
        raise GarbageError(f"serial {serial}: no project name")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise GarbageError(f"serial {serial}: timestamp is not an integer")
    if version is not None and not isinstance(version, str):
        raise GarbageError(f"serial {serial}: version is not a string")
    if not isinstance(action, str):
        raise GarbageError(f"serial {serial}: action is not a string")
    try:
        occurred_at = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise GarbageError(f"serial {serial}: timestamp {timestamp} out of range") from exc
    return ChangelogEvent(
        serial=serial,
        name=name,
        normalized=normalize(name),
        version=version or None,
        occurred_at=occurred_at,
        action=action,
        parsed=parse_action(action, version or None),
    )


def parse_rate_limit(headers: Mapping[str, str]) -> tuple[int, float] | None:
    """(remaining calls, seconds to reset) from a `RateLimit` header, if present."""
    match = _RATELIMIT_HEADER.search(headers.get("ratelimit", ""))
    return (int(match[1]), float(match[2])) if match else None


def _fault_reset(fault: xmlrpc.client.Fault) -> float | None:
    match = _RESET.search(str(fault.faultString))
    return float(match[1]) if match else None


class XmlRpcChangelog:
    """The changelog source of truth. Waits out PyPI's rate limit rather than hammering it."""

    def __init__(
        self,
        http: Http,
        url: str,
        *,
        sleep: Sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self.url = url
        self.sleep = sleep
        self.clock = clock
        self._not_before = 0.0  # when the rate limit says we may call again

    async def fetch_last_serial(self) -> int:
        result = await self._call("changelog_last_serial")
        if not isinstance(result, int) or isinstance(result, bool):
            raise UpstreamError("garbage", f"changelog_last_serial returned {result!r:.100}")
        return result

    async def fetch_since(self, serial: int) -> list[ChangelogEvent]:
        began = time.monotonic()
        rows = await self._call("changelog_since_serial", serial)
        log.debug(
            "changelog_since_serial(%d): %s rows in %.2fs",
            serial,
            len(rows) if isinstance(rows, list) else "?",
            time.monotonic() - began,
        )
        try:
            events = parse_changelog_rows(rows)
        except GarbageError as exc:
            raise UpstreamError("garbage", f"changelog_since_serial({serial}): {exc}") from exc
        return [event for event in events if event.serial > serial]

    async def _call(self, method: str, *params: int) -> object:
        wait = self._not_before - self.clock()
        if wait > 0:
            log.info("XML-RPC rate limit: waiting %.1fs before %s", wait, method)
            await self.sleep(wait)
        body = xmlrpc.client.dumps(params, methodname=method, allow_none=True).encode()
        response = await self.http.request(
            "POST", self.url, data=body, headers={"Content-Type": "text/xml"}
        )
        self._note_rate_limit(response.headers)
        if response.status != 200:
            raise status_error(method, response.status, response.headers)
        return self._decode(method, response.body)

    def _note_rate_limit(self, headers: Mapping[str, str]) -> None:
        limit = parse_rate_limit(headers)
        if limit is not None and limit[0] == 0:
            self._not_before = self.clock() + limit[1]

    def _decode(self, method: str, body: bytes) -> object:
        try:
            (result,), _ = xmlrpc.client.loads(body, use_builtin_types=True)
        except xmlrpc.client.Fault as fault:
            if fault.faultCode == RATE_LIMIT_FAULT:
                reset = _fault_reset(fault)
                wait = reset if reset is not None else 60.0
                self._not_before = max(self._not_before, self.clock() + wait)
                raise UpstreamError(
                    "rate_limited", f"{method}: rate limited by PyPI", retry_after=wait
                ) from fault
            raise UpstreamError(
                "fault", f"{method}: fault {fault.faultCode}: {fault.faultString:.300}"
            ) from fault
        except (ExpatError, xmlrpc.client.ResponseError, ValueError, TypeError) as exc:
            raise UpstreamError(
                "garbage", f"{method}: unreadable XML-RPC response ({exc})"
            ) from exc
        return result
