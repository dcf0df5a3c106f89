#!/usr/bin/env python3
"""Screenshots of the main window's states, taken offscreen, for the README.

    python tools/screenshots.py [OUT_DIR]     (default docs/screenshots)
    python tools/screenshots.py --only=playlist     (just the music panel's playlist.png)
    python tools/screenshots.py --only=beats        (just beats.png and cut_on_beat.png)

States: empty, timeline filled (bundled samples + music, one slide selected), a timeline
of photos, a video clip and title cards (the clip selected), rendering
(a real render running in the real queue, plus finished ones), the batch export dialog,
the music panel with a three-track playlist, the waveform with a two-song playlist, its
beats and the music ducked under a voice-over, the timeline after "Cut on the Beat", and
the render farm monitor (a real
``redis-server`` on a loopback port, two workers announced the way ``simvid worker`` does;
skipped when redis-server is not installed).
Runs with its own SIMVID_DATA_DIR in a temp folder, so the user's queue is untouched.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simvid_desktop.ui.document import ProjectDocument


def main() -> None:
    only = [a.removeprefix("--only=") for a in sys.argv[1:] if a.startswith("--only=")]
    args = [a for a in sys.argv[1:] if not a.startswith("--only=")]
    out = Path(args[0] if args else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="simvid-shots-"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["SIMVID_DATA_DIR"] = str(work / "data")

    from PySide6.QtCore import QEventLoop, QTimer  # noqa: PLC0415
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415

    from simvid_desktop.cli.demo import demo_project  # noqa: PLC0415
    from simvid_desktop.jobs.model import Job, JobStatus  # noqa: PLC0415
    from simvid_desktop.model.project import Resolution, Slide  # noqa: PLC0415
    from simvid_desktop.model.settings import Settings  # noqa: PLC0415
    from simvid_desktop.render.clips import probe_clip  # noqa: PLC0415
    from simvid_desktop.ui.app import create_application  # noqa: PLC0415
    from simvid_desktop.ui.batch_dialog import BatchExportDialog  # noqa: PLC0415
    from simvid_desktop.ui.main_window import MainWindow  # noqa: PLC0415

    _app = create_application()  # kept alive for the whole run

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_for(signal: object, timeout_ms: int, accept: object = None) -> None:
        loop = QEventLoop()

        def handler(*args: object) -> None:
            if accept is None or accept(*args):  # type: ignore[operator]
                loop.quit()

        signal.connect(handler)  # type: ignore[attr-defined]
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        signal.disconnect(handler)  # type: ignore[attr-defined]

    if only == ["playlist"]:  # the music panel alone: no window, no renders
        from simvid_desktop.ui.document import ProjectDocument  # noqa: PLC0415

        document = ProjectDocument()
        document.reset(demo_project(Resolution("1080p")), None)
        playlist_shot(document, work, out / "playlist.png", wait_for)
        print(f"screenshot in {out}")
        return

    (work / "videos").mkdir(parents=True)
    if only == ["beats"]:  # the waveform and the window after Cut on the Beat: no renders
        window = MainWindow(Settings(output_dir=str(work / "videos"), workers=1),
                            start_runner=False)
        window.resize(1440, 900)
        window.show()
        window.document.reset(demo_project(Resolution("1080p")), None)
        beat_shots(window, work, out, wait_for)
        window.document.undo_stack.setClean()
        window.close()
        print(f"screenshots in {out}")
        return
    window = MainWindow(Settings(output_dir=str(work / "videos"), workers=1))
    window.resize(1440, 900)
    window.show()
    wait(800)
    window.grab().save(str(out / "empty.png"))

    project = demo_project(Resolution("1080p"))
    window.document.reset(project, None)
    window.timeline.select_rows([1])
    wait(2500)
    window.grab().save(str(out / "timeline.png"))

    # Photos, a video clip and title cards on one timeline, the clip selected.
    clip = make_clip(work / "fractal.mp4")
    mixed = project.with_slides([
        *project.slides[:3], Slide.video(clip, probe_clip(clip).duration),
        *project.slides[3:], Slide.card("The End", "thanks for watching")])
    window.document.reset(mixed, None)
    window.timeline.select_rows([3])
    wait_for(window.preview.frameShown, 30_000)
    wait(3000)
    window.grab().save(str(out / "mixed.png"))
    window.document.reset(project, None)

    # Two quick renders that finish, then a bigger one caught mid-way.
    quick = replace(project, default_duration=1.0,
                    output=replace(project.output, resolution=Resolution("640x360")))
    for name in ("holiday-720p", "holiday-square"):
        window.bridge.submit(quick, work / "videos" / f"{name}.mp4", name=name)
    wait_for(window.bridge.queueIdle, 120_000)
    window.jobs.table.selectRow(1)

    def rendering(job: Job) -> bool:
        return job.status is JobStatus.STARTED and job.percent > 25

    window.bridge.submit(project, work / "videos" / "holiday-1080p.mp4", name="holiday-1080p")
    window.bridge.submit(project, work / "videos" / "holiday-4k.mp4", name="holiday-4k")
    wait_for(window.bridge.jobChanged, 180_000, rendering)
    wait(600)
    window.grab().save(str(out / "rendering.png"))

    dialog = BatchExportDialog(window.bridge, project, "holiday", window.settings, window)
    dialog.show()
    wait(1200)
    dialog.grab().save(str(out / "batch.png"))
    dialog.close()

    farm_shot(window, work, out / "farm.png", wait_for)
    playlist_shot(window.document, work, out / "playlist.png", wait_for)
    beat_shots(window, work, out, wait_for)

    window.document.undo_stack.setClean()
    window.close()
    print(f"screenshots in {out}")
    QApplication.quit()


def make_clip(path: Path) -> Path:
    """A 6 s 1280x720 clip of a zooming Mandelbrot set, made by the bundled ffmpeg."""
    import subprocess  # noqa: PLC0415

    from simvid_desktop.render.ffmpeg import ffmpeg_exe  # noqa: PLC0415

    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "mandelbrot=size=1280x720:rate=30", "-t", "6", "-c:v", "libx264",
                    "-preset", "veryfast", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def song(path: Path, seconds: float, freq: int) -> Path:
    """A tone that swells and fades like a phrase of music, made by the bundled ffmpeg."""
    import subprocess  # noqa: PLC0415

    from simvid_desktop.render.ffmpeg import ffmpeg_exe  # noqa: PLC0415

    expr = f"0.6*sin(2*PI*{freq}*t)*(0.55+0.45*sin(2*PI*t/3))*(0.7+0.3*sin(2*PI*t*1.7))"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"aevalsrc={expr}:s=22050:d={seconds}", str(path)], check=True)
    return path


def playlist_shot(document: ProjectDocument, work: Path, target: Path,
                  wait_for: Callable[[object, int], None]) -> None:
    """The music panel with a playlist of three tracks (the second selected: trimmed,
    quieter, a gap before the next) and a voice-over, on the demo's slides."""
    from simvid_desktop.model.project import (  # noqa: PLC0415
        AudioBed,
        MusicTrack,
        Narration,
        TrackJoin,
    )
    from simvid_desktop.paths import resource  # noqa: PLC0415
    from simvid_desktop.ui.music_panel import MusicPanel  # noqa: PLC0415

    music = next(resource("music").glob("*.m4a"))
    bed = AudioBed((MusicTrack(song(work / "Sunrise (intro).wav", 9, 330), join_seconds=1.5),
                    MusicTrack(music, volume=0.8, start=4.0, join=TrackJoin.GAP,
                               join_seconds=1.0),
                    MusicTrack(song(work / "Evening walk.mp3", 14, 262))),
                   fade_in=1.5, fade_out=3.0)
    project = document.project
    panel = MusicPanel(document)
    panel.resize(560, 780)
    document.reset(replace(project, audio=bed,
                           voice_over=Narration(song(work / "welcome.m4a", 6, 196),
                                                start=2.0)), None)
    wait_for(panel.lengths.settled, 20_000)
    panel.select_row(1)
    panel.waveform.set_playhead(9.3)
    panel.show()
    wait_for(panel.waveform.layersReady, 10_000)
    panel.grab().save(str(target))
    panel.close()
    document.reset(project, None)


