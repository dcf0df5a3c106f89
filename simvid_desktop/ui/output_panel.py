"""What the video will be: format, size, frame rate, quality, photo fit, chapters, and where
it is written.

Size, rate, quality and fit belong to the project (they change the render, so they are
undoable edits and travel with the project file). The folder and file name belong to the
window: the same project may be exported to many places, and a project file that carried
an absolute path would be wrong on the next machine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, QStandardPaths, Qt, Signal
from PySide6.QtGui import QFont, QPalette, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from simvid_desktop.model.estimate import estimate_size_bytes
from simvid_desktop.model.project import (
    FPS_CHOICES,
    GIF_MAX_FPS,
    GIF_MAX_WIDTH,
    MAX_SIDE,
    MIN_SIDE,
    QUALITY_PRESETS,
    RESOLUTION_PRESETS,
    ChapterMode,
    FitMode,
    Loudness,
    OutputFormat,
    OutputSettings,
    Project,
    Quality,
    QualityPreset,
    Resolution,
    VideoEncoder,
    format_notes,
    gif_fps,
    with_format_suffix,
)
from simvid_desktop.model.units import format_duration, format_size
from simvid_desktop.render.hw_encoders import HARDWARE, available
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.tasks import Pool, TaskChannel

logger = logging.getLogger(__name__)

CUSTOM = "custom"
_PRESET_NAMES = {"720p": "720p HD", "1080p": "1080p Full HD", "4k": "4K Ultra HD",
                 "vertical": "Vertical (stories)", "square": "Square"}
_QUALITY_NAMES = {Quality.DRAFT: "Draft: quick, smaller", Quality.STANDARD: "Standard",
                  Quality.HIGH: "High", Quality.BEST: "Best: slow, larger"}
_FIT_NAMES = {FitMode.LETTERBOX: "Whole photo (black bars)", FitMode.CROP: "Fill the frame (crop)",
              FitMode.BLUR: "Whole photo on a blurred copy"}
_CHAPTER_NAMES = {ChapterMode.NONE: "None", ChapterMode.SLIDES: "At every slide",
                  ChapterMode.TITLES: "At every title card"}
_LOUDNESS_NAMES = {Loudness.ONLINE: "−14 LUFS: online video", Loudness.PODCAST: "−16 LUFS",
                   Loudness.BROADCAST: "−23 LUFS: broadcast (EBU R128)",
                   Loudness.OFF: "Off: as mixed"}
_ENCODER_NAMES = {VideoEncoder.AUTO: "Automatic: hardware where it matches x264",
                  VideoEncoder.SOFTWARE: "Software (x264)"}
_FORMAT_NAMES = {
    OutputFormat.MP4: "MP4 · H.264: plays everywhere",
    OutputFormat.MP4_HEVC: "MP4 · HEVC: smaller, for Apple devices and recent players",
    OutputFormat.MP4_AV1: "MP4 · AV1: smallest, for recent players",
    OutputFormat.WEBM_AV1: "WebM · AV1 + Opus: for the web",
    OutputFormat.WEBM_VP9: "WebM · VP9 + Opus: for the web, older browsers too",
    OutputFormat.MOV_PRORES: "MOV · ProRes 422: to edit further (large)",
    OutputFormat.GIF: f"GIF: a short loop, no sound (≤ {GIF_MAX_WIDTH} px, {GIF_MAX_FPS} fps)",
}
DEFAULT_FILE_NAME = "slideshow.mp4"


def _hardware_found() -> list[VideoEncoder]:
    """The hardware encoders that work here (test encodes: on the IO pool)."""
    return available()


def default_output_folder() -> Path:
    """The user's Videos folder (Movies on macOS), or home when the system has none."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
    return Path(found) if found else Path.home()


def _even_spin() -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(MIN_SIDE, MAX_SIDE)
    spin.setSingleStep(2)
    spin.setSuffix(" px")
    # Commit on Enter / focus out / arrows only: every keystroke would be a resolution.
    spin.setKeyboardTracking(False)
    return spin


def _heading(text: str) -> QLabel:
    label = QLabel(text.upper())
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 0.85)
    font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
    label.setFont(font)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    label.setContentsMargins(0, 6, 0, 0)
    return label



