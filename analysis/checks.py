"""The check registry: every check's id, default severity and what it looks at. docs/checks.md is
rendered from it (analysis.docs), so a check without an entry here does not exist."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from analysis.model import Severity
from analysis.names import typosquat as rules


@dataclass(frozen=True, slots=True)
class Check:
    """One named check."""

    id: str  # dotted: typosquat.omitted-char, metadata.disposable-email
    severity: Severity  # what it is worth on its own; scoring may raise it with other signals
    score: int  # default 0-100 weight on its own
    title: str
    description: str
    example: str = ""


def _name(check_id: str, title: str, description: str, example: str) -> Check:
    return Check(check_id, Severity.LOW, 50, title, description, example)


def _meta(check_id: str, severity: Severity, score: int, title: str, description: str) -> Check:
    return Check(check_id, severity, score, title, description)


TYPOSQUAT_CHECKS: tuple[Check, ...] = (
    _name(
        rules.CONFUSABLE,
        "Separator and look-alike folding",
        "Equal to a popular name once PEP 503 separators are dropped and l/i/1 and o/0 are "
        "folded (PyPI's own ultranormalization).",
        "pythondateutil, pi11ow",
    ),
    _name(
        rules.MULTI_LETTER,
        "Look-alike letter pairs",
        "Equal to a popular name when rn reads as m, vv as w or cl as d.",
        "rnatplotlib",
    ),
    _name(
        rules.OMITTED, "Omitted character", "One character of a popular name left out.", "reqests"
    ),
    _name(
        rules.REPEATED,
        "Repeated character",
        "One character of a popular name typed twice.",
        "requestss",
    ),
    _name(
        rules.INSERTED,
        "Inserted character",
        "One extra character; a key next to its neighbour counts as a typing slip.",
        "requestsa",
    ),
    _name(
        rules.SUBSTITUTED,
        "Substituted character",
        "One character replaced; a QWERTY neighbour or look-alike counts as a typing slip.",
        "rwquests",
    ),
    _name(rules.SWAPPED, "Swapped characters", "Two adjacent characters swapped.", "reqeusts"),
    _name(
        rules.TOKENS,
        "Swapped words",
        "The '-'-separated words of a popular name in another order.",
        "dateutil-python",
    ),
    _name(
        rules.PYTHON_AFFIX,
        "python/py affix",
        "A popular name with 'python' or 'py' added, dropped or swapped.",
        "python-requests, pydateutil",
    ),
    _name(
        rules.VERSION, "Version suffix", "A popular name followed by a version number.", "requests2"
    ),
    _name(
        rules.COMBO,
        "Combosquat",
        "A popular name plus a common affix (-utils, -sdk, secure-, ...). Plugin ecosystems "
        "(django-*, pytest-*, flake8-*, types-*, ...) are not squats of their host.",
        "requests-utils",
    ),
    _name(
        rules.IMPORT_NAME,
        "Import name",
        "The import name of a popular project, which people type instead of the project name.",
        "cv2 for opencv-python, sklearn for scikit-learn",
    ),
    _name(
        rules.DISTANCE_2,
        "Damerau-Levenshtein distance 2",
        "Two edits from one of the 100 most-downloaded names of at least 8 characters "
        "(rapidfuzz); two edits found on the way against other names are listed, not "
        "flagged.",
        "reqeustss",
    ),
)

METADATA_CHECKS: tuple[Check, ...] = (
    _meta(
        "metadata.empty-description",
        Severity.LOW,
        15,
        "Empty or tiny description",
        "The long description has fewer than 150 characters.",
    ),
    _meta(
        "metadata.no-project-urls",
        Severity.LOW,
        10,
        "No homepage or project URLs",
        "No home page, download URL or project URL at all.",
    ),
    _meta(
        "metadata.foreign-repository",
        Severity.LOW,
        20,
        "Repository of another project",
        "A source-hosting URL (GitHub, GitLab, Bitbucket, Codeberg) whose repository is a "
        "popular project other than this one. Low alone: forks keep upstream's URL, "
        "sub-packages and plugins point at their organisation's repository, templates at "
        "theirs. Medium when the name also imitates that project: borrowed credibility "
        "(starjacking).",
    ),
    _meta(
        "metadata.disposable-email",
        Severity.MEDIUM,
        40,
        "Disposable e-mail",
        "The author or maintainer e-mail is at a throwaway-inbox provider (mailinator, "
        "yopmail, ...).",
    ),
    _meta(
        "metadata.placeholder-email",
        Severity.LOW,
        15,
        "Placeholder e-mail",
        "The author or maintainer e-mail is at a placeholder domain (example.com, email.com, "
        "domain.com, ...), as templates and tutorials leave it; context for other signals.",
    ),
    _meta(
        "metadata.free-email",
        Severity.INFO,
        5,
        "Free e-mail provider",
        "The author or maintainer e-mail is at a free provider; common and legitimate alone, "
        "context for other signals.",
    ),
    _meta(
        "metadata.copied-metadata",
        Severity.MEDIUM,
        50,
        "Metadata copied from the target",
        "Summary, description, author, e-mail or home page equal to those of the popular "
        "project the name imitates.",
    ),
    _meta(
        "metadata.placeholder-version",
        Severity.LOW,
        10,
        "Placeholder version",
        "Version 0, 0.0, 0.0.0, 0.0.1 or 0.1: a name grabbed before there is anything in it.",
    ),
    _meta(
        "metadata.high-first-version",
        Severity.MEDIUM,
        45,
        "Absurdly high first version",
        "The first release of a project has a major version of 50 or more (99.0.0, "
        "999.9.9), the classic dependency-confusion trick to win over an internal package. "
        "A year or date as the major (2025.3.1, 20230519.1) is calendar versioning.",
    ),
    _meta(
        "metadata.new-project",
        Severity.INFO,
        10,
        "New project",
        "The first release of a project on PyPI, or a release of a project first uploaded "
        "less than 90 days before it: context, and what lets a flagged name with thin "
        "metadata reach medium.",
    ),
    _meta(
        "metadata.dormant-release",
        Severity.LOW,
        20,
        "Release after long dormancy",
        "More than a year since the previous release: context (a maintenance release is "
        "common; a taken-over account shows in owners, provenance, dependencies and code).",
    ),
    _meta(
        "metadata.new-owner",
        Severity.MEDIUM,
        45,
        "New owner on a popular project",
        "A popular project has owners or maintainers it did not have at its previous release.",
    ),
    _meta(
        "metadata.lost-provenance",
        Severity.MEDIUM,
        45,
        "Lost provenance",
        "The previous release was published by a Trusted Publisher with attestations; this one "
        "has none. High for a popular project.",
    ),
    _meta(
        "metadata.changed-provenance",
        Severity.MEDIUM,
        40,
        "Changed provenance",
        "Published from another repository or workflow than the previous release.",
    ),
    _meta(
        "metadata.new-dependency",
        Severity.LOW,
        25,
        "Dependency on a brand-new project",
        "Depends on a project first seen less than 30 days ago; medium for a popular project.",
    ),
    _meta(
        "metadata.typosquat-dependency",
        Severity.HIGH,
        60,
        "Dependency on a typosquat",
        "Depends on a name that imitates a popular project, looked up on PyPI: high when the "
        "dependency is new (first upload under 90 days), unknown or not on PyPI; medium "
        "when it is older; info when it is established (a year and 3 releases, or 20 "
        "releases): a namesake, not a squat.",
    ),
    _meta(
        "metadata.url-dependency",
        Severity.MEDIUM,
        40,
        "URL dependency",
        "A requirement installed from a URL (name @ https://...) instead of from PyPI.",
    ),
    _meta(
        "metadata.no-license",
        Severity.INFO,
        5,
        "No licence",
        "No licence, licence expression or licence classifier.",
    ),
    _meta("metadata.no-classifiers", Severity.INFO, 5, "No classifiers", "No trove classifiers."),
)

ARCHIVE_CHECKS: tuple[Check, ...] = (
    _meta(
        "archive.not-an-archive",
        Severity.MEDIUM,
        40,
        "Not an archive",
        "A .whl, .egg, .zip or .tar.* file whose bytes are no archive format at all; not read.",
    ),
    _meta(
        "archive.wrong-extension",
        Severity.HIGH,
        60,
        "Content does not match the extension",
        "A distribution file that is another container than its name says (a wheel named "
        ".tar.gz): read by its content, as a content-sniffing installer would, and the "
        "disguise itself is reported. A zip with a .dist-info directory is read as a wheel.",
    ),
    _meta(
        "archive.unknown-format",
        Severity.INFO,
        5,
        "Distribution format not read",
        "An extension the reader does not open (.exe, .msi, .rpm, .dmg, .tar.Z, ...).",
    ),
    _meta(
        "archive.unreadable",
        Severity.LOW,
        15,
        "Malformed archive",
        "A truncated stream, bad header, bad CRC or unsupported compression stopped reading "
        "(or skipped a zip member); PyPI validates uploads, so this is odd but usually benign.",
    ),
    _meta(
        "archive.path-traversal",
        Severity.HIGH,
        70,
        "Path traversal",
        "A member whose path climbs out of the extraction directory (../) after normalisation; "
        "medium for a README or licence taken from the repository above the project (pip "
        "refuses such an sdist).",
    ),
    _meta(
        "archive.absolute-path",
        Severity.HIGH,
        70,
        "Absolute path",
        "A member at an absolute path (/x, C:\\x, \\\\server\\x).",
    ),
    _meta(
        "archive.link",
        Severity.HIGH,
        60,
        "Symbolic or hard link",
        "A tar symlink or hardlink, or a zip entry with symlink mode bits; never followed. "
        "High when the target is absolute, unreadable or climbs out of the archive's top "
        "directory (what pip unpacks); low for a link between members (a changelog alias).",
    ),
    _meta(
        "archive.device",
        Severity.HIGH,
        60,
        "Device, FIFO or special file",
        "A tar character or block device, FIFO or other non-regular member.",
    ),
    _meta(
        "archive.duplicate-name",
        Severity.MEDIUM,
        40,
        "Duplicate member name",
        "Two members at one path: installers write both and the later copy wins, while a "
        "reviewer looking up the name may see the earlier one. The later copy is reported; "
        "info when its bytes equal the copy before (a licence listed twice), low for a "
        "README, licence or other text nothing runs.",
    ),
    _meta(
        "archive.bad-name",
        Severity.LOW,
        20,
        "Undecodable or control-character name",
        "A member name that is not UTF-8 (or not marked so in a zip), or contains control "
        "characters (medium): tools disagree on the name or print it misleadingly.",
    ),
    _meta(
        "archive.encrypted",
        Severity.MEDIUM,
        45,
        "Encrypted zip member",
        "A password-protected member: pip cannot install it and no scanner can read it.",
    ),
    _meta(
        "archive.bomb",
        Severity.HIGH,
        70,
        "Decompression bomb",
        "A compression ratio beyond the limit (whole archive, or one zip member), past 64 MiB "
        "unpacked.",
    ),
    _meta(
        "archive.size-limit",
        Severity.INFO,
        5,
        "Unpacked size over the limit",
        "More bytes to unpack than the total limit at a normal ratio (large compiled wheels); "
        "the rest was not read.",
    ),
    _meta(
        "archive.too-many-members",
        Severity.LOW,
        15,
        "Too many members",
        "More members than the limit; the rest were not read.",
    ),
    _meta(
        "archive.deep-path",
        Severity.LOW,
        20,
        "Deeply nested path",
        "A member path with more components than the limit; not read.",
    ),
    _meta(
        "archive.member-too-large",
        Severity.LOW,
        10,
        "Oversized text member",
        "A file we analyse (.py, .pth, ...) larger than the per-member limit; only its head "
        "was kept.",
    ),
    _meta(
        "archive.bundled-binary",
        Severity.LOW,
        30,
        "Native binary in a pure distribution",
        "An ELF, PE or Mach-O file (by magic number) in an sdist, pure egg or none-any wheel. "
        "Low alone (launchers and helper programs are shipped on purpose); high when code in "
        "the same archive starts it at install or start-up time, medium on import (code "
        "nobody can review runs on its own). Compiled wheels are expected to carry them.",
    ),
    _meta(
        "archive.metadata-mismatch",
        Severity.MEDIUM,
        40,
        "Archive metadata disagrees",
        "PKG-INFO or METADATA (or the .dist-info name) disagrees with PyPI's JSON on name, "
        "version or dependencies. A dependency only the archive declares is the dangerous "
        "one (medium); low when only an extra or only older Pythons install it, when it is a "
        "popular project, or when the JSON gives other bounds for the dependencies both list "
        "(PyPI kept another file's metadata). A name or version that differs is a packaging "
        "mistake (low).",
    ),
    _meta(
        "archive.missing-metadata",
        Severity.LOW,
        20,
        "Wheel without METADATA",
        "A wheel with no .dist-info/METADATA: pip refuses it.",
    ),
    # Raised by the collector (and `scan`) about a file it could not read at all.
    _meta(
        "archive.too-large",
        Severity.INFO,
        5,
        "Not inspected: too large",
        "The file is larger than the download cap (max-file-size), so its code was not read. "
        "Never a silent skip: the release shows that one of its files is unexamined.",
    ),
    _meta(
        "archive.digest-mismatch",
        Severity.HIGH,
        70,
        "Digest mismatch",
        "The bytes served for the file do not hash to the sha256 PyPI lists for it, after "
        "several downloads: tampering on the way, or a broken mirror.",
    ),
    _meta(
        "archive.inspection-failed",
        Severity.LOW,
        20,
        "Inspection failed",
        "Reading the file crashed or timed out in the isolated reader process, repeatedly: "
        "the file is hostile to readers or hits a bug of ours; a person should look.",
    ),
)

CODE_CHECKS: tuple[Check, ...] = (
    _meta(
        "code.exfiltration",
        Severity.CRITICAL,
        95,
        "Exfiltration",
        "Reads secrets (credential, browser, wallet and token files, the whole environment, "
        "keystrokes, the instance metadata service, or an environment variable or host name "
        "that flows into the request) and sends them over the network, also through the "
        "module's own helpers, DNS names and TLS sockets. Critical at install or start, high "
        "on import. When called: high for secrets sent, anything sent to a receiver made for "
        "stolen data, or a keyboard hook next to a send; medium for a wallet's private key or "
        "recovery phrase, handed to a function, posted to an address written in the code; "
        "low when the person at the keyboard is asked first (a report tool) or nothing "
        "secret is sent.",
    ),
    _meta(
        "code.decode-exec",
        Severity.CRITICAL,
        95,
        "Decode and execute",
        "Decoded data (base64, zlib, marshal, hex, rot13, Fernet, reversed or chr-joined text, "
        "powershell -enc, base64 -d | sh) flows into exec, eval, compile, __import__ or a "
        "shell, or is written to a file that is then started (a dropper, also of a script "
        "shipped as a string); Python held in a string and run by exec or python -c is read "
        "as code. Critical at install, start or import; high from a function; low without a "
        "payload shipped in the file. Also what an obfuscator's output (escaped text, "
        "character codes, XOR, literal layers) flows into: critical at install, start or "
        "import, medium from a function.",
    ),
    _meta(
        "code.download-exec",
        Severity.CRITICAL,
        95,
        "Download and execute",
        "Fetches a file and runs it or marks it executable, writes downloaded data to a file "
        "that is then started, executes a response body, or pipes curl/wget into a shell "
        "(also `iwr ... ; Start-Process`, saved-then-run). Critical at install or start; high "
        "when called for code fetched from an address the package names (or decodes from a "
        "literal), low for one the caller gives (a plugin loader); a program fetched from a "
        "bare IP address, or next to a write of a start-up file, and made executable when "
        "called is medium.",
    ),
    _meta(
        "code.process-spawn",
        Severity.MEDIUM,
        50,
        "Process at install time",
        "Runs a command at install, start or import time that is not a build tool (a "
        "compiler, configure, make, git, touch, ... or a program found at run time): low for "
        "an unclassified program (builds run sass, pnpm, ant), medium for a Windows program "
        "started by name, high for reconnaissance (whoami, hostname, net user, ipconfig, a "
        "listing of /, /proc, /etc or /home, every file of an absolute directory listed (ls "
        "-R) or printed (cat /dir/*), a DNS lookup), for powershell, certutil, mshta, wscript, "
        "crontab and other fetch-or-persist commands, and for rm -rf of / or ~; critical for "
        "a reverse shell (a process on a socket dup2'ed onto the standard streams, /dev/tcp, "
        "nc -e, socat over TCP). Commands are read through sh -c and cmd /c wrappers and "
        "compound lines; a command decoded from a base64 or hex literal is read as what it "
        "decodes to. Wherever it runs, a command received on a socket, or a whole command "
        "line fetched over HTTP, is a remote shell (high); when called, only from a socket or "
        "an address the package names (a REPL loads a script from where it is told). A "
        "program shipped in the tree is named by its last path piece (os.path.join, pathlib's "
        "/); a bundled binary the command names is raised to high at install or start, "
        "medium on import.",
    ),
    _meta(
        "code.beacon",
        Severity.MEDIUM,
        50,
        "Beacon at install",
        "A request at install or start (a setup.py command, a .pth line, a build backend) to "
        "an address written in the code whose host serves no code: not GitHub, GitLab, "
        "Bitbucket, PyPI, python.org, SourceForge, Hugging Face or Anaconda, no placeholder or "
        "local name. Also curl, wget or Invoke-WebRequest of such an address in a command. "
        "What a dependency-confusion probe or a first stage does to report the install; "
        "medium at install or start, low on import (libraries phone home), nothing when "
        "called. Sending secrets is exfiltration.",
    ),
    _meta(
        "code.shady-url",
        Severity.LOW,
        25,
        "Shady URL",
        "A webhook with its token, a paste, tunnel or request-catcher host, an IP lookup "
        "service or a public IP literal in code (not docstrings), in a URL or a "
        "connect((host, port)) address; high next to a send or exec at install or import. "
        "A raw IP or an IP lookup service is a weak receiver: medium next to a send on "
        "import, low in code that runs only when called.",
    ),
    _meta(
        "code.credential-access",
        Severity.MEDIUM,
        50,
        "Credential file access",
        "Names SSH keys, cloud or registry tokens, browser or wallet stores or /etc/passwd in "
        "code that runs at install or start: in one path string, or across the pieces of "
        "os.path.join or pathlib's /. A multi-line string (a shell template) names no file. "
        "Naming the cloud instance metadata service at install or start is high (cloud SDKs "
        "ask it when called).",
    ),
    _meta(
        "code.obfuscation",
        Severity.LOW,
        25,
        "Obfuscation",
        "PyArmor runtime, builtins reached through getattr or __dict__, code hidden after "
        "long runs of spaces (high where code runs on its own), long high-entropy strings; "
        "medium when it reaches exec at "
        "install, start or import, high there when exec's name is built up ('ex' + 'ec'). "
        "getattr(builtins, 'exec') written out is a Python 2 compat idiom: low. The PyArmor "
        "runtime is medium in code run at install, start or import, and wherever the encrypted "
        "module itself (__pyarmor__(__name__, __file__, b'...')) ships. Obfuscators' techniques "
        "are counted per module: text in \\x or octal escapes, builtins reached by computed "
        "names (str(oct)[-3] pickers), generated names (IlIl, O0O0, ____), text spelled in "
        "character codes, XOR ciphers, exec bound to a generated name, base64/hex/zlib/lzma/"
        "bz2/gzip/rot13 layers, marshal blobs and programs in base64. Two techniques, or one "
        "used heavily, are high where code runs on its own (medium in a loaded module's "
        "functions, low when called), critical around a hidden exec; exec's name hidden by "
        "one technique is high there; Python kept in a literal is medium. Literals are "
        "unwrapped without running anything (marshal and pickle data are never loaded) and "
        "the code they hide is read like the module's own, at the reach of the code that "
        "holds it.",
    ),
    _meta(
        "code.invisible-unicode",
        Severity.MEDIUM,
        50,
        "Invisible or bidirectional Unicode",
        "Zero-width or bidirectional control characters in code or comments, or bidi "
        "controls left open on a string literal's line (Trojan Source); low for bidi "
        "controls a string closes itself (right-to-left text), a close with nothing open "
        "(pasted text) and the ends of a range of invisible characters (a regex class).",
    ),
    _meta(
        "code.persistence",
        Severity.HIGH,
        70,
        "Persistence",
        "Writes a shell start-up file (.bashrc, .zshrc, .profile), the Windows Startup folder "
        "or a Run key, an autostart entry, cron, a launch agent or a browser's command line "
        "(--load-extension) where code runs on its own "
        "(install, start, import): what it adds runs at every login, long after the install. "
        "Low in code that runs when called (a CLI installing shell completion).",
    ),
    _meta(
        "code.startup-hook",
        Severity.LOW,
        25,
        "Startup hook",
        "A .pth file with executable import lines or a shipped sitecustomize/usercustomize: "
        "code at every interpreter start. Info for a plain `import module` line.",
    ),
    _meta(
        "code.command-shadow",
        Severity.MEDIUM,
        50,
        "Shadowed command",
        "Installs a console script named like a common command (pip, python, git, sudo, ssh, "
        "curl, ...) that the distribution does not own.",
    ),
    _meta(
        "code.cmdclass-override",
        Severity.INFO,
        5,
        "cmdclass override",
        "setup(cmdclass=...) replaces install, develop, egg_info, build_py or another command; "
        "context: its code is read at install reach.",
    ),
    _meta(
        "code.build-backend",
        Severity.LOW,
        25,
        "Unusual build backend",
        "An in-tree PEP 517 backend (backend-path, low), a build requirement from a URL "
        "(medium), or an uncommon backend name (info).",
    ),
)

# Raised when an OSV sync brings a public report naming a release we stored (analysis.osv).
KNOWN_CHECKS: tuple[Check, ...] = (
    _meta(
        "known.malicious",
        Severity.CRITICAL,
        100,
        "Reported malicious",
        "A public known-malware report (an OSV MAL- record, from the OpenSSF "
        "malicious-packages project) names this release. Critical on its own; kept across "
        "re-analyses, and the time our own verdict reached medium before the report was "
        "published is recorded as our lead.",
    ),
    _meta(
        "known.vulnerability",
        Severity.HIGH,
        60,
        "Known vulnerability",
        "A public vulnerability record (PYSEC, GHSA, CVE via OSV) affects this release, the "
        "newest stored one it affects. Not a sign of malice: it never changes the risk "
        "verdict, and alerts only subscriptions that ask for it (check `known.`).",
    ),
)

CHECKS: tuple[Check, ...] = (
    TYPOSQUAT_CHECKS + METADATA_CHECKS + ARCHIVE_CHECKS + CODE_CHECKS + KNOWN_CHECKS
)
CHECKS_BY_ID: Mapping[str, Check] = {check.id: check for check in CHECKS}
