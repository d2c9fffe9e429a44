"""The IDX reader and writer: round trips, gzip or not, and one-line errors naming the file for corrupt input."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from app.data.errors import DataError
from app.data.idx import read_idx, write_idx


@pytest.mark.parametrize("shape", [(3, 28, 28), (7,)], ids=["images-3d", "labels-1d"])
@pytest.mark.parametrize("name", ["data-idx", "data-idx.gz"], ids=["plain", "gzipped"])
def test_write_then_read_gives_the_same_array(tmp_path: Path, shape: tuple[int, ...], name: str) -> None:
    array = np.random.default_rng(3).integers(0, 256, shape, dtype=np.uint8)
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, array)


def test_written_header_is_the_canonical_big_endian_one(tmp_path: Path) -> None:
    write_idx(tmp_path / "images", np.zeros((2, 28, 28), np.uint8))
    write_idx(tmp_path / "labels.gz", np.zeros(2, np.uint8))
    assert (tmp_path / "images").read_bytes()[:16] == struct.pack(">4I", 0x00000803, 2, 28, 28)
    assert gzip.decompress((tmp_path / "labels.gz").read_bytes())[:8] == struct.pack(">2I", 0x00000801, 2)


def test_a_gz_name_holding_plain_idx_still_reads(tmp_path: Path) -> None:
    """Browsers may unzip a download and keep its `.gz` name; the content decides, not the name."""
    write_idx(tmp_path / "labels", np.arange(5, dtype=np.uint8))
    (tmp_path / "labels").rename(tmp_path / "labels.gz")
    np.testing.assert_array_equal(read_idx(tmp_path / "labels.gz"), np.arange(5))


def test_write_idx_refuses_arrays_other_than_uint8(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="uint8"):
        write_idx(tmp_path / "x", np.zeros(3, np.float32))


def error_of(path: Path, ndim: int | None = None) -> str:
    """The message of the DataError that reading `path` raises, checked to be one line naming the file."""
    with pytest.raises(DataError) as caught:
        read_idx(path, ndim)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


def test_wrong_magic_number_is_named(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_bytes(struct.pack(">2I", 0x00000D01, 0))
    assert "wrong magic number 0x00000d01" in error_of(path)


def test_images_where_labels_are_expected_is_a_wrong_magic_number(tmp_path: Path) -> None:
    write_idx(tmp_path / "labels", np.zeros((1, 28, 28), np.uint8))
    assert "wrong magic number 0x00000803, expected 0x00000801" in error_of(tmp_path / "labels", ndim=1)


@pytest.mark.parametrize("keep", [2, 10, 16 + 28 * 28 - 1], ids=["magic", "header", "data"])
def test_truncated_file_is_named(tmp_path: Path, keep: int) -> None:
    write_idx(tmp_path / "images", np.zeros((1, 28, 28), np.uint8))
    (tmp_path / "images").write_bytes((tmp_path / "images").read_bytes()[:keep])
    assert "truncated" in error_of(tmp_path / "images")


def test_truncated_gzip_stream_is_named(tmp_path: Path) -> None:
    write_idx(tmp_path / "images.gz", np.random.default_rng(1).integers(0, 256, (4, 28, 28), dtype=np.uint8))
    raw = (tmp_path / "images.gz").read_bytes()
    (tmp_path / "images.gz").write_bytes(raw[: len(raw) // 2])
    assert "truncated gzip" in error_of(tmp_path / "images.gz")


def test_bytes_after_the_data_are_named(tmp_path: Path) -> None:
    write_idx(tmp_path / "labels", np.zeros(3, np.uint8))
    (tmp_path / "labels").write_bytes((tmp_path / "labels").read_bytes() + b"\x00")
    assert "1 extra byte(s) after the 3 data" in error_of(tmp_path / "labels")


def test_a_missing_file_is_a_data_error(tmp_path: Path) -> None:
    assert "cannot read it" in error_of(tmp_path / "nothing")
