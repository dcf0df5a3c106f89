"""The final mix at its target loudness: measured on the rendered MP4 (its AAC) with
ffmpeg's ``ebur128``, as a platform or a broadcaster would measure it; one loudness for the
whole show, whichever way it is rendered."""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from simvid_desktop.cli.main import build_parser
from simvid_desktop.cli.project_args import project_from_args
from simvid_desktop.errors import RenderCancelled
from simvid_desktop.model.project import (
    DEFAULT_LOUDNESS,
    AudioBed,
    Clip,
    Loudness,
    MusicTrack,
    Narration,
    OutputSettings,
    Project,
    check_project,
)
from simvid_desktop.model.project_io import parse_project, project_to_json, read_project
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render import engine
from simvid_desktop.render.audio import LoudnessGain, mix_plan, soundtrack_plan
from simvid_desktop.render.engine import (
    RenderSpec,
    finish_pieces,
    render,
    render_handed_pieces,
)
from simvid_desktop.render.loudness import loudness_gain, measure
from simvid_desktop.render.progress import CancelToken
from simvid_desktop.render.segments import WorkDir
from tests.integration import test_clip_sound as cs
from tests.integration.conftest import small_project
from tests.integration.media import FF, audio_samples, probe

TARGETS = {Loudness.ONLINE: -14.0, Loudness.PODCAST: -16.0, Loudness.BROADCAST: -23.0}


