"""The stand-in's registry: projects, releases, files and the append-only journal.

Every mutation writes the journal rows Warehouse writes for it, with the same action strings, and
moves the project's serial. Nothing here does I/O; time comes from the injected clock.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypedDict, Unpack

from packaging.utils import canonicalize_version

from analysis.names import normalize
from standin.archives import (
    ArchiveRecipe,
    Blob,
    FileKind,
    blob_of,
    build_blob,
    classify_filename,
)
from standin.metadata import build_metadata

Clock = Callable[[], datetime]
_VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


class FileOptions(TypedDict, total=False):
    """How a file is uploaded; the registry and StandInPyPI take these, written once here."""

    provenance: Mapping[str, Any] | None  # a Trusted Publisher identity: the file has provenance
    timestamp: datetime | None  # None: the registry's clock
    setup_py: str | None  # this file's own setup.py (None: the release's)
    module_code: str | None  # this file's own module code (None: the release's)


class UploadOptions(FileOptions, total=False):
    files: Sequence[str] | None  # None: an sdist and a wheel named after the release
    metadata: Mapping[str, Any] | None  # JSON `info` fields over the built defaults
    owner: str  # the new project's Owner (default alice)


class RegistryError(ValueError):
    """A mutation the real PyPI would refuse, or one naming something that does not exist."""


class JournalEntry(NamedTuple):
    """One changelog row, as `changelog_since_serial` returns it (timestamp kept as a datetime)."""

    name: str  # display name at event time
    version: str | None
    timestamp: datetime
    action: str
    serial: int

    @property
    def epoch(self) -> int:
        return int(self.timestamp.timestamp())


@dataclass(eq=False, slots=True)
class StoredFile:
    """One distribution file; its bytes are built on first use and kept."""

    filename: str
    project: str  # normalized
    version: str
    kind: FileKind
    uploaded_at: datetime
    serial: int
    recipe: ArchiveRecipe
    publisher: Mapping[str, Any] | None = None  # Trusted Publisher identity: has provenance
    _blob: Blob | None = None

    @property
    def blob(self) -> Blob:
        if self._blob is None:
            self._blob = build_blob(self.recipe)
        return self._blob

    def serve(self, content: bytes) -> None:
        """Serve these bytes instead of the built archive (a benchmark replaying real uploads)."""
        self._blob = blob_of(content)

    @property
    def sha256(self) -> str:
        return self.blob.sha256

    @property
    def size(self) -> int:
        return self.blob.size

    @property
    def packagetype(self) -> str:
        return self.kind.packagetype

    @property
    def python_version(self) -> str:
        return self.kind.python_version


@dataclass(eq=False, slots=True)
class Release:
    version: str
    metadata: dict[str, Any]
    created: datetime
    created_serial: int
    setup_py: str | None = None
    module_code: str | None = None
    files: list[StoredFile] = field(default_factory=list)
    yanked: bool = False
    yanked_reason: str = ""
    quarantined: bool = False
    recorded_info: dict[str, Any] | None = None  # JSON `info` as real PyPI sent it (a replay)


@dataclass(eq=False, slots=True)
class Project:
    name: str  # display
    normalized: str
    created: datetime
    created_serial: int
    releases: dict[str, Release] = field(default_factory=dict)
    roles: list[tuple[str, str]] = field(default_factory=list)  # (role, user) in grant order
    serials: list[int] = field(default_factory=list)  # every journal row about this project
    quarantined: bool = False
    organization: str | None = None
    by_canonical: dict[str, Release] = field(default_factory=dict)  # PEP 440 canonical version

    def add_release(self, release: Release) -> None:
        self.releases[release.version] = release
        self.by_canonical[canonicalize_version(release.version)] = release

    def drop_release(self, release: Release) -> None:
        del self.releases[release.version]
        self.by_canonical.pop(canonicalize_version(release.version), None)

    @property
    def last_serial(self) -> int:
        return self.serials[-1]

    def serial_as_of(self, snapshot: int) -> int | None:
        """The project's last serial as a copy taken at `snapshot` would show it."""
        index = bisect_right(self.serials, snapshot)
        return self.serials[index - 1] if index else None


@dataclass(frozen=True, slots=True)
class Upload:
    """What one `upload` call did."""

    name: str  # display
    project: str  # normalized
    version: str
    files: tuple[StoredFile, ...]
    serials: tuple[int, ...]  # the journal rows it wrote, in order

    @property
    def serial(self) -> int:
        return self.serials[-1]

    @property
    def filenames(self) -> tuple[str, ...]:
        return tuple(f.filename for f in self.files)


