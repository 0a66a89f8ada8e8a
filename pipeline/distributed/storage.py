"""Where the job's output goes: a local folder (each file by an atomic rename) or anything
pyarrow's filesystems know (an object is published whole when its upload completes); and
the one line a storage failure becomes, saying who was refused (the driver, or a worker),
the URI, what was refused, and what to set."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from ..errors import MissingResource, reason
from ..outputs import atomic_output

__all__ = ["Output", "storage_errors", "storage_problem"]

_STORAGE_WORDS = (
    "AWS Error",
    "ACCESS_DENIED",
    "AccessDenied",
    "PERMISSION_DENIED",
    "NoSuchBucket",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "No credentials",
    "Unable to locate credentials",
)
"""What a storage library's message holds when object storage refused or failed."""
HINT = (
    "give the cluster's nodes credentials of their own (their environment, or an instance role), or "
    "pass this shell's to the job with --worker-env NAME for each variable (AWS_ACCESS_KEY_ID, "
    "AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL for an S3-compatible endpoint; their values are then "
    "visible to the cluster): see Scaling out, Credentials"
)


class Output:
    """The output folder, local or remote (see the module docstring)."""

    def __init__(self, output: str):
        self.uri = output
        self.local: Path | None = None
        with storage_errors("the driver", output):
            if "://" in output:
                from pyarrow import fs as pafs

                self.fs, self.base = pafs.FileSystem.from_uri(output)
                self.fs.create_dir(self.base, recursive=True)
            else:
                self.local = Path(output)
                self.local.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, text: str) -> None:
        if self.local is not None:
            with atomic_output(self.local / name) as stream:
                stream.write(text)
            return
        where = f"{self.uri.rstrip('/')}/{name}"
        with storage_errors("the driver", where), self.fs.open_output_stream(f"{self.base}/{name}") as stream:
            stream.write(text.encode("utf-8"))

    def read(self, name: str) -> str | None:
        try:
            if self.local is not None:
                return (self.local / name).read_text(encoding="utf-8")
            with self.fs.open_input_stream(f"{self.base}/{name}") as stream:
                return bytes(stream.read()).decode("utf-8")
        except OSError:  # none yet (not found), or unreadable
            return None

    def names(self) -> list[str]:
        if self.local is not None:
            return sorted(p.name for p in self.local.iterdir() if p.is_file())
        from pyarrow import fs as pafs

        with storage_errors("the driver", self.uri):
            infos = self.fs.get_file_info(pafs.FileSelector(self.base, allow_not_found=True))
        return sorted(PurePosixPath(i.path).name for i in infos if i.type == pafs.FileType.File)

    def remove(self, name: str) -> None:
        if self.local is not None:
            (self.local / name).unlink(missing_ok=True)
        else:
            with storage_errors("the driver", f"{self.uri.rstrip('/')}/{name}"):
                self.fs.delete_file(f"{self.base}/{name}")


def storage_problem(exc: BaseException) -> str | None:
    """The one line of a storage failure found in ``exc`` or what caused it (Ray wraps a
    worker's exception in its own, with pages of advice): the first line that names
    what object storage refused; None when ``exc`` is no storage failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for line in str(current).splitlines():
            if any(word in line for word in _STORAGE_WORDS):
                return line.strip()[:300]
        cause = getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else current.__cause__ or current.__context__
    return None


@contextlib.contextmanager
def storage_errors(who: str, uri: str) -> Iterator[None]:
    """A storage failure inside as one :class:`~pipeline.errors.MissingResource` line
    naming ``who`` was refused (the driver, a worker), ``uri`` and what to set."""
    try:
        yield
    except OSError as exc:
        problem = storage_problem(exc) or reason(exc)
        hint = f"; {HINT}" if who != "the driver" else "; check the credentials and endpoint of this shell"
        raise MissingResource(f"ray: {who} could not use {uri}: {problem}{hint}") from None
