"""Read ClinicalTrials.gov API v2 study records from files, pages, JSON Lines, directories, bulk
zips and standard input, one at a time. What cannot be read comes out as a RecordError value, so
one bad record never stops the others.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import stat
import sys
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any, BinaryIO

from kg.errors import InputError, RecordError

MAX_BYTES = 256 * 2**20
MAX_LITERAL = 16 * 2**20
SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".txt", ".zip"})
LINE_SUFFIXES = frozenset({".jsonl", ".ndjson"})
BOM = b"\xef\xbb\xbf"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError)
_NCT_NAME = re.compile(r"(?:^|[/\\!])(NCT\d{8})\.json$", re.IGNORECASE)
_NCT_TEXT = re.compile(rb"""["']nctId["']\s*:\s*["'](NCT\d{8})["']""")
_KINDS = {list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
_UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""What JSON and Python literals can give and text files cannot hold: control characters (no
XML 1.0 document can, so RDF/XML, GraphML and GEXF exports broke), lone UTF-16 surrogates (no
UTF-8 text can) and the noncharacters U+FFFE and U+FFFF (XML again)."""
_UNFIT_ESCAPE = re.compile(rb"\\(?:u(?:[dD][89a-fA-F]|00[01]|[fF]{3}[eEfF])|U0000|x[01]|[abfv0])")
_UNFIT_RAW = re.compile(rb"\xef\xbf[\xbe\xbf]")
_CONTROLS = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


@dataclass(frozen=True, slots=True)
class Record:
    """One study record as read, with where it came from.

    ``source`` is the file path, ``file#studies[i]`` (API page), ``file#[i]`` (list),
    ``file:LINE`` (JSON Lines), ``archive.zip!member`` or ``<stdin>`` (with the same suffixes).
    """

    data: dict
    source: str
    nct_id: str | None
    warnings: tuple[str, ...] = ()
    """What was mended on reading (``NCT ID: JSON path: what``), as the mapping words its own."""


_Item = Record | RecordError


@dataclass(frozen=True, slots=True)
class Unit:
    """One thing that is read on its own: a file, a zip member, or standard input (``-``).

    Units are small and picklable, so parallel builds hand them to worker processes, which
    read, parse and map them there.
    """

    path: str
    member: str | None = None

    @property
    def source(self) -> str:
        """How records of the unit name where they come from: the path, or ``path!member``."""
        return self.path if self.member is None else f"{self.path}!{self.member}"


def records(
    inputs: Iterable[str | os.PathLike] | str | os.PathLike, *, stdin: BinaryIO | None = None
) -> Iterator[_Item]:
    """Yield every study record found in the inputs, one at a time, or a RecordError for each one
    that can't be read. ``-`` is standard input (``stdin`` if given, else ``sys.stdin.buffer``).

    :raises InputError: at once, before anything is read, when an input path does not exist.
    """
    return _read(_paths(inputs), stdin)


def units(inputs: Iterable[str | os.PathLike] | str | os.PathLike) -> Iterator[Unit | RecordError]:
    """The units of the inputs in reading order, or a RecordError for what cannot be listed.

    :raises InputError: at once, before anything is read, when an input path does not exist.
    """
    return _listed(_paths(inputs))


def _listed(paths: list[str]) -> Iterator[Unit | RecordError]:
    """The units of ``paths``; the last archive listed is closed when they end."""
    try:
        yield from _units(paths)
    finally:
        _open_archive.cache_clear()


def _paths(inputs: Iterable[str | os.PathLike] | str | os.PathLike) -> list[str]:
    """The inputs as path strings, every one of them checked to exist (``-`` aside)."""
    if isinstance(inputs, str | os.PathLike):
        inputs = [inputs]
    paths = [os.fsdecode(p) for p in inputs]
    for path in paths:
        if path != "-" and not os.path.exists(path):
            raise InputError(f"no such file or directory: {path}")
    return paths


def read_unit(unit: Unit, stdin: BinaryIO | None = None) -> Iterator[_Item]:
    """The records of one unit, or a RecordError for each one that can't be read."""
    if unit.path == "-":
        yield from _stream(stdin if stdin is not None else sys.stdin.buffer, "<stdin>")
    elif unit.member is None:
        yield from _file(unit.path)
    else:
        yield from _member(unit.path, unit.member)


def _read(paths: list[str], stdin: BinaryIO | None) -> Iterator[_Item]:
    try:
        for unit in _units(paths):
            if isinstance(unit, RecordError):
                yield unit
            else:
                yield from read_unit(unit, stdin)
    finally:
        _open_archive.cache_clear()


def _units(paths: list[str]) -> Iterator[Unit | RecordError]:
    for path in paths:
        if path == "-":
            yield Unit("-")
        elif os.path.isdir(path):
            yield from _directory(path)
        else:
            yield from _file_units(path)


def _directory(path: str) -> Iterator[Unit | RecordError]:
    try:
        with os.scandir(path) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        yield RecordError(f"cannot list directory: {exc.strerror or exc}", source=path)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        child = os.path.join(path, entry.name)
        if entry.is_dir(follow_symlinks=False):
            yield from _directory(child)
        elif os.path.splitext(entry.name)[1].lower() in SUFFIXES and entry.is_file():
            yield from _file_units(child)


def _file_units(path: str) -> Iterator[Unit | RecordError]:
    """A plain file is one unit; a zip archive is one unit per ``.json`` member."""
    try:
        with open(path, "rb") as stream:
            regular = stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
            zipped = path.lower().endswith(".zip") or stream.peek(4)[:4] in ZIP_MAGIC
    except OSError:
        zipped = regular = False
    if not (zipped and regular):
        yield Unit(path)
        return
    try:
        archive = _archive(path)
    except (OSError, zipfile.BadZipFile) as exc:
        yield RecordError(f"not a readable zip archive: {exc}", source=path)
        return
    for info in sorted(archive.infolist(), key=lambda info: info.filename):
        base = info.filename.rsplit("/", 1)[-1]
        if not (info.is_dir() or base.startswith(".") or not base.lower().endswith(".json")):
            yield Unit(path, info.filename)


def _file(path: str) -> Iterator[_Item]:
    try:
        with open(path, "rb") as stream:
            info = os.fstat(stream.fileno())
            regular = stat.S_ISREG(info.st_mode)
            yield from _stream(stream, path, info.st_size if regular else None)
    except OSError as exc:
        yield RecordError(f"cannot read: {exc.strerror or exc}", source=path, nct_id=_named(path))


def _archive(path: str) -> zipfile.ZipFile:
    """The open archive being read (one at a time, so its directory is parsed once), opened by
    this process: a worker forked while its parent held the archive open would share the
    file's offset with the parent and the other workers, and their reads would interleave."""
    return _open_archive(path, os.getpid())


@lru_cache(maxsize=1)
def _open_archive(path: str, pid: int) -> zipfile.ZipFile:
    return zipfile.ZipFile(path)


def _member(path: str, name: str) -> Iterator[_Item]:
    source = f"{path}!{name}"
    try:
        archive = _archive(path)
        info = archive.getinfo(name)
        with archive.open(info) as member:
            if info.file_size <= MAX_BYTES:
                # zipfile's own readline is slow Python: a member of bounded size is read whole
                data = member.read(MAX_BYTES + 1)
                yield from _stream(io.BytesIO(data), source, len(data))
            else:
                yield from _stream(member, source, info.file_size)
    except (KeyError, zipfile.BadZipFile, *READ_ERRORS) as exc:
        yield RecordError(f"cannot read: {exc}", source=source, nct_id=_named(source))


def _stream(stream: BinaryIO, source: str, size: int | None = None) -> Iterator[_Item]:
    try:
        yield from _content(stream, source, size)
    except RecordError as exc:
        yield exc.located(source=source, nct_id=_named(source))
    except READ_ERRORS as exc:
        yield RecordError(f"cannot read: {exc}", source=source, nct_id=_named(source))


def _content(stream: BinaryIO, source: str, size: int | None) -> Iterator[_Item]:
    """Tell a JSON document, JSON Lines and a ``Raw JSON`` Python-literal dump apart by content."""
    reader = _raw_lines(stream)
    head: list[bytes] = []
    while (line := next(reader, b"")) and _blank(line):
        head.append(line)
    if not line:
        raise RecordError("empty file")
    if line.startswith(ZIP_MAGIC):
        raise RecordError(
            "a zip archive can only be read from a file, not from a pipe or standard input"
        )
    head.append(line)
    header = line.removeprefix(BOM).strip() == b"Raw JSON"
    lines = os.path.splitext(source)[1].lower() in LINE_SUFFIXES
    if not (lines or header) and (value := _json_or_none(line)) is not None:
        unfit = _may_hold_unfit(line)
        while (line := next(reader, b"")) and _blank(line):
            head.append(line)
        if not line:
            yield from _studies(value, source, _named(source), unfit)
            return
        head.append(line)
        lines = True
    if lines:
        yield from _lines(chain(head, reader), source)
        return
    if header:
        data, offset = stream.read(MAX_LITERAL + 1), sum(map(len, head))
    else:
        data, offset = b"".join(head), 0
        if (size is not None and size > MAX_BYTES) or len(data) > MAX_BYTES:
            raise RecordError("larger than 256 MiB")
        data += stream.read(MAX_BYTES + 1 - len(data))
        if len(data) > MAX_BYTES:
            raise RecordError("larger than 256 MiB")
    try:
        value = _parse(
            data, offset=offset, first_line=len(head) + 1 if header else 1, literal=header
        )
    except RecordError as exc:
        raise exc.located(nct_id=_mentioned(data)) from None
    yield from _studies(value, source, _named(source), _may_hold_unfit(data))


def _lines(lines: Iterable[bytes], source: str) -> Iterator[_Item]:
    offset = 0
    for number, line in enumerate(lines, 1):
        where, start, offset = f"{source}:{number}", offset, offset + len(line)
        if _blank(line):
            continue
        try:
            if len(line) > MAX_BYTES:
                raise RecordError("line larger than 256 MiB")
            value = _parse(line.rstrip(b"\r\n"), offset=start, first_line=number)
        except RecordError as exc:
            yield exc.located(source=where, nct_id=_mentioned(line))
            continue
        yield from _studies(value, where, unfit=_may_hold_unfit(line))


def _raw_lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines of at most 256 MiB + 1 byte; the rest of a longer line is skipped."""
    while line := stream.readline(MAX_BYTES + 1):
        if len(line) > MAX_BYTES and not line.endswith(b"\n"):
            while (more := stream.readline(1 << 20)) and not more.endswith(b"\n"):
                pass
        yield line


def _studies(
    value: object, source: str, nct_id: str | None = None, unfit: bool = False
) -> Iterator[_Item]:
    """One Record per study in a study object, an API page or a list of studies; ``unfit``:
    the text may hold characters that XML or UTF-8 text cannot (see :func:`_record`)."""
    entries, key = value, ""
    if isinstance(value, dict) and "studies" in value:
        entries, key = value["studies"], "studies"
        if not isinstance(entries, list):
            problem = f"expected a list of studies, got {_kind(entries)}"
            yield RecordError(problem, source=source, path="$.studies")
            return
    if isinstance(entries, dict):
        yield _record(entries, source, unfit)
        return
    if not isinstance(entries, list):
        problem = f"expected a study object, got {_kind(entries)}"
        yield RecordError(problem, source=source, nct_id=nct_id)
        return
    path = f"$.{key}" if key else "$"
    for i, entry in enumerate(entries):
        if isinstance(entry, dict):
            yield _record(entry, f"{source}#{key}[{i}]", unfit)
        else:
            problem = f"expected a study object, got {_kind(entry)}"
            yield RecordError(problem, source=source, path=f"{path}[{i}]")


def _parse(data: bytes, *, offset: int = 0, first_line: int = 1, literal: bool = False) -> object:
    """JSON text, or a Python literal when asked for or when it starts like one (``{'``)."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise RecordError(
            f"not valid UTF-8 (byte 0x{byte:02x} at offset {offset + exc.start})"
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise RecordError("invalid JSON: nested too deeply") from None
    except json.JSONDecodeError as exc:
        if not (literal or text.lstrip().startswith("{'")):
            where = f"line {exc.lineno + first_line - 1}, column {exc.colno}"
            raise RecordError(f"invalid JSON: {exc.msg} ({where})") from None
    except ValueError as exc:
        raise RecordError(f"invalid JSON: {exc}") from None
    if len(data) > MAX_LITERAL:
        raise RecordError("larger than 16 MiB, too large for a Python literal")
    return _literal(text, first_line)


def _literal(text: str, first_line: int) -> object:
    body = text.lstrip()
    if not body:
        raise RecordError("no Python literal after the 'Raw JSON' line")
    first_line += text.count("\n", 0, len(text) - len(body))
    try:
        return ast.literal_eval(body)
    except SyntaxError as exc:
        where = f"line {(exc.lineno or 1) + first_line - 1}, column {exc.offset}"
        raise RecordError(f"invalid Python literal: {exc.msg} ({where})") from None
    except (ValueError, TypeError) as exc:
        found = re.match(r"(.*) on line (\d+): <", str(exc))
        problem = f"{found[1]} (line {int(found[2]) + first_line - 1})" if found else str(exc)
        raise RecordError(f"invalid Python literal: {problem}") from None
    except (RecursionError, MemoryError):
        raise RecordError("invalid Python literal: nested too deeply or too large") from None


def _json_or_none(line: bytes) -> object:
    try:
        return json.loads(line.decode("utf-8").removeprefix("\ufeff"))
    except (ValueError, RecursionError):
        return None


def _blank(line: bytes) -> bool:
    return not line.removeprefix(BOM).strip()


def _may_hold_unfit(text: bytes) -> bool:
    """True when ``text`` may hold a character that XML or UTF-8 text cannot (see
    :data:`_UNFIT`), raw or escaped: only then is a record walked for them. Three scans of 10-12
    us each for a 22 KB record (one regular expression for all took 260 us)."""
    return (
        _UNFIT_ESCAPE.search(text) is not None
        or _UNFIT_RAW.search(text) is not None
        or len(text.translate(None, _CONTROLS)) != len(text)
    )


def _record(data: dict, source: str, unfit: bool) -> Record:
    """The Record of one study; with ``unfit``, mended (see :func:`mend`)."""
    if not unfit:
        return Record(data, source, nct_id_of(data))
    data, warnings = mend(data)
    return Record(data, source, nct_id_of(data), warnings)


def mend(data: dict) -> tuple[dict, tuple[str, ...]]:
    """``data`` with each character that XML or UTF-8 text cannot hold (:data:`_UNFIT`) replaced
    by U+FFFD, and a warning naming the JSON path and the characters of each string mended."""
    if not _unfit_in(data):
        return data, ()
    found: list[tuple[str, str]] = []
    data = _mended(data, "$", found)
    nct_id = nct_id_of(data) or "(no NCT ID)"
    warnings = tuple(
        f"{nct_id}: {path}: {', '.join(f'U+{ord(c):04X}' for c in sorted(set(chars)))} cannot "
        "stand in XML or UTF-8 text; replaced by U+FFFD"
        for path, chars in found
    )
    return data, warnings


def _unfit_in(value: Any) -> bool:
    """True when a string in ``value`` (a key or a value, at any depth) holds :data:`_UNFIT`."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(item)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and not item.isprintable() and _UNFIT.search(item):
            return True  # what _UNFIT matches is never printable: most strings end the test there
    return False


def _mended(value: Any, path: str, found: list[tuple[str, str]]) -> Any:
    """``value`` with the characters of :data:`_UNFIT` replaced; ``found`` gets the JSON path
    and the characters of each string mended."""
    if isinstance(value, str):
        chars = "".join(_UNFIT.findall(value))
        if not chars:
            return value
        found.append((path, chars))
        return _UNFIT.sub("\ufffd", value)
    if isinstance(value, list):
        return [_mended(item, f"{path}[{i}]", found) for i, item in enumerate(value)]
    if isinstance(value, dict):
        mended = {}
        for key, item in value.items():
            name = key
            if isinstance(key, str) and (chars := "".join(_UNFIT.findall(key))):
                name = _UNFIT.sub("\ufffd", key)
                found.append((f"{path}.{name} (the field's name)", chars))
            mended[name] = _mended(item, f"{path}.{name}", found)
        return mended
    return value


def _kind(value: object) -> str:
    return "null" if value is None else _KINDS.get(type(value), type(value).__name__)


def nct_id_of(data: object) -> str | None:
    """The record's ``protocolSection.identificationModule.nctId`` when it is a string."""
    if not isinstance(data, dict):
        return None
    section = data.get("protocolSection")
    module = section.get("identificationModule") if isinstance(section, dict) else None
    nct_id = module.get("nctId") if isinstance(module, dict) else None
    return nct_id if isinstance(nct_id, str) else None


def _named(source: str) -> str | None:
    """The NCT ID in a file or zip member name such as ``NCT01234567.json``."""
    match = _NCT_NAME.search(source)
    return match.group(1).upper() if match else None


def _mentioned(data: bytes) -> str | None:
    """The NCT ID given as ``nctId`` in text that could not be parsed."""
    match = _NCT_TEXT.search(data)
    return match.group(1).decode() if match else None