def default_filenames(project: str, version: str) -> list[str]:
    """One sdist and one pure-Python wheel, named as modern build tools name them."""
    dist = normalize(project).replace("-", "_")
    return [f"{dist}-{version}.tar.gz", f"{dist}-{version}-py3-none-any.whl"]


class Registry:
    """Projects keyed by normalized name, the journal, and a filename index for downloads."""

    def __init__(self, clock: Clock, start_serial: int) -> None:
        self.clock = clock
        self.projects: dict[str, Project] = {}
        self.journal: list[JournalEntry] = []
        self.files: dict[str, StoredFile] = {}
        self._used_filenames: set[str] = set()  # PyPI never allows a filename twice
        self._start_serial = start_serial
        self._counter = start_serial

    @property
    def last_serial(self) -> int:
        return self.journal[-1].serial if self.journal else self._start_serial

    # ------------------------------------------------------------------ lookups
    def project(self, name: str) -> Project | None:
        return self.projects.get(normalize(name))

    def release(self, name: str, version: str) -> Release | None:
        project = self.project(name)
        return None if project is None else find_release(project, version)

    def since(self, serial: int, limit: int) -> list[JournalEntry]:
        start = bisect_right(self.journal, serial, key=lambda entry: entry.serial)
        return self.journal[start : start + limit]

    # ------------------------------------------------------------------ projects
    def create_project(
        self, name: str, *, owner: str = "alice", timestamp: datetime | None = None
    ) -> Project:
        if not _VALID_NAME.match(name):
            raise RegistryError(f"invalid project name {name!r}")
        if normalize(name) in self.projects:
            raise RegistryError(f"project {name!r} already exists")
        when = self._when(timestamp)
        project = Project(name, normalize(name), when, self._counter + 1, roles=[("Owner", owner)])
        self.projects[project.normalized] = project
        self._log(project, None, "create", when)
        self._log(project, None, f"add Owner {owner}", when)
        return project

    def remove_project(self, name: str, *, timestamp: datetime | None = None) -> JournalEntry:
        project = self._project(name)
        for release in project.releases.values():
            self._forget_files(release.files)
        del self.projects[project.normalized]
        return self._log(project, None, "remove project", self._when(timestamp))

    def set_project_quarantine(
        self, name: str, quarantined: bool, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        project = self._project(name)
        project.quarantined = quarantined
        action = "project quarantined" if quarantined else "project quarantine cleared"
        return self._log(project, None, action, self._when(timestamp))

    # ------------------------------------------------------------------ releases
    def upload(self, name: str, version: str, **options: Unpack[UploadOptions]) -> Upload:
        timestamp, owner = options.get("timestamp"), options.get("owner", "alice")
        setup_py, module_code = options.get("setup_py"), options.get("module_code")
        when = self._when(timestamp)
        first = self.last_serial
        project = self.project(name) or self.create_project(name, owner=owner, timestamp=when)
        release = find_release(project, version)
        if release is None:
            info = build_metadata(project.name, owner, options.get("metadata"))
            release = Release(version, info, when, self._counter + 1, setup_py, module_code)
            project.add_release(release)
            self._log(project, version, "new release", when)
        files, publisher = options.get("files"), options.get("provenance")
        filenames = default_filenames(project.name, version) if files is None else files
        added = tuple(self._add_file(project, release, f, None, when, publisher) for f in filenames)
        serials = tuple(
            e.serial for e in self.journal[bisect_right(self.journal, first, key=_serial) :]
        )
        return Upload(project.name, project.normalized, release.version, added, serials)

    def add_file(
        self,
        name: str,
        version: str,
        filename: str,
        python_version: str | None = None,
        **options: Unpack[FileOptions],
    ) -> StoredFile:
        """A file uploaded later; `setup_py`/`module_code` make this file's content differ from
        the release's other files (a payload only in a late wheel)."""
        project, release = self._release(name, version)
        return self._add_file(
            project,
            release,
            filename,
            python_version,
            self._when(options.get("timestamp")),
            options.get("provenance"),
            setup_py=options.get("setup_py"),
            module_code=options.get("module_code"),
        )

    def remove_file(
        self, name: str, version: str, filename: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        project, release = self._release(name, version)
        stored = next((f for f in release.files if f.filename == filename), None)
        if stored is None:
            raise RegistryError(f"{project.name} {release.version} has no file {filename!r}")
        release.files.remove(stored)
        self._forget_files([stored])
        return self._log(project, release.version, f"remove file {filename}", self._when(timestamp))

    def remove_release(
        self, name: str, version: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        project, release = self._release(name, version)
        self._forget_files(release.files)
        project.drop_release(release)
        return self._log(project, release.version, "remove release", self._when(timestamp))

    def set_yanked(
        self, name: str, version: str, reason: str | None, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        """reason None unyanks."""
        project, release = self._release(name, version)
        release.yanked, release.yanked_reason = reason is not None, reason or ""
        action = "yank release" if reason is not None else "unyank release"
        return self._log(project, release.version, action, self._when(timestamp))

    def set_release_quarantine(
        self, name: str, version: str, quarantined: bool, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        project, release = self._release(name, version)
        release.quarantined = quarantined
        action = "release quarantined" if quarantined else "release quarantine cleared"
        return self._log(project, release.version, action, self._when(timestamp))

    # ------------------------------------------------------------------ roles
    def add_role(
        self, name: str, role: str, user: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        project = self._project(name)
        if (role, user) in project.roles:
            raise RegistryError(f"{user} already has role {role} on {project.name}")
        project.roles.append((role, user))
        return self._log(project, None, f"add {role} {user}", self._when(timestamp))

    def remove_role(
        self, name: str, role: str, user: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        project = self._project(name)
        if (role, user) not in project.roles:
            raise RegistryError(f"{user} has no role {role} on {project.name}")
        project.roles.remove((role, user))
        return self._log(project, None, f"remove {role} {user}", self._when(timestamp))

    def change_role(
        self, name: str, user: str, new_role: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        project = self._project(name)
        index = next((i for i, (_, u) in enumerate(project.roles) if u == user), None)
        if index is None:
            raise RegistryError(f"{user} has no role on {project.name}")
        old_role = project.roles[index][0]
        project.roles[index] = (new_role, user)
        action = f"change {old_role} {user} to {new_role}"
        return self._log(project, None, action, self._when(timestamp))

    # ------------------------------------------------------------------ journal
    def append_raw_event(
        self, name: str, version: str | None, action: str, *, timestamp: datetime | None = None
    ) -> JournalEntry:
        """Any action string, for historical or unknown rows; touches no state but the serial."""
        project = self.project(name)
        return self._log(project, version, action, self._when(timestamp), name=name)

    def skip_serials(self, count: int) -> None:
        """Leave a gap, like rolled-back transactions: the next row's serial jumps."""
        if count < 0:
            raise RegistryError("cannot skip a negative number of serials")
        self._counter += count

    # ------------------------------------------------------------------ internals
    def _add_file(
        self,
        project: Project,
        release: Release,
        filename: str,
        python_version: str | None,
        when: datetime,
        publisher: Mapping[str, Any] | None,
        *,
        setup_py: str | None = None,
        module_code: str | None = None,
    ) -> StoredFile:
        if filename in self._used_filenames:
            raise RegistryError(f"filename {filename!r} has already been used")
        kind = classify_filename(filename)
        if python_version is not None:
            kind = FileKind(kind.packagetype, python_version)
        recipe = ArchiveRecipe(
            project.name,
            release.version,
            filename,
            release.metadata,
            when,
            setup_py if setup_py is not None else release.setup_py,
            module_code if module_code is not None else release.module_code,
        )
        entry = self._log(
            project, release.version, f"add {kind.python_version} file {filename}", when
        )
        stored = StoredFile(
            filename,
            project.normalized,
            release.version,
            kind,
            when,
            entry.serial,
            recipe,
            dict(publisher) if publisher else None,
        )
        release.files.append(stored)
        self.files[filename] = stored
        self._used_filenames.add(filename)
        return stored

    def _forget_files(self, files: Sequence[StoredFile]) -> None:
        for stored in files:
            self.files.pop(stored.filename, None)

    def _log(
        self,
        project: Project | None,
        version: str | None,
        action: str,
        when: datetime,
        *,
        name: str = "",
    ) -> JournalEntry:
        self._counter += 1
        display = project.name if project else name
        entry = JournalEntry(display, version, when, action, self._counter)
        self.journal.append(entry)
        if project is not None:
            project.serials.append(entry.serial)
        return entry

    def _when(self, timestamp: datetime | None) -> datetime:
        when = self.clock() if timestamp is None else timestamp
        if when.tzinfo is None:
            raise RegistryError("timestamps must be timezone-aware")
        return when.astimezone(UTC)

    def _project(self, name: str) -> Project:
        project = self.project(name)
        if project is None:
            raise RegistryError(f"no project {name!r}")
        return project

    def _release(self, name: str, version: str) -> tuple[Project, Release]:
        project = self._project(name)
        release = find_release(project, version)
        if release is None:
            raise RegistryError(f"{project.name} has no release {version!r}")
        return project, release


def find_release(project: Project, version: str) -> Release | None:
    """Exact version first, then PEP 440 canonical equality, as Warehouse matches URLs."""
    release = project.releases.get(version)
    return (
        release if release is not None else project.by_canonical.get(canonicalize_version(version))
    )


def _serial(entry: JournalEntry) -> int:
    return entry.serial
