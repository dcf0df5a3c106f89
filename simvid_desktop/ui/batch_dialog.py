"""Batch export: many videos from one dialog, each shown before anything is queued.

Two ways to make several videos: the current project at several sizes, or one video per
sub-folder of photos with the current project's settings; either in one or several formats
(each format a video of its own). Either way the dialog previews
every planned file (and every problem) first, then hands the list to the bridge in one
``submit_many`` call, which checks and queues them off the UI thread.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from simvid_desktop.errors import MediaError
from simvid_desktop.model.media_types import AUDIO_SUFFIXES, IMAGE_SUFFIXES, VIDEO_SUFFIXES
from simvid_desktop.model.project import (
    RESOLUTION_PRESETS,
    AudioBed,
    OutputFormat,
    Project,
    Resolution,
    Slide,
    with_format_suffix,
)
from simvid_desktop.model.settings import CollisionPolicy, Settings
from simvid_desktop.model.units import format_eta
from simvid_desktop.render.clips import probe_clip
from simvid_desktop.ui.job_bridge import JobBridge
from simvid_desktop.ui.job_view import TABLE_STYLE
from simvid_desktop.ui.tasks import Pool, TaskChannel

logger = logging.getLogger(__name__)

PRESET_LABELS = {"720p": "720p HD", "1080p": "1080p Full HD", "4k": "4K Ultra HD",
                 "vertical": "Vertical (stories)", "square": "Square (posts)"}
SIZES_PATTERN, FOLDERS_PATTERN = "{name}-{preset}.mp4", "{name}.mp4"
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


@dataclass(frozen=True)
class FolderScan:
    """What one sub-folder holds: its photos and clips in name order and its own music,
    if any."""

    folder: Path
    photos: tuple[Path, ...] = ()
    music: Path | None = None
    error: str | None = None
    #: Each video clip and its length, probed on the scan's pool.
    clips: tuple[tuple[Path, float], ...] = ()
    #: One line per clip that cannot be read (it is left out of the video).
    problems: tuple[str, ...] = ()

    def slides(self) -> tuple[Slide, ...]:
        """The folder's slides: photos and clips interleaved by name, as a file manager
        lists them."""
        items = [(p, Slide.photo(p)) for p in self.photos]
        items += [(p, Slide.video(p, length)) for p, length in self.clips]
        items.sort(key=lambda item: item[0].name.lower())
        return tuple(slide for _, slide in items)


def _probe_clips(paths: list[Path]) -> tuple[list[tuple[Path, float]], list[str]]:
    """Lengths of the clips that can be read and a line for each that cannot (pool)."""
    clips: list[tuple[Path, float]] = []
    problems: list[str] = []
    for path in paths:
        try:
            length = float(probe_clip(path).duration or 0.0)
        except MediaError as exc:
            problems.append(str(exc))
            continue
        if length > 0:
            clips.append((path, length))
        else:
            problems.append(f"{path}: has no video to play")
    return clips, problems


@dataclass(frozen=True)
class PlannedVideo:
    """One row of the preview; only rows without a problem are queued."""

    label: str  #: where it comes from: a size or a folder
    name: str  #: the job's name in the queue
    output: Path
    project: Project | None
    detail: str
    problem: str | None = None


def scan_parent(parent: Path) -> list[FolderScan]:
    """Every visible sub-folder of ``parent``, sorted by name (runs on a pool thread)."""
    scans: list[FolderScan] = []
    for folder in sorted((p for p in parent.iterdir() if p.is_dir()),
                         key=lambda p: p.name.lower()):
        if folder.name.startswith("."):
            continue
        try:
            files = sorted((p for p in folder.iterdir() if p.is_file()),
                           key=lambda p: p.name.lower())
        except OSError as exc:
            scans.append(FolderScan(folder, error=exc.strerror or str(exc)))
            continue
        photos = tuple(p for p in files if p.suffix.lower() in IMAGE_SUFFIXES)
        music = next((p for p in files if p.suffix.lower() in AUDIO_SUFFIXES), None)
        videos = [p for p in files if p.suffix.lower() in VIDEO_SUFFIXES]
        clips, problems = _probe_clips(videos) if videos else ([], [])
        scans.append(FolderScan(folder, photos, music, clips=tuple(clips),
                                problems=tuple(problems)))
    return scans


def file_name(pattern: str, **fields: object) -> str:
    """Fill the pattern, ending in ``.mp4`` (or another format's suffix, which each
    format's video then replaces with its own); raises ValueError with a user-facing
    reason."""
    try:
        name = pattern.format(**{k: _UNSAFE.sub("_", str(v)) for k, v in fields.items()})
    except KeyError as exc:
        raise ValueError(f"the file name pattern has an unknown field {{{exc.args[0]}}}") from exc
    except (ValueError, IndexError) as exc:
        raise ValueError(f"the file name pattern is not valid ({exc})") from exc
    if "/" in name or "\\" in name:
        raise ValueError("the file name pattern must not contain folders")
    name = name.strip().rstrip(".")
    if not name:
        raise ValueError("the file name pattern gives an empty name")
    return with_format_suffix(name, OutputFormat.MP4)


def _settle(video: PlannedVideo, seen: dict[Path, str],
            policy: CollisionPolicy) -> PlannedVideo:
    """The video with a problem or a note if its file is already taken (``seen`` grows)."""
    if video.problem is None and video.output in seen:
        video = replace(video, problem=f"same file as “{seen[video.output]}”")
    elif video.problem is None and video.output.exists():
        if policy is CollisionPolicy.REFUSE:
            video = replace(video, problem="the file exists (collision setting: refuse)")
        else:
            video = replace(video, detail=f"{video.detail}  ·  file exists: saved with a number")
    seen.setdefault(video.output, video.label)
    return video


def _in_formats(video: PlannedVideo, formats: list[OutputFormat]) -> list[PlannedVideo]:
    """The planned video once per format (its file named with the format's suffix); a row
    that names a problem only once."""
    if video.project is None:
        return [video]
    several = len(formats) > 1
    return [replace(
        video, label=f"{video.label} · {fmt.value}" if several else video.label,
        output=video.output.with_name(with_format_suffix(video.output.name, fmt)),
        project=replace(video.project, output=replace(video.project.output, format=fmt)),
        detail=f"{fmt.value}  ·  {video.detail}" if several else video.detail)
        for fmt in formats]


class BatchExportDialog(QDialog):
    """Plans several videos, previews them, and queues them with one click."""

    #: The preview was rebuilt and is complete (not while a folder is being scanned).
    planChanged = Signal()

    def __init__(self, bridge: JobBridge, project: Project, name: str, settings: Settings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch export")
        self.setMinimumSize(780, 560)
        self._bridge, self._project, self._name, self._settings = bridge, project, name, settings
        self._plan: list[PlannedVideo] = []
        self._scans: list[FolderScan] | str | None = None  #: a list, an error, or not yet
        # On the I/O pool: a big or slow (network) folder never blocks the dialog.
        self._scan_tasks = TaskChannel(self, Pool.IO, latest=True)
        self._scan_timer = QTimer(self, singleShot=True, interval=300)
        self._scan_timer.timeout.connect(self._start_scan)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._sizes_page(), "Several sizes")
        self.tabs.addTab(self._folders_page(), "One video per folder")
        self.output_edit = QLineEdit(str(settings.output_folder), self)
        self.output_edit.textChanged.connect(self._replan)
        out_row = self._path_row(self.output_edit, "Choose the folder to save the videos in")
        self.format_boxes: dict[OutputFormat, QCheckBox] = {}
        formats = QGridLayout()
        for i, fmt in enumerate(OutputFormat):
            box = QCheckBox(fmt.value, self)
            box.setObjectName(f"format_{fmt.value}")
            box.setChecked(fmt is project.output.format)
            box.toggled.connect(self._replan)
            self.format_boxes[fmt] = box
            formats.addWidget(box, i // 4, i % 4)
        self.summary = QLabel(self)
        font = QFont(self.summary.font())
        font.setBold(True)
        self.summary.setFont(font)
        self.preview = self._preview_table()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.queue_button = buttons.addButton("Queue", QDialogButtonBox.ButtonRole.AcceptRole)
        self.queue_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Formats:", formats)
        form.addRow("Save to:", out_row)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.preview, 1)
        layout.addWidget(buttons)
        self.tabs.currentChanged.connect(self._replan)
        self._replan()

    # -- pages ------------------------------------------------------------------------------
    def _sizes_page(self) -> QWidget:
        page = QWidget(self)
        intro = QLabel(f"Render “{self._name}” at several sizes at once.", page)
        grid = QGridLayout()
        self.preset_boxes: dict[str, QCheckBox] = {}
        current = self._project.output.resolution.preset
        for i, (key, (w, h)) in enumerate(RESOLUTION_PRESETS.items()):
            box = QCheckBox(f"{PRESET_LABELS.get(key, key)}  ·  {w}×{h}", page)
            box.setObjectName(f"preset_{key}")
            box.setChecked(key == current)
            box.toggled.connect(self._replan)
            self.preset_boxes[key] = box
            grid.addWidget(box, i // 3, i % 3)
        self.custom_box = QCheckBox("Custom:", page)
        self.custom_size = QLineEdit(page)
        self.custom_size.setPlaceholderText("width×height, e.g. 2560x1440")
        self.custom_box.toggled.connect(self._replan)
        self.custom_size.textChanged.connect(self._custom_typed)
        custom = QHBoxLayout()
        custom.addWidget(self.custom_box)
        custom.addWidget(self.custom_size, 1)
        grid.addLayout(custom, 1, 2)
        self.sizes_pattern = QLineEdit(SIZES_PATTERN, page)
        self.sizes_pattern.setToolTip("{name}: the project  ·  {preset}: the size  ·  "
                                      "{width}, {height}: in pixels")
        self.sizes_pattern.textChanged.connect(self._replan)
        form = QFormLayout()
        form.addRow("File names:", self.sizes_pattern)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addLayout(form)
        return page

    def _folders_page(self) -> QWidget:
        page = QWidget(self)
        intro = QLabel("Every sub-folder with photos becomes its own video, with this "
                       "project's settings. Music found in a folder is used for its video.",
                       page)
        intro.setWordWrap(True)
        self.folder_edit = QLineEdit(page)
        self.folder_edit.setPlaceholderText("A folder that contains one folder per video")
        self.folder_edit.textChanged.connect(self._folder_typed)
        self.folders_pattern = QLineEdit(FOLDERS_PATTERN, page)
        self.folders_pattern.setToolTip("{name}: the folder  ·  {preset}: the size")
        self.folders_pattern.textChanged.connect(self._replan)
        form = QFormLayout()
        form.addRow("Photo folders in:", self._path_row(self.folder_edit, "Choose the folder"))
        form.addRow("File names:", self.folders_pattern)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _path_row(self, edit: QLineEdit, title: str) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        browse = QPushButton("Browse…", row)
        browse.clicked.connect(lambda: self._browse(edit, title))
        layout.addWidget(browse)
        return row

    def _preview_table(self) -> QTableWidget:
        table = QTableWidget(0, 3, self)
        table.setObjectName("batchPreview")
        table.setHorizontalHeaderLabels(["Video", "File", "Details"])
        header = table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setStyleSheet(TABLE_STYLE)
        table.verticalHeader().setDefaultSectionSize(30)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        table.setColumnWidth(0, 180)
        table.setColumnWidth(1, 220)
        return table

    def _browse(self, edit: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, edit.text())
        if folder:
            edit.setText(folder)

    # -- for callers and tests ----------------------------------------------------------------
    def set_parent_folder(self, folder: Path) -> None:
        """Show the folder mode for ``folder`` and scan it now."""
        with QSignalBlocker(self.tabs), QSignalBlocker(self.folder_edit):
            self.tabs.setCurrentIndex(1)
            self.folder_edit.setText(str(folder))
        self._scans = None
        self._start_scan()
        self._replan()  # "looking for folders…"; planChanged follows the scan

    def planned(self) -> list[PlannedVideo]:
        return list(self._plan)

    def jobs(self) -> list[tuple[Project, Path, str]]:
        """The videos that will be queued: (project, output, name)."""
        return [(v.project, v.output, v.name) for v in self._plan
                if v.project is not None and v.problem is None]

    # -- planning ---------------------------------------------------------------------------
    def _custom_typed(self) -> None:
        if self.custom_size.text().strip() and not self.custom_box.isChecked():
            self.custom_box.setChecked(True)  # replans
        else:
            self._replan()

    def _folder_typed(self) -> None:
        self._scans = None
        self._scan_tasks.discard()  # results of an older scan are ignored
        self._scan_timer.start()  # typing: scan when the user pauses
        self._replan()

    def _start_scan(self) -> None:
        self._scan_timer.stop()
        text = self.folder_edit.text().strip()
        if not text:
            self._scan_tasks.discard()
            return
        parent = Path(text).expanduser()
        self._scan_tasks.run(partial(scan_parent, parent), partial(self._scanned, parent))

    def _scanned(self, parent: Path, scans: list[FolderScan] | None,
                 error: BaseException | None) -> None:
        if isinstance(error, OSError):
            self._scans = f"{parent}: {error.strerror or error}"
        elif error is not None:
            logger.error("scanning %s failed", parent, exc_info=error)
            self._scans = f"{parent}: cannot be scanned ({error})"
        else:
            self._scans = scans or []
        self._replan()

    def _replan(self) -> None:
        text = self.output_edit.text().strip()
        out_dir = Path(text).expanduser() if text else self._settings.output_folder
        if self.tabs.currentIndex() == 0:
            plan, note = self._plan_sizes(out_dir), ""
        elif not self.folder_edit.text().strip():
            plan, note = [], "Choose a folder that holds one folder of photos per video."
        elif self._scans is None:
            self._show([], "Looking for photo folders…")
            return
        elif isinstance(self._scans, str):
            plan, note = [], self._scans
        else:
            plan, note = self._plan_folders(out_dir, self._scans), ""
        formats = [fmt for fmt, box in self.format_boxes.items() if box.isChecked()]
        if not formats:
            plan, note = [], "Choose at least one format."
        plan = [v for video in plan for v in _in_formats(video, formats)]
        seen: dict[Path, str] = {}  # clashes within the batch, and with files on disk
        self._plan = [_settle(v, seen, self._settings.collision) for v in plan]
        self._show(self._plan, note)
        self.planChanged.emit()

    def _plan_sizes(self, out_dir: Path) -> list[PlannedVideo]:
        sizes = [key for key, box in self.preset_boxes.items() if box.isChecked()]
        custom_problem = None
        if self.custom_box.isChecked():
            text = self.custom_size.text().strip()
            try:
                w, h = Resolution(text).size
                sizes.append(f"{w}x{h}")
            except ValueError as exc:
                custom_problem = (f"custom size: {exc}" if text else
                                  "custom size: type a size such as 2560x1440")
        plan: list[PlannedVideo] = []
        photos = len(self._project.slides)
        length = format_eta(self._project.total_duration)
        for preset in sizes:
            resolution = Resolution(preset)
            w, h = resolution.size
            project = replace(self._project, output=replace(self._project.output,
                                                            resolution=resolution))
            label = PRESET_LABELS.get(preset, f"Custom {w}×{h}")
            plan.append(self._video(
                label, self.sizes_pattern.text(), out_dir, project,
                {"name": self._name, "preset": preset, "width": w, "height": h},
                f"{w}×{h}  ·  {photos} photos  ·  {length}",
                None if photos else "the project has no photos"))
        if custom_problem:
            plan.append(PlannedVideo("Custom size", self._name, out_dir, None, "",
                                     custom_problem))
        return plan

    def _plan_folders(self, out_dir: Path, scans: list[FolderScan]) -> list[PlannedVideo]:
        preset = self._project.output.resolution.text
        w, h = self._project.output.size
        plan: list[PlannedVideo] = []
        for scan in scans:
            fields = {"name": scan.folder.name, "preset": preset, "width": w, "height": h}
            slides = scan.slides()
            if scan.error or not slides:
                plan.append(self._video(
                    scan.folder.name, self.folders_pattern.text(), out_dir, None, fields, "",
                    scan.error or (scan.problems[0] if scan.problems
                                   else "no photos or clips in this folder")))
                continue
            audio = self._project.audio
            if scan.music is not None:
                # The folder's track, played with the project's settings of its first one.
                audio = (replace(audio, tracks=(replace(audio.first, path=scan.music),))
                         if audio is not None else AudioBed.single(scan.music))
                music = f"music: {scan.music.name}"
            else:
                music = f"project music: {audio.first.path.name}" if audio else "no music"
            project = replace(self._project, slides=slides, audio=audio)
            clips = f"  ·  {len(scan.clips)} clips" if scan.clips else ""
            skipped = f"  ·  {len(scan.problems)} unreadable" if scan.problems else ""
            plan.append(self._video(
                scan.folder.name, self.folders_pattern.text(), out_dir, project, fields,
                f"{len(scan.photos)} photos{clips}{skipped}  ·  {music}  ·  "
                f"{format_eta(project.total_duration)}"))
        return plan

    @staticmethod
    def _video(label: str, pattern: str, out_dir: Path, project: Project | None,
               fields: dict[str, object], detail: str, problem: str | None = None
               ) -> PlannedVideo:
        try:
            output = out_dir / file_name(pattern, **fields)
        except ValueError as exc:
            return PlannedVideo(label, str(fields["name"]), out_dir, None, detail, str(exc))
        return PlannedVideo(label, output.stem, output, project, detail, problem)

    def _show(self, plan: list[PlannedVideo], note: str) -> None:
        table = self.preview
        table.setRowCount(len(plan))
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        folder = self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        by_folder = self.tabs.currentIndex() == 1
        for row, video in enumerate(plan):
            cells = [QTableWidgetItem(folder if by_folder else QIcon(), video.label),
                     QTableWidgetItem(video.output.name if video.project else ""),
                     QTableWidgetItem(video.problem or video.detail)]
            cells[1].setToolTip(str(video.output))
            cells[2].setToolTip(video.problem or video.detail)
            if video.problem:
                cells[0].setIcon(warn)
                cells[2].setForeground(QColor("#d64545"))
                cells[0].setForeground(muted)
            for column, item in enumerate(cells):
                table.setItem(row, column, item)
        count, skipped = len(self.jobs()), sum(1 for v in plan if v.problem)
        text = note or f"{count} video{'s' if count != 1 else ''} will be queued"
        if skipped and not note:
            text += f"  ·  {skipped} skipped (see below)"
        self.summary.setText(text)
        self.queue_button.setText(f"Queue {count} video{'s' if count != 1 else ''}")
        self.queue_button.setEnabled(count > 0)

    # -- queuing -----------------------------------------------------------------------------
    def accept(self) -> None:
        items = self.jobs()
        if not items:
            return
        folder = items[0][1].parent
        try:  # the default folder (Videos/Simvid) may not exist yet
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            QMessageBox.warning(self, "Batch export", f"Cannot create {folder}: {exc.strerror}")
            return
        self._bridge.submit_many(items)
        logger.info("batch export: %d videos handed to the queue", len(items))
        super().accept()