def beat_shots(window: object, work: Path, out: Path,
               wait_for: Callable[..., None]) -> None:
    """beats.png: the waveform of a two-song playlist (120 then 100 BPM drums, crossfaded),
    the beats of both, every 4th taller, and the music dipping under a voice-over.
    cut_on_beat.png: the window after Edit > Cut on the Beat (every 2nd beat) on the demo."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's test helpers
    from PySide6.QtCore import QEventLoop, QTimer  # noqa: PLC0415

    from simvid_desktop.model.project import (  # noqa: PLC0415
        AudioBed,
        Ducking,
        MusicTrack,
        Narration,
    )
    from simvid_desktop.render.beats import analyse_beats  # noqa: PLC0415
    from simvid_desktop.ui.beat_actions import BeatCutOptions  # noqa: PLC0415
    from simvid_desktop.ui.waveform import WaveformWidget  # noqa: PLC0415
    from tests.integration.media_beats import drum_song, write_wav  # noqa: PLC0415

    songs = [write_wav(work / "Drums 120.wav", drum_song(120, 16.0, pad=0.5)),
             write_wav(work / "Drums 100.wav", drum_song(100, 24.0, seed=1, pad=0.15))]
    voice = song(work / "welcome.wav", 4, 196)
    bed = AudioBed((MusicTrack(songs[0], join_seconds=2.0), MusicTrack(songs[1])),
                   fade_in=1.0, fade_out=2.5, ducking=Ducking(depth_db=-12.0, attack=0.4,
                                                              release=0.8))
    document = window.document  # type: ignore[attr-defined]
    demo = document.project
    project = replace(demo, audio=bed, voice_over=Narration(voice, start=19.0))
    project = project.with_slides([*project.slides, *project.slides[1:]])  # ~34 s

    def settled(wave: WaveformWidget, beats: bool) -> None:
        """Wait until the pictures show every track, the voice-over's dip and the beats."""
        for _ in range(40):
            layers = wave.layers()
            if (wave.layers_current() and layers is not None and len(layers.placed) >= 2
                    and layers.duck_spans and (layers.beats or not beats)):
                return
            wait_for(wave.layersReady, 500)

    wave = WaveformWidget()
    wave.resize(1200, 150)
    wave.set_show(project)
    wave.set_beats({p: analyse_beats(p) for p in songs}, 4)
    wave.set_playhead(17.5)
    wave.show()
    settled(wave, beats=True)
    wave.grab().save(str(out / "beats.png"))
    wave.close()

    document.reset(project, None)
    window.timeline.select_rows([])  # type: ignore[attr-defined]
    cutter = window.beat_cut.cutter  # type: ignore[attr-defined]
    cutter.cut(BeatCutOptions(every=2, min_duration=1.5))
    wait_for(cutter.finished, 30_000)
    settled(window.music.waveform, beats=True)  # type: ignore[attr-defined]
    pause = QEventLoop()  # the thumbnails of the cards in view, made as they show
    QTimer.singleShot(2500, pause.quit)
    pause.exec()
    window.grab().save(str(out / "cut_on_beat.png"))  # type: ignore[attr-defined]
    document.reset(demo, None)


