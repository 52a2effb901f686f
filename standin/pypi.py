"""`StandInPyPI`: a local fake of PyPI speaking Warehouse's wire formats, for tests, benchmarks and the demo."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Unpack

from standin.faults import FaultSchedule
from standin.state import (
    Clock,
    FileOptions,
    JournalEntry,
    Project,
    Registry,
    Release,
    StoredFile,
    Upload,
    UploadOptions,
)
from standin.wire import file_url
from standin.xmlrpc import RateLimiter

if TYPE_CHECKING:
    from aiohttp import web


class RecordedRequest(NamedTuple):
    """One request the stand-in received, for assertions (User-Agent, If-None-Match, bodies)."""

    method: str
    path: str
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    query: str = ""


@dataclass(frozen=True, slots=True)
class Observation:
    """One report received on the observations (danger) API."""

    project: str  # normalized
    kind: str
    summary: str
    inspector_url: str | None
    payload: Mapping[str, Any]  # the body as sent, plus origin "api"
    token: str


def utc_now() -> datetime:
    return datetime.now(UTC)


class StandInPyPI:
    """A registry, its journal and scripted faults; `app()` serves them over HTTP."""

    def __init__(
        self,
        base_url: str = "",
        clock: Clock | None = None,
        page_size: int = 50_000,
        start_serial: int = 1000,
        *,
        xmlrpc_quota: int = 3600,
        xmlrpc_window: int = 3600,
        record_requests: bool = True,
    ) -> None:
        self.base_url = base_url  # "" = the scheme and host each request came in on
        self.clock: Clock = clock or utc_now
        self.page_size = page_size
        self.registry = Registry(lambda: self.clock(), start_serial)
        self.faults = FaultSchedule()
        self.rate_limiter = RateLimiter(xmlrpc_quota, xmlrpc_window)
        self.record_requests = record_requests
        self.requests: list[RecordedRequest] = []
        self.observations: list[Observation] = []
        self.observer_tokens: set[str] | None = None  # None: any bearer token is an observer's
        self.labels: dict[tuple[str, str], str] = {}  # (normalized, version) -> ground truth
        self.label_details: dict[tuple[str, str], str] = {}  # squat technique / suspicious traits
        self.top_packages: list[tuple[str, int]] = []
        self.osv_records: dict[str, dict[str, Any]] = {}  # OSV's dump: advisory id -> record
        self.top_packages_updated: datetime | None = None

    def app(self) -> web.Application:
        from standin.app import build_app

        return build_app(self)

    # ------------------------------------------------------------------ reading
    @property
    def last_serial(self) -> int:
        return self.registry.last_serial

    @property
    def journal(self) -> list[JournalEntry]:
        return list(self.registry.journal)

    def project(self, name: str) -> Project | None:
        return self.registry.project(name)

    def release(self, name: str, version: str) -> Release | None:
        return self.registry.release(name, version)

    def file(self, filename: str) -> StoredFile | None:
        return self.registry.files.get(filename)

    def file_url(self, stored: StoredFile) -> str:
        return file_url(self.base_url.rstrip("/"), stored)

    # ------------------------------------------------------------------ projects
    def create_project(
        self, name: str, owner: str = "alice", *, timestamp: datetime | None = None
    ) -> Project:
        return self.registry.create_project(name, owner=owner, timestamp=timestamp)

    def remove_project(self, name: str, *, timestamp: datetime | None = None) -> JournalEntry:
        return self.registry.remove_project(name, timestamp=timestamp)

    def quarantine_project(self, name: str, *, timestamp: datetime | None = None) -> JournalEntry:
        return self.registry.set_project_quarantine(name, True, timestamp=timestamp)

    def clear_project_quarantine(
        self, name: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        return self.registry.set_project_quarantine(name, False, timestamp=timestamp)

    def set_organization(self, name: str, organization: str | None) -> None:
        """JSON `ownership.organization`; no journal row."""
        project = self.registry.project(name)
        if project is not None:
            project.organization = organization

    # ------------------------------------------------------------------ releases and files
    def upload(self, name: str, version: str, **options: Unpack[UploadOptions]) -> Upload:
        """Journal: ['create', 'add Owner <owner>'] if new, 'new release' if new, one 'add … file' per file."""
        return self.registry.upload(name, version, **options)

    def add_file(
        self,
        name: str,
        version: str,
        filename: str,
        python_version: str | None = None,
        **options: Unpack[FileOptions],
    ) -> StoredFile:
        return self.registry.add_file(name, version, filename, python_version, **options)

    def remove_file(
        self, name: str, version: str, filename: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        return self.registry.remove_file(name, version, filename, timestamp=timestamp)

    def remove_release(
        self, name: str, version: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        return self.registry.remove_release(name, version, timestamp=timestamp)

    def yank(
        self, name: str, version: str, reason: str = "", *, timestamp: datetime | None = None
    ) -> JournalEntry:
        return self.registry.set_yanked(name, version, reason, timestamp=timestamp)

    def unyank(self, name: str, version: str, *, timestamp: datetime | None = None) -> JournalEntry:
        return self.registry.set_yanked(name, version, None, timestamp=timestamp)

    def quarantine_release(
        self, name: str, version: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        return self.registry.set_release_quarantine(name, version, True, timestamp=timestamp)

    def clear_release_quarantine(
        self, name: str, version: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        return self.registry.set_release_quarantine(name, version, False, timestamp=timestamp)

    # ------------------------------------------------------------------ roles and raw rows
    def add_role(
        self, name: str, role: str, user: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        return self.registry.add_role(name, role, user, timestamp=timestamp)

    def remove_role(
        self, name: str, role: str, user: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        return self.registry.remove_role(name, role, user, timestamp=timestamp)

    def change_role(
        self, name: str, user: str, new_role: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        return self.registry.change_role(name, user, new_role, timestamp=timestamp)

    def append_raw_event(
        self,
        name: str,
        version: str | None,
        action: str,
        *,
        timestamp: datetime | None = None,
    ) -> JournalEntry:
        return self.registry.append_raw_event(name, version, action, timestamp=timestamp)

    def skip_serials(self, count: int) -> None:
        self.registry.skip_serials(count)
