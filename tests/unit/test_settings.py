"""User settings: names and sizes are parsed once on load; the JSON keeps their spellings."""

from __future__ import annotations

import json
import logging

import pytest

from simvid_desktop.model.project import Resolution, TransitionKind
from simvid_desktop.model.settings import CollisionPolicy, Settings


def test_defaults_are_typed() -> None:
    s = Settings()
    assert s.default_transition is TransitionKind.FADE
    assert s.default_resolution == Resolution("1080p")
    assert s.collision is CollisionPolicy.NUMBER


def test_json_keeps_the_spellings_and_round_trips() -> None:
    s = Settings(default_transition=TransitionKind.WIPE_UP,
                 default_resolution=Resolution("1281x721"), collision=CollisionPolicy.REFUSE)
    d = json.loads(json.dumps(s.to_dict()))
    assert (d["default_transition"], d["default_resolution"], d["collision"]) == (
        "wipe-up", "1281x721", "refuse")
    back = Settings.from_dict(d)
    assert back == s
    assert back.default_transition is TransitionKind.WIPE_UP
    assert back.default_resolution.size == (1282, 722)


@pytest.mark.parametrize(
    ("field", "value"),
    [("default_transition", "swirl"), ("default_transition", 3),
     ("default_resolution", "1x1"), ("default_resolution", 1080),
     ("collision", "overwrite")],
)
def test_unknown_values_are_ignored_with_a_warning(
    field: str, value: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        s = Settings.from_dict({field: value, "retries": 5})
    assert getattr(s, field) == getattr(Settings(), field)
    assert s.retries == 5  # the rest of the file still counts
    assert field in caplog.text
