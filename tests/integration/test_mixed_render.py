"""A show of everything people bring, rendered for real and checked in its pixels and sound.

One project holds an iPhone HEIC (irot and EXIF), a HEIC turned only by EXIF, a Display P3
JPEG, a DNG, a portrait phone clip with sound (turned by its display matrix), a 10-bit HLG
HEVC clip, a variable-frame-rate clip and a title card. ``simvid render`` makes the video;
each slide is checked at its middle frame, and the length and the sound are measured.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simvid_desktop.model.project import (
    Clip,
    OutputSettings,
    Project,
    Resolution,
    Slide,
    TitleCard,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.project_io import save_project
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.clips import probe_clip
from tests.integration import media_clips as mc
from tests.integration import media_photos as mp
from tests.integration.media import FF, audio_samples, frames_rgb, probe

pytest.importorskip("pillow_heif")
pytest.importorskip("rawpy")
pytest.importorskip("tifffile")

W, H, FPS = 192, 108, 25
ROOT = Path(__file__).resolve().parents[2]
TONE_HZ = 880


def upright_by_ffmpeg(path: Path, size: tuple[int, int]) -> np.ndarray:
    """The clip's first frame as ffmpeg's own autorotate shows it, at ``size``."""
    out = subprocess.run([FF, "-v", "error", "-i", str(path), "-frames:v", "1", "-vf",
                          f"scale={size[0]}:{size[1]}", "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint8).reshape(size[1], size[0], 3)


@pytest.fixture(scope="module")
def show(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, np.ndarray, np.ndarray]:
    d = tmp_path_factory.mktemp("mixed")
    p3 = d / "p3.jpg"
    Image.new("RGB", (96, 54), (200, 120, 80)).save(p3, quality=95,
                                                    icc_profile=mp.display_p3_icc())
    clips = [mc.phone_portrait(d / "portrait.mov", TONE_HZ),
             mc.bt2020(d / "hlg.mp4", (170, 110, 70), transfer="arib-std-b67", size="96x54"),
             mc.numbered(d / "vfr.mkv", vfr=True, fps=FPS, size="96x54", seconds=1.2)]
    slides = [
        Slide(title=TitleCard("Summer 2026", "Lisbon", color="#204060")),
        Slide.photo(mp.heic_iphone(d / "iphone.heic")),
        Slide.photo(mp.heic_exif_only(d / "exif.heic")),
        Slide.photo(p3),
        Slide.photo(mp.dng(d / "camera.dng", mp.raw_scene()),
                    transition=Transition(TransitionKind.FADE, 0.4)),
        *[Slide.video(c, probe_clip(c).duration) for c in clips],
    ]
    project = Project(slides=tuple(slides), default_duration=1.2,
                      transition=Transition(TransitionKind.NONE, 0.0),
                      output=OutputSettings(resolution=Resolution(f"{W}x{H}"), fps=FPS))
    save_project(project, d / "show.simvid")
    out = d / "show.mp4"
    res = subprocess.run([sys.executable, "-m", "simvid_desktop", "render",
                          str(d / "show.simvid"), "-o", str(out), "--progress", "none"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return project, frames_rgb(out, W, H), audio_samples(out, 8000)


def middle(project: Project, frames: np.ndarray, index: int) -> np.ndarray:
    span = Timeline(project).slides[index]
    return frames[int((span.start + span.end) / 2 * FPS)].astype(int)


def region(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The part of a letterboxed frame a picture of displayed ``size`` fills."""
    scale = min(W / size[0], H / size[1])
    w, h = round(size[0] * scale), round(size[1] * scale)
    x, y = (W - w) // 2, (H - h) // 2
    return frame[y:y + h, x:x + w]


def test_the_show_lasts_exactly_its_slides(show: tuple[Project, np.ndarray, np.ndarray]) -> None:
    project, frames, sound = show
    expected = round(project.total_duration * FPS)
    assert len(frames) == expected
    assert abs(len(sound) / 8000 - project.total_duration) < 1 / FPS


def test_title_card(show: tuple[Project, np.ndarray, np.ndarray]) -> None:
    frame = middle(show[0], show[1], 0)
    assert np.abs(frame[4, 4] - (0x20, 0x40, 0x60)).max() <= 6  # the background colour
    assert (frame[30:80, 40:150].min(-1) > 200).sum() > 150  # white title text


