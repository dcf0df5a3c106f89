"""Bringing the show's soundtrack to its target loudness: measure the whole mix, then apply.

One pass of ``loudnorm`` guesses the level as it goes and missed a -14 LUFS target by
5.5 LU here (PITFALLS.md). So the mix is measured first, whole (ffmpeg's ``ebur128``:
BS.1770 integrated loudness and 4x oversampled true peak; it decodes only the sound, at
hundreds of times real time), and the render then applies one fixed gain, target minus
measured, followed by an oversampled limiter that holds the true peak under a ceiling
(:func:`~simvid_desktop.render.audio.loudness_stage`).

Why a gain and a limiter, not ``loudnorm``'s second pass: ``loudnorm`` stays linear only
while the gain keeps the true peak under its target and the loudness range under its own;
otherwise (a quiet track with sharp peaks, exactly one that needs raising) it switches to
its dynamic mode, which rides the level through the show. A fixed gain keeps the balance
of the mix as the user made it, and the limiter touches only the peaks over the ceiling.

The result is checked where it counts, on the sound as the video carries it: the mix with
its gain is encoded to AAC as the render encodes it (the encoder is deterministic), and
measured. AAC raises true peaks (by up to 3 dB on limited noise, measured here), and a
limiter working hard lowers the loudness; so while the encoded sound is off target or
over :data:`MAX_TRUE_PEAK`, the gain is corrected (from how the loudness answered the
last change) and the ceiling lowered by the overshoot, a few rounds at most. A plain mix
well under the ceiling passes on the first check. The check costs one AAC encode of the
sound (about 50 times real time on a slow machine).

The gain is decided for the whole show, from the project alone: a single pass, a
segmented render, a resumed one and a farm's joining job compute the same values, and a
segment never has a loudness of its own (segments are video only; the sound is one file).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from simvid_desktop.model.project import Project
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.audio import (
    AudioPlan,
    LoudnessGain,
    clip_has_audio,
    mix_plan,
    soundtrack_plan,
)
from simvid_desktop.render.ebur128 import (
    SILENCE_LUFS,
    Measurement,
    ebur128,
    finish,
    parse_ebur128,
)
from simvid_desktop.render.encoder import audio_args, failure
from simvid_desktop.render.ffmpeg import FFmpegProcess
from simvid_desktop.render.progress import CancelToken

__all__ = ["SILENCE_LUFS", "Measurement", "loudness_gain", "measure", "measure_encoded",
           "parse_ebur128"]

logger = logging.getLogger(__name__)

#: The encoded sound is accepted this close to the target (LU; the promise is 1 LU).
TOLERANCE = 0.3
#: What delivery specs ask of the true peak (dBTP), and how far under it the check aims.
MAX_TRUE_PEAK = -1.0
PEAK_MARGIN = 0.2
#: Checks at most (each one encodes and measures the sound once).
MAX_ROUNDS = 6
#: A quiet track is raised at most this much (dB): past it, what is raised is mostly noise.
MAX_GAIN = 40.0
#: The gain moves at most this much from one check to the next (dB).
MAX_STEP = 12.0
#: The limiter's ceiling is never set lower than this (dBTP).
MIN_CEILING = -9.0

def measure(plan: AudioPlan, cancel: CancelToken | None = None) -> Measurement:
    """Run ``plan`` (its ``[aout]``) through ``ebur128`` and return what it measured.

    Raises:
        RenderFailed: ffmpeg failed (an input it cannot read) or printed no summary.
    """
    graph = f"{plan.filter};[aout]ebur128=peak=true:framelog=quiet[measured]"
    return ebur128([*plan.input_args, "-filter_complex", graph, "-map", "[measured]"],
                    cancel)


def measure_encoded(plan: AudioPlan, folder: Path,
                    cancel: CancelToken | None = None) -> Measurement:
    """Encode ``plan`` to AAC as the render does, into ``folder``, and measure that."""
    encoded = folder / "check.m4a"
    with FFmpegProcess(audio_args(plan, encoded)) as proc:
        if finish(proc, cancel) != 0:
            raise failure(proc, encoded)
    return ebur128(["-i", str(encoded), "-map", "0:a:0",
                     "-af", "ebur128=peak=true:framelog=quiet"], cancel)


def loudness_gain(project: Project, timeline: Timeline | None = None, *,
                  has_audio: Callable[[Path], bool] = clip_has_audio,
                  cancel: CancelToken | None = None) -> LoudnessGain | None:
    """How to bring the whole show's mix to its target; None: leave it as it is
    (loudness off, or a silent show: silence stays silence).

    Raises:
        RenderFailed: ffmpeg could not measure the mix.
        RenderCancelled: ``cancel`` was triggered (the ffmpeg at work is stopped).
    """
    target = project.output.loudness.target
    if target is None:
        return None
    timeline = timeline or Timeline(project)
    known: dict[Path, bool] = {}

    def cached(path: Path) -> bool:  # each clip file is probed once, not once per round
        if path not in known:
            known[path] = has_audio(path)
        return known[path]

    mix = measure(mix_plan(project, timeline, 0, has_audio=cached), cancel)
    if mix.silent:
        logger.info("the soundtrack is silent: no loudness to adjust")
        return None
    logger.info("soundtrack: %.1f LUFS, true peak %.1f dBTP; target %.0f LUFS",
                mix.integrated, mix.true_peak, target)
    stage = LoudnessGain(min(target - mix.integrated, MAX_GAIN))
    tried: list[tuple[LoudnessGain, Measurement]] = []
    with tempfile.TemporaryDirectory(prefix="simvid-loudness-") as folder:
        for _ in range(MAX_ROUNDS):
            plan = soundtrack_plan(project, timeline, 0, has_audio=cached, loudness=stage)
            result = measure_encoded(plan, Path(folder), cancel)
            logger.info("gain %+.2f dB, ceiling %.2f dBTP: %.2f LUFS, true peak %.2f dBTP",
                        stage.gain_db, stage.ceiling_db, result.integrated, result.true_peak)
            tried.append((stage, result))
            off_target = abs(target - result.integrated) > TOLERANCE
            over = result.true_peak - (MAX_TRUE_PEAK - PEAK_MARGIN)
            if not off_target and over <= 0:
                return stage
            stage = _next_try(tried, target, over)
    return _best(tried, target) or stage


def _next_try(tried: list[tuple[LoudnessGain, Measurement]], target: float,
              over: float) -> LoudnessGain:
    """The next gain and ceiling: the gain moved by the error, scaled by how much the
    loudness moved with the gain last time (a limiter working hard gives back less than a
    dB per dB); the ceiling lowered by the true peak's overshoot."""
    stage, result = tried[-1]
    slope = 1.0
    if len(tried) > 1:
        (before, was) = tried[-2]
        step = stage.gain_db - before.gain_db
        if abs(step) > 0.01:
            slope = min(1.0, max(0.1, (result.integrated - was.integrated) / step))
    change = max(-MAX_STEP, min(MAX_STEP, (target - result.integrated) / slope))
    gain = min(stage.gain_db + change, MAX_GAIN)
    ceiling = stage.ceiling_db - max(over, 0.0)
    return LoudnessGain(gain, max(ceiling, MIN_CEILING))


def _best(tried: list[tuple[LoudnessGain, Measurement]], target: float) -> LoudnessGain | None:
    """The try nearest the target among those under the true-peak limit (a warning says
    that none reached the target: a mix of extreme peaks limited as far as it goes)."""
    fits = [(abs(target - m.integrated), s, m) for s, m in tried
            if m.true_peak <= MAX_TRUE_PEAK - PEAK_MARGIN]
    if not fits:
        logger.warning("the soundtrack's true peak stays over %.1f dBTP", MAX_TRUE_PEAK)
        return None
    _, stage, result = min(fits, key=lambda f: f[0])
    logger.warning("the soundtrack reaches %.1f LUFS, not %.0f: its peaks limit it",
                   result.integrated, target)
    return stage