def farm_shot(window: object, work: Path, target: Path, wait_for: object) -> None:
    """The farm tab with two workers online (one rendering) from a throw-away Redis."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's test helpers
    from tests.integration.farm_helpers import RedisServer  # noqa: PLC0415

    try:
        server = RedisServer(work / "redis")
    except RuntimeError as exc:  # redis-server not installed
        print(f"{exc}: no farm screenshot")
        return
    from simvid_desktop.farm import protocol  # noqa: PLC0415

    try:
        client = server.client()
        for name, host, current in (
                ("studio-a", "render-01", {"job": "simvid-1", "job_name": "holiday-4k",
                                           "percent": 63.0}),
                ("studio-b", "render-02", {})):
            client.set(protocol.presence_key(name), json.dumps(
                {"name": name, "host": host, **current}), ex=60)
        plant_farm_jobs(client)
        dock = window.farm_dock  # type: ignore[attr-defined]
        dock.monitor.set_farm_url(server.url)
        dock.show_action.trigger()
        wait_for(dock.monitor.poller.statusReceived, 10_000)  # type: ignore[operator]
        wait_for(dock.monitor.poller.statusReceived, 10_000)  # settled layout
        window.grab().save(str(target))  # type: ignore[attr-defined]
        dock.monitor.set_farm_url("")
        client.close()
    finally:
        server.close()


def plant_farm_jobs(client: object) -> None:
    """Two shows waiting, the one studio-a renders, and one that failed, as RQ keeps them."""
    from rq import Queue  # noqa: PLC0415
    from rq.job import Job as RQJob  # noqa: PLC0415
    from rq.serializers import JSONSerializer  # noqa: PLC0415

    from simvid_desktop.farm import protocol  # noqa: PLC0415

    queue = Queue(protocol.QUEUE, connection=client, serializer=JSONSerializer)
    for name in ("wedding-1080p", "birthday-1080p"):
        queue.enqueue(protocol.RENDER_SHOW, {"job_id": name}, job_id=f"simvid-{name}",
                      description=name)
    client.zadd(queue.started_job_registry.key,  # type: ignore[attr-defined]
                {"simvid-1": time.time() + 600})
    failed = RQJob.create(protocol.RENDER_SHOW, args=({"job_id": "beach"},), id="simvid-beach",
                          connection=client, serializer=JSONSerializer,  # type: ignore[arg-type]
                          description="beach-4k",
                          meta={"error": "photo not found: /mnt/photos/beach/IMG_0042.jpg"})
    failed.save()
    queue.failed_job_registry.add(failed, ttl=600, exc_string="")


if __name__ == "__main__":
    main()