@pytest.mark.parametrize("index", [1, 2], ids=["irot+EXIF (iPhone)", "EXIF only"])
def test_heic_photos_stand_upright(show: tuple[Project, np.ndarray, np.ndarray],
                                   index: int) -> None:
    pic = region(middle(show[0], show[1], index), (96, 160))
    small = np.asarray(Image.fromarray(pic.astype(np.uint8)).resize((96, 160)))
    assert mp.marker_ok(small.astype(int), tol=60)


def test_display_p3_photo_is_converted_to_srgb(
        show: tuple[Project, np.ndarray, np.ndarray]) -> None:
    centre = middle(show[0], show[1], 3)[H // 2, W // 2]
    want = mp.p3_to_srgb((200, 120, 80))
    assert np.abs(centre - want).max() <= 10, (centre, want)


def test_dng_looks_like_the_photo(show: tuple[Project, np.ndarray, np.ndarray]) -> None:
    pic = region(middle(show[0], show[1], 4), (96, 64))
    grey = pic[pic.shape[0] * 3 // 4, pic.shape[1] // 4]
    red = pic[pic.shape[0] // 2, pic.shape[1] * 3 // 4]
    assert np.ptp(grey) < 20 and 90 < grey.mean() < 150, grey  # 18 % grey, not dark
    assert red[0] > 150 and red[1] < 90 and red[2] < 90, red


def test_portrait_phone_clip_stands_upright(
        show: tuple[Project, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    project = show[0]
    clip = project.slides[5].clip
    assert clip is not None
    frame = middle(project, show[1], 5)
    assert frame[H // 2, 5].max() < 30, "black bars beside a portrait clip"
    pic = region(frame, (72, 128))
    reference = upright_by_ffmpeg(clip.path, (pic.shape[1], pic.shape[0])).astype(int)
    for y, x in ((pic.shape[0] // 8, pic.shape[1] // 2), (pic.shape[0] * 7 // 8,
                                                           pic.shape[1] // 2)):
        assert np.abs(pic[y, x] - reference[y, x]).max() <= 40, (y, x, pic[y, x])


def test_hlg_clip_is_tone_mapped_not_washed_out(
        show: tuple[Project, np.ndarray, np.ndarray]) -> None:
    centre = middle(show[0], show[1], 6)[H // 2, W // 2]
    assert np.abs(centre - (170, 110, 70)).max() <= 30, centre
    assert centre[0] - centre[2] > 60, "keeps its saturation"


def test_vfr_clip_shows_the_frame_of_each_moment(
        show: tuple[Project, np.ndarray, np.ndarray]) -> None:
    project, frames, _ = show
    span = Timeline(project).slides[7]
    for n in range(int(span.start * FPS) + 1, int(span.end * FPS) - 1, 4):
        t = (n + 0.5) / FPS - span.start
        want = max(k for k in range(60) if mc.vfr_stamp(k, FPS) <= t + 1e-9)
        y = frames[n][H // 2, W // 2].mean() * 219 / 255 + 16
        assert abs(mc.frame_number(y) - want) <= 0, (n, t, want, y)


def test_the_phone_clip_is_heard_during_its_slide_only(
        show: tuple[Project, np.ndarray, np.ndarray]) -> None:
    project, _, sound = show
    span = Timeline(project).slides[5]
    rate = 8000

    def rms(a: float, b: float) -> float:
        part = sound[int(a * rate):int(b * rate)]
        return float(np.sqrt(np.mean(part ** 2))) if len(part) else 0.0

    assert rms(span.start + 0.1, span.end - 0.1) > 0.05  # the tone: amplitude 1/8
    assert rms(0, span.start - 0.05) < 0.01 and rms(span.end + 0.05, project.total_duration) < 0.01
    part = sound[int((span.start + 0.1) * rate):int((span.end - 0.1) * rate)]
    peak = np.fft.rfftfreq(len(part), 1 / rate)[np.argmax(np.abs(np.fft.rfft(part)))]
    assert abs(peak - TONE_HZ) < 10


def test_quick_form_takes_photos_clips_and_a_title(tmp_path: Path) -> None:
    photo = tmp_path / "a.jpg"
    Image.new("RGB", (96, 54), (200, 30, 30)).save(photo)
    clip = mc.numbered(tmp_path / "clip.mov", seconds=1.0, fps=FPS, size="96x54")
    renamed = tmp_path / "clip_without_suffix"  # sniffed by content, not by name
    clip.rename(renamed)
    out = tmp_path / "quick.mp4"
    res = subprocess.run([sys.executable, "-m", "simvid_desktop", "render", str(photo),
                          str(renamed), "--title", "Summer 2026", "--outro", "The End",
                          "--duration", "1", "--resolution", f"{W}x{H}", "--fps", str(FPS),
                          "-o", str(out), "--progress", "none"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    info = probe(out)
    assert abs(float(info["duration"]) - 4.0) < 0.1, info  # type: ignore[arg-type]
    frames = frames_rgb(out, W, H)
    assert len(frames) == 4 * FPS
    assert frames[int(1.5 * FPS)][H // 2, W // 2][0] > 150  # the photo, second
    assert np.ptp(frames[int(2.5 * FPS)][H // 2, W // 2].astype(int)) < 12  # the grey clip


@pytest.mark.parametrize(("make", "reason"), [
    (lambda p: p.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64), "clip.mp4: "),
    (lambda p: subprocess.run([FF, "-v", "error", "-y", "-f", "lavfi", "-i",
                               "sine=duration=0.5", str(p)], check=True), "no video stream"),
], ids=["truncated", "sound only"])
def test_a_bad_clip_is_one_line_naming_it_and_nothing_is_written(
        tmp_path: Path, make: object, reason: str) -> None:
    clip = tmp_path / "clip.mp4"
    make(clip)  # type: ignore[operator]
    photo = tmp_path / "a.jpg"
    Image.new("RGB", (96, 54), (200, 30, 30)).save(photo)
    out = tmp_path / "show.mp4"
    res = subprocess.run([sys.executable, "-m", "simvid_desktop", "render", str(photo),
                          str(clip), "-o", str(out), "--resolution", f"{W}x{H}"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2 and len(lines) == 1, res.stderr
    assert "clip.mp4" in lines[0] and reason in lines[0] and "Traceback" not in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg", "clip.mp4"]


def test_a_trimmed_clip_stays_in_sync_to_a_frame(tmp_path: Path) -> None:
    """A clip whose picture turns white at 1.0 s exactly when a beep starts, trimmed from
    0.3 s and placed after a photo of 1.1 s (mid-frame at 25 fps): in the video, the first
    white frame and the beep's onset are within one frame of each other and of 1.8 s."""
    clip = tmp_path / "flash.mp4"
    subprocess.run([
        FF, "-v", "error", "-y", "-f", "lavfi", "-i",
        "color=c=black:s=96x54:r=30:d=2,geq=lum='if(gte(T,1),235,16)':cb=128:cr=128",
        "-f", "lavfi", "-i", "aevalsrc='if(gte(t,1),0.5*sin(2*PI*1000*t),0)':s=48000:d=2",
        "-c:v", "libx264", "-qp", "0", "-c:a", "aac", "-b:a", "192k", str(clip)], check=True)
    photo = tmp_path / "a.jpg"
    Image.new("RGB", (96, 54), (40, 40, 40)).save(photo)
    project = Project(slides=(Slide.photo(photo, duration=1.1),
                              Slide(clip=Clip(clip, probe_clip(clip).duration, trim_in=0.3))),
                      transition=Transition(TransitionKind.NONE, 0.0),
                      output=OutputSettings(resolution=Resolution(f"{W}x{H}"), fps=FPS))
    save_project(project, tmp_path / "s.simvid")
    out = tmp_path / "s.mp4"
    res = subprocess.run([sys.executable, "-m", "simvid_desktop", "render",
                          str(tmp_path / "s.simvid"), "-o", str(out)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    frames = frames_rgb(out, W, H)
    first_white = next(n for n, f in enumerate(frames) if f[H // 2, W // 2].mean() > 128)
    rate = 48000
    sound = np.abs(audio_samples(out, rate))
    onset = int(np.argmax(sound > 0.1)) / rate
    flash = 1.1 + (1.0 - 0.3)  # the photo, then the clip from its 0.3 s point
    assert abs(first_white / FPS - flash) <= 1 / FPS + 1e-9, first_white
    assert abs(onset - flash) <= 1 / FPS, onset
    assert abs(onset - first_white / FPS) <= 1 / FPS
    print(f"flash at {flash:.3f} s: first white frame {first_white} ({first_white / FPS:.3f} s),"
          f" beep onset {onset:.4f} s")