def music(path: Path, expr: str, rate: int = 48000, seconds: float = 5.0) -> Path:
    """A stereo WAV of ``expr`` (an ``aevalsrc`` expression of ``t``) at ``rate`` Hz."""
    subprocess.run([FF, "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"aevalsrc='{expr}|{expr}':s={rate}:d={seconds}", str(path)], check=True)
    return path


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated loudness LUFS, true peak dBTP) of a file's sound, by ffmpeg."""
    log = subprocess.run([FF, "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
                          "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    i = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", log)
    tp = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", log)
    assert i and tp, log
    return float(i[1]), float(tp[1])


def show(photos: list[Path], track: Path, loudness: Loudness = DEFAULT_LOUDNESS) -> Project:
    project = small_project(photos, audio=AudioBed.single(track, fade_out=0.5))
    return replace(project, output=replace(project.output, loudness=loudness))


@pytest.fixture
def mid(tmp_path: Path) -> Path:
    """Music at 44.1 kHz around -25 LUFS: 300 Hz and a 2 kHz tone pulsing twice a second."""
    return music(tmp_path / "mid.wav",
                 "0.03*sin(2*PI*300*t)+0.05*sin(2*PI*2000*t)*gt(sin(2*PI*2*t),0)", 44100)


@pytest.mark.parametrize("preset", list(TARGETS))
def test_each_preset_brings_the_video_to_its_loudness(
        tmp_path: Path, photos: list[Path], mid: Path, preset: Loudness) -> None:
    out = tmp_path / "show.mp4"
    render(RenderSpec(show(photos, mid, preset), out))
    i, tp = ebur128(out)
    print(f"{preset.value}: I {i} LUFS, TP {tp} dBTP")
    assert abs(i - TARGETS[preset]) <= 1.0, i
    assert tp <= -1.0, tp


def test_a_quiet_track_is_raised_and_a_loud_clipped_one_lowered(
        tmp_path: Path, photos: list[Path]) -> None:
    # Quiet and peaky (a soft tone, a loud 2 ms click twice a second): raised by about
    # 30 dB, its clicks go through the limiter.
    quiet = music(tmp_path / "quiet.wav",
                  "0.01*sin(2*PI*440*t)+0.3*lt(mod(t,0.5),0.002)*sin(2*PI*1000*t)")
    # Loud and clipped at full scale (a square-ish wave), 44.1 kHz.
    loud = music(tmp_path / "loud.wav", "clip(3*sin(2*PI*220*t),-1,1)", 44100)
    for track, raised in ((quiet, True), (loud, False)):
        before, peak_before = ebur128(track)
        out = tmp_path / f"{track.stem}.mp4"
        render(RenderSpec(show(photos, track), out))
        i, tp = ebur128(out)
        print(f"{track.stem}: {before} LUFS / {peak_before} dBTP -> {i} LUFS / {tp} dBTP")
        assert (i > before + 10) if raised else (i < before - 5), (before, i)
        assert abs(i + 14.0) <= 1.0, i
        assert tp <= -1.0, tp


def test_a_playlist_with_a_voice_over_reaches_the_target(tmp_path: Path, photos: list[Path],
                                                          mid: Path) -> None:
    """Two tracks crossfading and a narration recorded 20 dB quieter than the music: the
    whole mix, voice included, is brought to -16 LUFS under -1 dBTP."""
    loud = music(tmp_path / "loud.wav", "0.3*sin(2*PI*500*t)", 48000, 3.0)
    voice = music(tmp_path / "voice.wav", "0.02*sin(2*PI*1000*t)*gt(sin(2*PI*3*t),0)",
                  44100, 1.5)
    bed = AudioBed((MusicTrack(mid, end=2.5), MusicTrack(loud)), fade_out=0.5)
    project = small_project(photos, audio=bed, voice_over=Narration(voice, start=1.0))
    project = replace(project, output=replace(project.output, loudness=Loudness.PODCAST))
    out = tmp_path / "show.mp4"
    render(RenderSpec(project, out))
    i, tp = ebur128(out)
    print(f"playlist + voice-over at -16: I {i} LUFS, TP {tp} dBTP")
    assert abs(i + 16.0) <= 1.0, i
    assert tp <= -1.0, tp


def test_off_leaves_the_mix_as_it_was(tmp_path: Path, photos: list[Path], mid: Path) -> None:
    project = show(photos, mid, Loudness.OFF)
    timeline = Timeline(project)
    assert loudness_gain(project) is None
    assert soundtrack_plan(project, timeline, 1) == mix_plan(project, timeline, 1)
    out = tmp_path / "off.mp4"
    render(RenderSpec(project, out))
    mixed = measure(mix_plan(project, timeline, 0))
    i, _ = ebur128(out)
    assert abs(i - mixed.integrated) <= 0.3, (i, mixed.integrated)
    assert i < -18.0  # not brought to -14


def test_a_silent_show_stays_silent(tmp_path: Path, photos: list[Path]) -> None:
    project = small_project(photos[:2])  # no music, no clip: nothing to normalise
    assert project.output.loudness is Loudness.ONLINE
    assert loudness_gain(project) is None
    out = tmp_path / "silent.mp4"
    render(RenderSpec(project, out))
    assert np.abs(audio_samples(out)).max() == 0.0


def test_cancelling_stops_the_measurement(tmp_path: Path, photos: list[Path], mid: Path) -> None:
    project = show(photos[:1], mid)  # the music loops under one photo of ten minutes
    project = project.with_slides([replace(project.slides[0], duration=600.0)])
    token = CancelToken()
    token.cancel()
    started = time.monotonic()
    with pytest.raises(RenderCancelled):
        loudness_gain(project, cancel=token)
    assert time.monotonic() - started < 5.0  # not the whole measurement


class Crash(BaseException):
    """Stands in for the process dying."""


def test_segmented_and_resumed_renders_have_the_single_pass_loudness(
        tmp_path: Path, photos: list[Path], mid: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = show(photos, mid)
    single = tmp_path / "single.mp4"
    render(RenderSpec(project, single))
    reference, _ = ebur128(single)

    segmented = tmp_path / "segmented.mp4"
    render(RenderSpec(project, segmented, work_dir=tmp_path / "w1", segment_seconds=1.0))
    assert abs(ebur128(segmented)[0] - reference) <= 0.5

    # Killed after the sound was made, while joining: the resumed render takes that file
    # as it is (measured once, on the whole show), and the loudness is the same.
    calls: list[float] = []
    measured = engine.loudness_gain

    def counting(p: Project, timeline: Timeline | None = None,
                 **kw: object) -> LoudnessGain | None:
        gain = measured(p, timeline, **kw)  # type: ignore[arg-type]
        calls.append(Timeline(p).total if timeline is None else timeline.total)
        return gain

    monkeypatch.setattr(engine, "loudness_gain", counting)
    joined = engine.join_segments

    def crash(*args: object) -> None:
        raise Crash

    monkeypatch.setattr(engine, "join_segments", crash)
    work, resumed = tmp_path / "w2", tmp_path / "resumed.mp4"
    with pytest.raises(Crash):
        render(RenderSpec(project, resumed, work_dir=work, segment_seconds=1.0))
    assert WorkDir(work).verified(WorkDir(work).audio_path)
    assert calls == [Timeline(project).total]  # once, over the whole show
    monkeypatch.setattr(engine, "join_segments", joined)
    outcome = render(RenderSpec(project, resumed, work_dir=work, segment_seconds=1.0))
    assert outcome.resumed_frames == Timeline(project).frame_count
    assert len(calls) == 1, "the resumed render measured again instead of reusing the sound"
    i, tp = ebur128(resumed)
    print(f"single {reference}, segmented {ebur128(segmented)[0]}, resumed {i} LUFS")
    assert abs(i - reference) <= 0.5 and tp <= -1.0


def test_a_farm_split_render_sets_the_loudness_of_the_whole_show(
        tmp_path: Path, photos: list[Path], mid: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = show(photos, mid)
    single = tmp_path / "single.mp4"
    render(RenderSpec(project, single))
    reference, _ = ebur128(single)

    totals: list[float] = []
    measured = engine.loudness_gain

    def spy(p: Project, timeline: Timeline | None = None, **kw: object) -> LoudnessGain | None:
        totals.append(Timeline(p).total if timeline is None else timeline.total)
        return measured(p, timeline, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "loudness_gain", spy)
    work = tmp_path / "farm"
    pieces = iter(range(4))
    assert render_handed_pieces(project, work, 1.0, lambda: next(pieces, None)) == 4
    assert totals == []  # the pieces are pictures only: no sound, no loudness of their own
    assert all(probe(seg).get("audio") is None for seg in work.glob("seg-*.mp4"))
    out = finish_pieces(project, tmp_path / "farm.mp4", work, 1.0).output
    assert totals == [Timeline(project).total]  # the joining job: once, the whole show
    i, tp = ebur128(out)
    assert abs(i - reference) <= 0.5 and tp <= -1.0


# -- the setting: project files and the command line ------------------------------------

def test_the_project_file_keeps_the_loudness(tmp_path: Path) -> None:
    for preset in Loudness:
        project = Project(slides=(), output=OutputSettings(loudness=preset))
        text = project_to_json(project, tmp_path)
        written = json.loads(text)["output"].get("loudness")
        assert written == (None if preset is DEFAULT_LOUDNESS else preset.value)
        assert parse_project(text, tmp_path)[0].output.loudness is preset


@pytest.mark.parametrize("version", [1, 2])
def test_a_file_without_it_opens_with_the_default(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.simvid"
    path.write_text(json.dumps({"schema_version": version, "slides": [],
                                "output": {"resolution": "720p", "fps": 25}}))
    project, problems = read_project(path)
    assert [p.where for p in problems] == ["slides"]  # an empty show, nothing else
    assert project.output.loudness is Loudness.ONLINE


def test_the_file_takes_the_number_and_names_a_bad_value_or_a_typo(tmp_path: Path) -> None:
    def output(fields: dict[str, object]) -> tuple[Project, list[str]]:
        project, problems = parse_project(
            json.dumps({"schema_version": 2, "slides": [], "output": fields}), tmp_path)
        return project, [f"{p.where}: {p.message}" for p in problems if p.where != "slides"]

    project, problems = output({"loudness": -23})
    assert project.output.loudness is Loudness.BROADCAST and problems == []
    _, problems = output({"loudness": "-20"})
    assert problems == ["output.loudness: unknown loudness '-20' (-14, -16, -23, off)"]
    _, problems = output({"loudnes": "off"})
    assert problems == ["output.loudnes: unknown field, probably a typo of 'loudness'"]
    bad = Project(slides=(), output=OutputSettings(loudness="-20"))  # type: ignore[arg-type]
    assert [p.where for p in check_project(bad)] == ["slides", "output.loudness"]


def test_the_command_line_sets_the_loudness(tmp_path: Path, photos: list[Path]) -> None:
    parser = build_parser()
    for given, preset in (("-14", Loudness.ONLINE), ("-23", Loudness.BROADCAST),
                          ("off", Loudness.OFF)):
        args = parser.parse_args(["render", str(photos[0]), "-o", str(tmp_path / "o.mp4"),
                                  "--loudness", given])
        assert project_from_args(args).output.loudness is preset
    args = parser.parse_args(["render", str(photos[0]), "-o", str(tmp_path / "o.mp4")])
    assert project_from_args(args).output.loudness is DEFAULT_LOUDNESS
    with pytest.raises(SystemExit):
        parser.parse_args(["render", str(photos[0]), "-o", "x.mp4", "--loudness", "-20"])


def test_the_music_still_dips_12_db_under_a_clip(tmp_path: Path) -> None:
    """One gain for the whole mix: the balance within it (the ducking) stays as made."""
    path = cs.make_clip(tmp_path / "c.mp4", 2.0)
    made = cs.show(tmp_path, Clip(path, 2.0), music=True, before=2.0)
    project = replace(made, output=replace(made.output, loudness=Loudness.ONLINE))
    x = cs.pcm(project, tmp_path / "d.wav")[:, 0]
    before, under = (cs.level(cs.seconds(x, a, b), cs.MUSIC_HZ) for a, b in ((0.2, 1.6),
                                                                            (2.1, 3.9)))
    assert 20 * np.log10(under / before) == pytest.approx(-12.0, abs=0.3)
    made_level = cs.level(cs.seconds(cs.pcm(made, tmp_path / "m.wav")[:, 0], 0.2, 1.6),
                          cs.MUSIC_HZ)
    assert before != pytest.approx(made_level, rel=0.1)  # and the gain did apply
