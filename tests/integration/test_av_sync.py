"""Sound and picture stay together on every path: one pass, segments resumed after a
crash, a farm splitting the show over two workers; and for every kind of music.

Each show flashes a white frame where its sound clicks (see ``media_sync``); the test
finds both in the rendered video and compares. The contract is one frame (40 ms at
25 fps), for the offsets and for the lengths of sound and picture. Every stage is
sample-exact, so the offsets measured are ~0 ms; where a codec's delay is the subject
(MP3 encoder delay, AAC priming: 21-26 ms, under one frame) a tolerance of
:data:`TIGHT` is used, or the test could not see what it is about.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from simvid_desktop.farm import protocol
from simvid_desktop.jobs.model import JobStatus
from simvid_desktop.jobs.store import Store
from simvid_desktop.model.project import (
    AudioBed,
    Clip,
    Loudness,
    MusicTrack,
    Project,
    TrackJoin,
)
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.engine import RenderSpec, render
from simvid_desktop.render.progress import ProgressEvent, RenderStage
from simvid_desktop.render.segments import plan_segments
from simvid_desktop.render.soundtrack import write_soundtrack
from tests.integration.media import FF
from tests.integration.media_sync import (
    Pair,
    SyncShow,
    check_sync,
    click_track,
    find_clicks,
    flash_clip,
    measure,
    report,
    sync_show,
)
from tests.integration.test_farm import RunnerThread, make_farm, queue_farm_job

#: Sound and picture agree this closely where nothing but sample arithmetic lies between
#: them (measured: 0.0 ms). A codec delay left in would be 21-26 ms.
TIGHT = 0.003

#: The long show: ten minutes, a flash every 20 s from 1 s to the last second, and a clip
#: in the middle (a phone video's picture flashing where its own sound clicks).
LONG = 600.0
LONG_FLASHES = [1.0 + 20.0 * k for k in range(30)] + [LONG - 1.0]
CLIP_AT = 310.0
#: 40 pieces of 15 s: the joins are where other renderers drift.
SEGMENT_SECONDS = 15.0


def trimmed_clip(folder: Path, trim_in: float = 0.76) -> tuple[Clip, float]:
    """A 3 s clip flashing (and clicking) at 1.4 s of its own time, played from
    ``trim_in`` (a frame boundary, so the flash is a whole frame of the show)."""
    path = flash_clip(folder / "clip.mp4", 3.0, 1.4)
    return Clip(path, 3.0, trim_in=trim_in), 1.4


def long_show(folder: Path, music: Path) -> SyncShow:
    """Loudness normalisation off: clicks in silence are its worst case (a gain of tens of
    dB, the limiter and the AAC check going round after round: 100 s of a ten-minute
    show's render here); the short shows below check the sync with it on, and the long
    one-pass show measured 0.0 ms with it on too."""
    clip, flash = trimmed_clip(folder)
    return sync_show(folder, music, LONG_FLASHES, LONG, clip=(CLIP_AT, clip, flash),
                     loudness=Loudness.OFF)


def assert_in_sync(name: str, show: SyncShow, video: Path) -> list[Pair]:
    """The contract (one frame), and no drift: the last offset is the first one."""
    got = measure(video)
    found = check_sync(show, got)
    print(report(name, found, got))  # shown with -rP: the measured offsets
    drift = found[-1].offset_ms - found[0].offset_ms
    assert abs(drift) < 1.0, f"{name}: the sound drifted {drift:+.1f} ms over the show"
    return found


# -- the long show, on every path ----------------------------------------------------------
@pytest.mark.slow
def test_long_show_in_one_pass(tmp_path: Path) -> None:
    """Music at 44.1 kHz mono, resampled to 48 kHz: ten minutes without drift."""
    music = click_track(tmp_path / "music.wav", LONG_FLASHES, LONG, rate=44100, channels=1)
    show = long_show(tmp_path, music)
    outcome = render(RenderSpec(show.project, tmp_path / "show.mp4"))
    assert_in_sync("one pass, 44.1 kHz mono WAV", show, outcome.output)


class Crash(BaseException):
    """Stands in for the process dying: not an error the engine handles."""


@pytest.mark.slow
def test_long_show_in_segments_killed_and_resumed(tmp_path: Path) -> None:
    """Music at 48 kHz 5.1; 40 pieces, the render killed mid-piece halfway and resumed."""
    music = click_track(tmp_path / "music.wav", LONG_FLASHES, LONG, rate=48000, channels=6)
    show = long_show(tmp_path, music)
    assert len(plan_segments(show.project, SEGMENT_SECONDS)) >= 30
    spec = RenderSpec(show.project, tmp_path / "show.mp4", work_dir=tmp_path / "work",
                      segment_seconds=SEGMENT_SECONDS)
    halfway = Timeline(show.project).frame_count // 2 + 37

    def crash(event: ProgressEvent) -> None:
        if event.stage is RenderStage.RENDERING and event.frames_done >= halfway:
            raise Crash

    with pytest.raises(Crash):
        render(spec, progress=crash)
    assert not spec.output.exists()
    outcome = render(spec)
    assert 0 < outcome.resumed_frames < halfway
    assert_in_sync("segments, killed and resumed, 48 kHz 5.1 WAV", show, outcome.output)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("SIMVID_DATA_DIR", str(tmp_path / "desktop"))
    s = Store()
    yield s
    s.close()


@pytest.mark.slow
def test_long_show_split_over_two_farm_workers(tmp_path: Path, store: Store) -> None:
    """The music a playlist of two MP3s (encoder delay) at 44.1 kHz, the second fading in
    over 2 s from 309 s (between two flashes); 40 pieces shared by two workers."""
    farm = make_farm(tmp_path / "farm", ["sync1", "sync2"])
    try:
        media = farm.shared / "photos"
        first = click_track(media / "first.mp3", [t for t in LONG_FLASHES if t < 309.0],
                            311.0, rate=44100, channels=1)
        second = click_track(media / "second.mp3",
                             [t - 309.0 for t in LONG_FLASHES if t > 311.0], LONG - 309.0,
                             rate=44100, channels=1)
        show = long_show(media, first)
        bed = replace(show.project.audio, tracks=(MusicTrack(first), MusicTrack(second)))
        show = SyncShow(replace(show.project, audio=bed), show.flashes)
        job = queue_farm_job(store, farm, "long", show.project,
                             segment_seconds=SEGMENT_SECONDS, split=2)
        RunnerThread(store, farm.redis.url).join(240)
        done = store.get(job.id)
        assert done is not None and done.status is JobStatus.FINISHED, done
        client = farm.redis.client()
        helpers = list(client.scan_iter(match=f"rq:job:simvid-{job.id}-part*"))
        workers = {json.loads(client.hget(k, "meta") or b"{}").get("worker") for k in
                   [*helpers, f"rq:job:{protocol.rq_job_id(job.id)}"]}
        client.close()
        assert helpers and workers == {"sync1", "sync2"}, "both workers rendered pieces"
        assert_in_sync("farm split over 2 workers, playlist of two 44.1 kHz MP3s", show,
                       Path(done.output))
    finally:
        farm.workers.close()
        farm.redis.close()


# -- every kind of music -------------------------------------------------------------------
SHORT = 4.0
SHORT_FLASHES = [1.0, 2.0, 3.0]


def short_show(folder: Path, music: Path, start: float = 0.0) -> SyncShow:
    show = sync_show(folder, music, SHORT_FLASHES, SHORT)
    assert show.project.audio is not None
    audio = replace(show.project.audio,
                    tracks=(replace(show.project.audio.first, start=start),))
    return SyncShow(replace(show.project, audio=audio), show.flashes)


def music_with_clicks(path: Path, rate: int, channels: int, start: float = 0.0) -> Path:
    """Music clicking at the show's flashes once its first ``start`` seconds are skipped."""
    return click_track(path, [start + t for t in SHORT_FLASHES], start + SHORT, rate=rate,
                       channels=channels)


def render_short(folder: Path, project: Project) -> Path:
    return render(RenderSpec(project, folder / "show.mp4")).output


@pytest.mark.parametrize("rate", [44100, 48000])
def test_mp3_encoder_delay_is_skipped(tmp_path: Path, rate: int) -> None:
    """A click at 1.000 s of an MP3 is at 1.000 s of the video: the decoder skips the
    encoder delay its LAME header names. Without the header the same file's click is
    ~25 ms late, which is what the test would see if the delay were left in."""
    music = music_with_clicks(tmp_path / "music.mp3", rate, 2)
    show = short_show(tmp_path, music)
    found = check_sync(show, measure(render_short(tmp_path, show.project)), TIGHT)
    assert abs(found[0].click - 1.0) <= TIGHT, found[0]

    bare = tmp_path / "bare.mp3"  # the same MP3 frames, no LAME/Xing header
    subprocess.run([FF, "-v", "error", "-i", str(music), "-c", "copy", "-write_xing", "0",
                    str(bare)], check=True)
    headless = replace(show.project, audio=AudioBed.single(bare, fade_out=0.0, loop=False))
    late = measure(render(RenderSpec(headless, tmp_path / "bare.mp4")).output).clicks[0]
    assert late - 1.0 > 0.015, "the test cannot see an encoder delay"


@pytest.mark.parametrize(("suffix", "rate", "channels", "start"), [
    (".wav", 44100, 1, 0.0),
    (".wav", 48000, 6, 0.76),
    (".m4a", 44100, 2, 0.76),
    (".m4a", 48000, 6, 0.0),
    (".mp3", 48000, 1, 0.76),
])
def test_music_of_any_rate_and_layout_stays_on_its_samples(
        tmp_path: Path, suffix: str, rate: int, channels: int, start: float) -> None:
    """44.1 and 48 kHz, mono, stereo and 5.1, WAV, AAC and MP3, from its start or from
    ``start`` seconds in (the music's start setting): each click on its flash."""
    music = music_with_clicks(tmp_path / f"music{suffix}", rate, channels, start)
    show = short_show(tmp_path, music, start)
    check_sync(show, measure(render_short(tmp_path, show.project)), TIGHT)


@pytest.mark.parametrize(("trim_in", "sound_late", "rate"), [
    (0.0, 0.0, 48000),
    (0.76, 0.0, 44100),
    (0.76, 0.2, 48000),
    (0.0, -0.2, 44100),
])
def test_a_clip_s_sound_stays_with_its_picture(tmp_path: Path, trim_in: float,
                                               sound_late: float, rate: int) -> None:
    """A clip (H.264 + AAC at ``rate``) whose picture flashes where its sound clicks,
    played from its start or trimmed, its sound stream starting with the picture, later
    or earlier: the click stays on the flash. With music under it (which ducks)."""
    clip = Clip(flash_clip(tmp_path / "clip.mp4", 3.0, 1.4, rate=rate,
                           sound_late=sound_late), 3.0, trim_in=trim_in)
    music = click_track(tmp_path / "music.wav", [0.4], 6.0, rate=44100, channels=2)
    show = sync_show(tmp_path, music, [0.4], 6.0, clip=(2.0, clip, 1.4))
    check_sync(show, measure(render_short(tmp_path, show.project)), TIGHT)


# -- playlists -----------------------------------------------------------------------------
def assert_playlist_in_sync(folder: Path, show: SyncShow) -> None:
    """Every click on its flash in the video, and on its sample in the soundtrack as mixed
    (32-bit WAV, no codec)."""
    got = measure(render_short(folder, show.project))
    print(report(folder.name, check_sync(show, got, TIGHT), got))  # shown with -rP
    wav = write_soundtrack(show.project, folder / "mix.wav", codec="pcm_f32le")
    raw = subprocess.run([FF, "-v", "error", "-i", str(wav), "-ac", "1", "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    clicks = find_clicks(np.frombuffer(raw, np.float32), 48000)
    assert len(clicks) == len(show.flashes), clicks
    for click, flash in zip(clicks, show.flashes, strict=True):
        assert abs(click - flash) < 0.0001, (click, flash)

@pytest.mark.parametrize(("join", "first", "second"), [
    (TrackJoin.CROSSFADE, (".mp3", 44100, 1), (".wav", 48000, 6)),
    (TrackJoin.GAP, (".m4a", 48000, 2), (".mp3", 44100, 2)),
])
def test_a_playlist_stays_on_its_samples(tmp_path: Path, join: TrackJoin,
                                         first: tuple[str, int, int],
                                         second: tuple[str, int, int]) -> None:
    """Two tracks of other rates, layouts and codecs (an MP3 with its encoder delay among
    them), crossfaded over 1 s or 0.5 s apart: the second starts where place_tracks puts
    it (3.0 s or 4.5 s), and every click of both is on its flash. Loudness off: its
    limiter reshapes a click raised by tens of dB (its half-peak onset moved 4.2 ms on
    one), which is about the click, not the playlist; the short shows above keep it on."""
    seconds = 1.0 if join is TrackJoin.CROSSFADE else 0.5
    second_start = 4.0 - seconds if join is TrackJoin.CROSSFADE else 4.0 + seconds
    flashes = [1.0, 2.0, 5.0, 6.0, 7.0]  # none in the join (3..4 s, 4..4.5 s)
    (sa, ra, ca), (sb, rb, cb) = first, second
    a = click_track(tmp_path / f"a{sa}", [t for t in flashes if t < 3.0], 4.0, rate=ra,
                    channels=ca)
    b = click_track(tmp_path / f"b{sb}", [t - second_start for t in flashes if t > 4.5], 5.0,
                    rate=rb, channels=cb)
    show = sync_show(tmp_path, a, flashes, 8.0, loudness=Loudness.OFF)
    bed = AudioBed((MusicTrack(a, join=join, join_seconds=seconds), MusicTrack(b)),
                   fade_out=0.0, loop=False)
    show = SyncShow(replace(show.project, audio=bed), show.flashes)
    assert_playlist_in_sync(tmp_path, show)


def test_a_looping_playlist_stays_on_its_samples_pass_after_pass(tmp_path: Path) -> None:
    """An MP3 of 2.6 s (44.1 kHz, encoder delay) and a 5.1 WAV of 2 s, crossfading over
    0.4 s and looping: the plays are 0-2.6, 2.2-4.2, 3.8-6.4, 6.0-8.0, 7.6-... s, and the
    click at 1.0 s of each file is on its flash in every pass."""
    a = click_track(tmp_path / "a.mp3", [1.0], 2.6, rate=44100, channels=2)
    b = click_track(tmp_path / "b.wav", [1.0], 2.0, rate=48000, channels=6)
    flashes = [1.0, 3.2, 4.8, 7.0, 8.6]
    show = sync_show(tmp_path, a, flashes, 9.6, loudness=Loudness.OFF)
    bed = AudioBed((MusicTrack(a, join_seconds=0.4), MusicTrack(b, join_seconds=0.4)),
                   fade_out=0.0, loop=True)
    show = SyncShow(replace(show.project, audio=bed), show.flashes)
    assert_playlist_in_sync(tmp_path, show)
