"""Safe writing shared by every stage that writes: atomic files, whole output folders, locks.

- Every file is first written to a temporary ``.<stem>.<random>.part<suffix>`` beside the target and
  then renamed over it (``os.replace``), so an interrupted run never leaves a half-written file behind
  (:func:`atomic_path`, :func:`write_csv`, :func:`write_text`).
- A run's output folder is written as a whole: :func:`staged_folders` yields a staging folder per target
  inside one hidden ``.kibs-spatial-staging-*`` folder beside them, and only when every file is written
  does each staging folder replace its target in one step (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two
  renames). The folder then holds one run's files, never a mix of two runs. Files in the old folder
  that no run wrote (a README beside the maps) are carried over; the files of the previous run (listed
  in its ``.kibs-spatial-output.json``) are not. An interrupted run leaves the old folder untouched.
- :func:`output_lock` takes an exclusive lock (``.<name>.lock`` beside the target, ``flock``) so a
  second run writing to the same place at the same time is refused; the lock dies with its process.
  Holding it, :func:`remove_stale` deletes what killed runs left: staging folders and ``.part`` files.
- :func:`check_output_folder` and :func:`check_output_file` refuse, before any computation, a target
  that cannot be written (an existing file where a folder is wanted, a folder where a file is wanted,
  a path below a file, a read-only folder, the current or the home folder itself).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pandas as pd

from .errors import InputError

MANIFEST = ".kibs-spatial-output.json"
"""Written into every output folder: the top-level entries the run wrote (the next run replaces only those)."""
STAGING_ROOT = ".kibs-spatial-staging-"
OLD = ".{name}.old-"
LOCK = ".{name}.lock"


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part" + path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            if leftover.exists():
                leftover.unlink()


@contextmanager
def atomic_paths(paths: list[Path]) -> Iterator[list[Path]]:
    """:func:`atomic_path` for files that belong together: all are renamed into place at the end (Ctrl-C held
    meanwhile), or none is."""
    with ExitStack() as stack:
        temporary = [stack.enter_context(atomic_path(path)) for path in paths]
        yield temporary
        with deferred_interrupt():
            stack.close()


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a table as UTF-8 CSV with a BOM, so that spreadsheet programs show Korean correctly."""
    path = Path(path)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


def write_text(path: str | Path, text: str) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


# -- output targets: checks, locks, stale files --------------------------------------------------------------------

def check_output_folder(path: str | Path, label: str) -> Path:
    """``path`` resolved, if it can become an output folder; else :class:`InputError` naming ``label``."""
    path = Path(os.path.realpath(Path(path).expanduser()))  # a symbolic link: the folder it points to
    if path.exists() and not path.is_dir():
        raise InputError(f"{label}: {path} is a file, not a folder; name a folder for the outputs")
    if path.is_dir() and _is_protected(path):
        raise InputError(f"{label}: {path} is the current, home or root folder; the outputs need a folder of their own "
                         "(e.g. --output results), since the whole folder is replaced by each run")
    _check_writable(path, label)
    return path


def check_output_file(path: str | Path, label: str) -> Path:
    """``path`` resolved, if a file can be written there; else :class:`InputError` naming ``label``."""
    path = Path(path).expanduser().absolute()
    if path.is_dir():
        raise InputError(f"{label}: {path} is a folder; name the output file (e.g. {path / 'result'}{path.suffix or ''})")
    _check_writable(path.parent, label, folder_of=path)
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{label}: {path} exists and cannot be overwritten (read-only); choose another file")
    return path


def _is_protected(path: Path) -> bool:
    resolved = path.resolve()
    cwd = Path.cwd().resolve()
    return resolved == Path(resolved.anchor) or resolved == Path.home().resolve() or resolved in (cwd, *cwd.parents)


def _check_writable(folder: Path, label: str, folder_of: Path | None = None) -> None:
    """The nearest existing ancestor of ``folder`` is a writable folder."""
    probe = folder
    while not probe.exists():
        probe = probe.parent
    what = f"the folder of {folder_of}" if folder_of else str(folder)
    if not probe.is_dir():
        raise InputError(f"{label}: cannot create {what}: {probe} is a file; choose another path")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"{label}: cannot write into {probe} (permission denied); choose a folder you can write to")


@contextmanager
def output_lock(path: str | Path, label: str) -> Iterator[Path]:
    """Hold an exclusive lock on the output ``path`` (a file or a folder) for the block.

    The lock is ``.<name>.lock`` beside ``path`` (its parent is created), locked with ``flock``: the system
    releases it when the process ends, however it ends. A second holder is refused with an
    :class:`InputError` naming the process that holds it. Without ``fcntl`` (Windows) nothing is locked.
    """
    path = Path(path).absolute()
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield path
        return
    lock = path.parent / LOCK.format(name=path.name)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = _locked(lock, fcntl)
    except OSError as error:
        raise InputError(f"{label}: cannot create the lock file {lock} ({error.strerror}); choose a folder you can "
                         "write to") from None
    if fd is None:
        holder = _read_lock(lock)
        raise InputError(f"{label}: {path} is being written by another kibs-spatial run{holder}; wait for it to finish "
                         "or choose another output")
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}).encode())
        yield path
    finally:
        try:
            lock.unlink()  # while still locked: a process waiting on the old file sees it is gone and retries
        except OSError:
            pass
        os.close(fd)


