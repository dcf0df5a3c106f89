"""Qt tests run offscreen, each with its own data/settings/cache folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "simvid-data"
    monkeypatch.setenv("SIMVID_DATA_DIR", str(data))
    yield data