def _quality_tip(preset: QualityPreset) -> str:
    """What a quality choice means to x264 (its options too: ``standard`` is tuned, with
    other settings for video clips)."""
    tip = f"x264 CRF {preset.crf:g}, preset {preset.x264_preset}"
    if preset.x264_params:
        tip += f", {preset.x264_params}"
    if preset.footage:
        tip += f"; video clips: {preset.footage.replace('=', ' ')}"
    return tip

class OutputPanel(QWidget):
    """Output settings of one document, plus the window's output folder and file name."""

    #: The output folder or file name changed: ``output_path()`` has a new value.
    outputChanged = Signal()
    #: The hardware encoders that work on this computer are known (a list of VideoEncoder).
    hardwareChecked = Signal(list)

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document

        self.preset = QComboBox()
        for key, (w, h) in RESOLUTION_PRESETS.items():
            self.preset.addItem(f"{_PRESET_NAMES.get(key, key)} · {w}×{h}", key)
        self.preset.addItem("Custom size…", CUSTOM)
        self.width_spin, self.height_spin = _even_spin(), _even_spin()
        self._custom_row = QWidget()
        custom = QHBoxLayout(self._custom_row)
        custom.setContentsMargins(0, 0, 0, 0)
        custom.addWidget(self.width_spin)
        custom.addWidget(QLabel("×"))
        custom.addWidget(self.height_spin)
        custom.addStretch(1)

        self.format = QComboBox()
        for fmt in OutputFormat:
            self.format.addItem(_FORMAT_NAMES[fmt], fmt.value)
        self.format.setToolTip("The codec and the file type; the file name follows it")
        self.fps = QComboBox()
        for fps in FPS_CHOICES:
            self.fps.addItem(f"{fps} fps", fps)
        self.quality = QComboBox()
        for key, preset in QUALITY_PRESETS.items():
            self.quality.addItem(_QUALITY_NAMES[key], key.value)
            self.quality.setItemData(self.quality.count() - 1,
                                     _quality_tip(preset),
                                     Qt.ItemDataRole.ToolTipRole)
        self.fit = QComboBox()
        for mode in FitMode:
            # The value, not the enum: Qt would hand a str-Enum back as a plain str.
            self.fit.addItem(_FIT_NAMES.get(mode, mode.value), mode.value)
        self.fit.setToolTip("How photos of another shape than the video fill the frame "
                            "(each slide can override it)")
        self.loudness = QComboBox()
        for level in Loudness:
            self.loudness.addItem(_LOUDNESS_NAMES[level], level.value)
        self.loudness.setToolTip("The level the soundtrack is brought to, measured over the "
                                 "whole show; peaks stay under -1 dBTP")
        self.encoder = QComboBox()
        for choice in VideoEncoder:
            spec = HARDWARE.get(choice)
            self.encoder.addItem(_ENCODER_NAMES.get(choice, spec.label if spec else choice.value),
                                 choice.value)
        self.encoder.setToolTip("Which encoder makes the video. A hardware encoder that "
                                "fails during a render hands over to software.")
        self._encoder_tasks = TaskChannel(self, Pool.IO, latest=True)
        self._encoder_tasks.run(_hardware_found, self._on_hardware)
        self.chapters = QComboBox()
        for chapters in ChapterMode:
            self.chapters.addItem(_CHAPTER_NAMES[chapters], chapters.value)
        self.chapters.setToolTip("Chapters players list and jump to, named after the title "
                                 "card, the caption or the file")
        self.chapter_list = QCheckBox("Also a chapter list for YouTube (.txt)")
        self.chapter_list.setToolTip("Beside the video, NAME.chapters.txt: '00:00 Title' "
                                     "lines to paste into the video's description")

        self.folder_edit = QLineEdit(str(default_output_folder()))
        self.browse_button = QPushButton("Browse…")
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        self.name_edit = QLineEdit(DEFAULT_FILE_NAME)
        self.name_edit.setPlaceholderText(DEFAULT_FILE_NAME)

        self.info_label = QLabel()
        self.info_label.setObjectName("outputInfo")
        self.info_label.setStyleSheet(
            "QLabel#outputInfo { background: palette(alternate-base); border-radius: 8px;"
            " padding: 8px 12px; font-weight: 600; }")
        self.problem_label = QLabel()
        self.problem_label.setStyleSheet("color: #c62828;")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()

        form = QFormLayout()
        form.setVerticalSpacing(8)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_heading("Video"))
        form.addRow("Format", self.format)
        form.addRow("Size", self.preset)
        form.addRow("", self._custom_row)
        form.addRow("Frame rate", self.fps)
        form.addRow("Quality", self.quality)
        form.addRow("Photo fit", self.fit)
        form.addRow("Encoder", self.encoder)
        form.addRow("Loudness", self.loudness)
        form.addRow("Chapters", self.chapters)
        form.addRow("", self.chapter_list)
        form.addRow(_heading("Save as"))
        form.addRow("Folder", folder_row)
        form.addRow("File name", self.name_edit)
        self._form = form
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.info_label)
        layout.addStretch(1)

        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.width_spin.valueChanged.connect(self._custom_changed)
        self.height_spin.valueChanged.connect(self._custom_changed)
        self.format.currentIndexChanged.connect(
            lambda _: self._edit_output("Change format", lambda o: replace(
                o, format=OutputFormat(self.format.currentData()))))
        self.fps.currentIndexChanged.connect(
            lambda _: self._edit_output("Change frame rate",
                                        lambda o: replace(o, fps=self.fps.currentData())))
        self.quality.currentIndexChanged.connect(
            lambda _: self._edit_output("Change quality",
                                        lambda o: replace(
                                            o, quality=Quality(self.quality.currentData()))))
        self.fit.currentIndexChanged.connect(
            lambda _: self._edit_output("Change photo fit",
                                        lambda o: replace(o, fit=FitMode(self.fit.currentData()))))
        self.encoder.currentIndexChanged.connect(
            lambda _: self._edit_output("Change encoder", lambda o: replace(
                o, video_encoder=VideoEncoder(self.encoder.currentData()))))
        self.loudness.currentIndexChanged.connect(
            lambda _: self._edit_output("Change loudness", lambda o: replace(
                o, loudness=Loudness(self.loudness.currentData()))))
        self.chapters.currentIndexChanged.connect(
            lambda _: self._edit_output("Change chapters", lambda o: replace(
                o, chapters=ChapterMode(self.chapters.currentData()))))
        self.chapter_list.toggled.connect(
            lambda on: self._edit_output("Change chapter list",
                                         lambda o: replace(o, chapter_list=on)))
        self.browse_button.clicked.connect(self._browse)
        self.folder_edit.textChanged.connect(lambda _: self.outputChanged.emit())
        self.name_edit.textChanged.connect(lambda _: self.outputChanged.emit())
        document.projectChanged.connect(self._sync)
        self._sync(document.project)

    # -- window-level output path ----------------------------------------------------
    def output_path(self) -> Path:
        """The video to write: folder / name, with the format's suffix (``.mp4``, ...)."""
        name = self.name_edit.text().strip() or DEFAULT_FILE_NAME
        name = with_format_suffix(name, self._document.project.output.format)
        return Path(self.folder_edit.text().strip() or ".").expanduser() / name

    def set_output_folder(self, folder: Path) -> None:
        self.folder_edit.setText(str(folder))

    def set_file_name(self, name: str) -> None:
        """Suggest a name (e.g. from the project file's name), with the format's suffix."""
        self.name_edit.setText(with_format_suffix(name, self._document.project.output.format))

    def info_text(self) -> str:
        """The summary line: size, rate, length and the estimated file size."""
        return self.info_label.text()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save videos in",
                                                  self.folder_edit.text())
        if folder:
            self.set_output_folder(Path(folder))

    def _on_hardware(self, found: list[VideoEncoder] | None,
                     error: BaseException | None) -> None:
        """Hardware encoders this computer lacks stay listed (a project may name one),
        greyed out and saying so."""
        if error is not None or found is None:
            logger.warning("looking for hardware encoders failed: %s", error)
            found = []
        model = self.encoder.model()
        for row in range(self.encoder.count()):
            choice = VideoEncoder(self.encoder.itemData(row))
            if choice in (VideoEncoder.AUTO, VideoEncoder.SOFTWARE) or choice in found:
                continue
            assert isinstance(model, QStandardItemModel)  # a QComboBox's own model
            item = model.item(row)
            item.setEnabled(False)
            item.setText(f"{item.text()} (not on this computer)")
        self.hardwareChecked.emit(found)

    # -- document -> widgets ------------------------------------------------------------
    def _sync(self, project: Project) -> None:
        out = project.output
        preset = out.resolution.preset or CUSTOM
        for combo, value in ((self.format, out.format.value),
                             (self.preset, preset), (self.fps, out.fps),
                             (self.quality, out.quality.value), (self.fit, out.fit.value),
                             (self.chapters, out.chapters.value),
                             (self.loudness, out.loudness.value),
                             (self.encoder, out.video_encoder.value)):
            index = combo.findData(value)
            if index >= 0 and index != combo.currentIndex():
                with QSignalBlocker(combo):
                    combo.setCurrentIndex(index)
        if self.chapter_list.isChecked() != out.chapter_list:
            with QSignalBlocker(self.chapter_list):
                self.chapter_list.setChecked(out.chapter_list)
        self.chapter_list.setEnabled(out.chapters is not ChapterMode.NONE)
        self.chapters.setEnabled(out.format.has_chapters)
        self.loudness.setEnabled(out.format.has_audio)
        self.encoder.setEnabled(out.format.is_h264)
        self.encoder.setToolTip(
            "Which encoder makes the video. A hardware encoder that fails during a render "
            "hands over to software." if out.format.is_h264 else
            "Hardware encoders make H.264 only: this format is encoded in software.")
        name = self.name_edit.text().strip()
        if name and with_format_suffix(name, out.format) != name:
            self.name_edit.setText(with_format_suffix(name, out.format))
        custom = preset == CUSTOM
        self._form.setRowVisible(self._custom_row, custom)
        width, height = out.resolution.size
        for spin, value in ((self.width_spin, width), (self.height_spin, height)):
            if spin.value() != value:
                with QSignalBlocker(spin):
                    spin.setValue(value)
        self._update_info(project)

    def _update_info(self, project: Project) -> None:
        out = project.output
        width, height = out.size
        gif = out.format is OutputFormat.GIF
        fps = gif_fps(out.fps) if gif else out.fps
        parts = [f"{width}×{height}", f"{fps} fps"]
        if out.format is not OutputFormat.MP4:  # the default goes without saying
            parts.insert(0, out.format.value)
        if project.slides:
            parts += [format_duration(project.total_duration),
                      f"≈ {format_size(estimate_size_bytes(project))}"]
        else:
            parts.append("no slides yet")
        self.info_label.setText(" · ".join(parts))
        notes = [n[0].upper() + n[1:] + "." for n in format_notes(project)]
        self.info_label.setToolTip("\n".join(
            ["The file size is an estimate: detailed photos and motion take more space.",
             *notes]))

    # -- widgets -> document ------------------------------------------------------------
    def _edit_output(self, description: str, change: Callable[[OutputSettings], OutputSettings],
                     *, merge_key: str | None = None) -> None:
        project = self._document.project
        output = change(project.output)
        self._document.apply(replace(project, output=output), description, merge_key)

    def _preset_chosen(self, _index: int) -> None:
        key = self.preset.currentData()
        if key == CUSTOM:
            # Pin the current size as explicit numbers, so the choice survives the next sync.
            width, height = self.width_spin.value(), self.height_spin.value()
            self._set_resolution(f"{width}x{height}", "Custom video size")
        else:
            self._set_resolution(key, "Change video size")

    def _custom_changed(self, _value: int) -> None:
        for spin in (self.width_spin, self.height_spin):
            if spin.value() % 2:  # x264 with yuv420p needs even sides
                spin.setValue(spin.value() + 1)  # re-enters with the even value
                return
        text = f"{self.width_spin.value()}x{self.height_spin.value()}"
        self._set_resolution(text, "Change video size", merge_key="output.resolution")

    def _set_resolution(self, text: str, description: str,
                        merge_key: str | None = None) -> None:
        try:
            resolution = Resolution(text)
        except ValueError as exc:
            self.problem_label.setText(str(exc))
            self.problem_label.show()
            return
        self.problem_label.hide()
        self._edit_output(description, lambda o: replace(o, resolution=resolution),
                          merge_key=merge_key)