def _locked(lock: Path, fcntl) -> int | None:
    """An open, locked descriptor of ``lock``, or None when another process holds it."""
    for _ in range(20):
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed the file between our open and our lock: take the new one
    return None


def _read_lock(lock: Path) -> str:
    try:
        holder = json.loads(lock.read_text(encoding="utf-8"))
        return f" (process {holder['pid']}, started {holder['started']})"
    except (OSError, ValueError, KeyError):
        return ""


def remove_stale(path: str | Path) -> list[Path]:
    """Remove what interrupted or killed runs left around the output ``path``: staging and old folders beside
    it, ``.part`` files (and SQLite journals) beside it or, for a folder, inside it. Call with the lock held."""
    path = Path(path).absolute()
    removed: list[Path] = []
    if path.parent.is_dir():
        patterns = (f"{OLD.format(name=path.name)}*", f".{path.stem}.*.part*")
        removed += [p for pattern in patterns for p in path.parent.glob(pattern)]
        _remove_unused_staging(path.parent)
    if path.is_dir():
        removed += list(path.rglob(".*.part*"))
    for leftover in removed:
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
    return removed


# -- whole folders -------------------------------------------------------------------------------------------------

@contextmanager
def staged_folders(targets: list[Path]) -> Iterator[dict[Path, Path]]:
    """Yield ``{target: staging folder}``; write into the staging folders. If the block completes, each staging folder
    replaces its target in one step (with the files of the old folder that no run wrote carried over) and the old
    folder is deleted; if it fails or is interrupted, the staging folders are deleted and the targets are untouched.

    The staging folders sit in one hidden folder in the targets' common parent, at the same relative places as the
    targets, so links between them (report -> maps) stay right after the replacement. Call with
    :func:`output_lock` held on every target. Ctrl-C during the replacement is acted on after it.
    """
    targets = [Path(t).absolute() for t in targets]
    common = Path(os.path.commonpath([t.parent for t in targets]))
    common.mkdir(parents=True, exist_ok=True)
    _remove_unused_staging(common)
    root = Path(tempfile.mkdtemp(prefix=STAGING_ROOT, dir=common))
    fd = _lock_folder(root)
    try:
        staging = {t: root / t.relative_to(common) for t in targets}
        for folder in staging.values():
            folder.mkdir(parents=True, exist_ok=True)
        yield staging
        with deferred_interrupt():
            for target, folder in staging.items():
                _write_manifest(folder)  # what this run wrote, before the user's files are carried over
                _carry_over(target, folder)
            for target, folder in staging.items():
                target.parent.mkdir(parents=True, exist_ok=True)
                _replace_folder(target, folder)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if fd is not None:
            os.close(fd)


def _lock_folder(folder: Path) -> int | None:
    """A descriptor holding an exclusive ``flock`` on ``folder`` (None without ``fcntl``): marks it as in use."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _remove_unused_staging(folder: Path) -> None:
    """Delete the staging folders in ``folder`` that no running process holds (left by killed runs)."""
    for stale in folder.glob(f"{STAGING_ROOT}*"):
        try:
            fd = _lock_folder(stale)
        except OSError:
            continue  # in use by another run
        try:
            shutil.rmtree(stale, ignore_errors=True)
        finally:
            if fd is not None:
                os.close(fd)


def _carry_over(target: Path, staging: Path) -> None:
    """Hard-link (or copy) into ``staging`` the entries of ``target`` that no run wrote and this run did not write."""
    if not target.is_dir():
        return
    ours = set(_manifest(target)) | {MANIFEST}
    for entry in target.iterdir():
        if entry.name in ours or (staging / entry.name).exists() or ".part" in entry.name:
            continue
        destination = staging / entry.name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, destination, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, destination)


def _link_or_copy(source, destination) -> None:
    if os.path.islink(source):
        os.symlink(os.readlink(source), destination)
        return
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _manifest(folder: Path) -> list[str]:
    try:
        return list(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["written"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _write_manifest(folder: Path) -> None:
    written = sorted(p.name for p in folder.iterdir() if p.name != MANIFEST)
    text = json.dumps({"written_by": "kibs-spatial", "written": written, "finished": time.strftime("%Y-%m-%d %H:%M:%S")},
                      indent=1)
    (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")


def _replace_folder(target: Path, staging: Path) -> None:
    """Put ``staging`` in the place of ``target`` in one step; the old folder (if any) ends at ``staging`` and is deleted."""
    if not target.exists():
        os.rename(staging, target)
        return
    if not _exchange(staging, target):
        old = Path(tempfile.mkdtemp(prefix=OLD.format(name=target.name), dir=target.parent))
        os.rename(target, old / target.name)
        os.rename(staging, target)
        os.rename(old / target.name, staging)
        old.rmdir()
    shutil.rmtree(staging, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


@contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) during the block and raise KeyboardInterrupt after it, so the block is never cut short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


@contextmanager
def locked_outputs(paths: list[tuple[Path, str]]) -> Iterator[None]:
    """:func:`output_lock` on every ``(path, label)``, in a fixed order, and :func:`remove_stale` under each."""
    with ExitStack() as stack:
        for path, label in sorted(paths, key=lambda item: str(item[0])):
            stack.enter_context(output_lock(path, label))
            remove_stale(path)
        yield
