"""The main window: assembles the panels and wires actions to them. Behaviour lives in the
panels, the document and the job bridge; this module only connects them."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QSystemTrayIcon,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from simvid_desktop.errors import ProjectInvalid
from simvid_desktop.jobs.model import Job
from simvid_desktop.model.media_types import (
    AUDIO_SUFFIXES,
    IMAGE_SUFFIXES,
    MUSIC_SUFFIXES,
    VIDEO_SUFFIXES,
)
from simvid_desktop.model.project import Project, unknown_fields
from simvid_desktop.model.recent import recent_projects, remember
from simvid_desktop.model.settings import Settings, load_settings
from simvid_desktop.paths import log_dir
from simvid_desktop.ui.actions import create_actions, icon
from simvid_desktop.ui.autosave import Autosave
from simvid_desktop.ui.batch_dialog import BatchExportDialog
from simvid_desktop.ui.beat_actions import CutOnBeat
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.farm_monitor import FarmDock
from simvid_desktop.ui.inspector import SlideInspector
from simvid_desktop.ui.job_bridge import JobBridge
from simvid_desktop.ui.job_view import JobsView
from simvid_desktop.ui.music_panel import MusicPanel
from simvid_desktop.ui.output_panel import OutputPanel
from simvid_desktop.ui.preview_widget import PreviewWidget
from simvid_desktop.ui.settings_dialog import SettingsDialog
from simvid_desktop.ui.thumbnails import ThumbnailProvider
from simvid_desktop.ui.timeline_model import AddResult, TimelineModel
from simvid_desktop.ui.timeline_view import TimelineView
from simvid_desktop.ui.title_actions import add_intro_and_outro, add_title_card

logger = logging.getLogger(__name__)

PROJECT_FILTER = "Simvid projects (*.simvid)"
MEDIA_FILTER = ";;".join([
    f"Photos and clips ({' '.join(f'*{s}' for s in sorted(IMAGE_SUFFIXES | VIDEO_SUFFIXES))})",
    f"Photos ({' '.join(f'*{s}' for s in sorted(IMAGE_SUFFIXES))})",
    f"Video clips ({' '.join(f'*{s}' for s in sorted(VIDEO_SUFFIXES))})",
])
MUSIC_FILTER = f"Music or video ({' '.join(f'*{s}' for s in sorted(MUSIC_SUFFIXES))})"


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, *, start_runner: bool = True) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings = settings or load_settings()
        self.document = ProjectDocument(self)
        self.bridge = JobBridge(self.settings, parent=self)
        self.autosave = Autosave(self.document)
        self.thumbnails = ThumbnailProvider(self)
        # Not ``actions`` (nor ``render`` below): those would hide QWidget methods.
        self.window_actions = create_actions(self)
        self._notified: set[str] = set()
        self._build_panels()
        self._build_menus_and_toolbar()
        self._connect()
        self.setAcceptDrops(True)
        self.resize(1440, 900)
        self._update_title()
        if start_runner:
            self.bridge.start_runner()

    # -- construction ----------------------------------------------------------------------
    def _build_panels(self) -> None:
        # Thumbnails are made as tiles come into view, not all at once: adding 500 photos
        # must not flood the decode threads (and the GIL) while the user works.
        self.timeline_model = TimelineModel(self.document, self.thumbnails, self, prefetch=False)
        self.timeline = TimelineView()
        self.timeline.setModel(self.timeline_model)
        self.inspector = SlideInspector(self.document)
        self.music = MusicPanel(self.document)
        self.output = OutputPanel(self.document)
        self.output.set_output_folder(self.settings.output_folder)
        self.preview = PreviewWidget()
        self.jobs = JobsView(self.bridge)

        side = QTabWidget()
        side.setObjectName("sidePanels")
        side.setDocumentMode(True)
        side.addTab(self.inspector, icon("settings"), "Slide")
        side.addTab(self.music, icon("add-audio"), "Music")
        side.addTab(self.output, icon("render"), "Output")
        self.side_tabs = side

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.preview)
        top.addWidget(side)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)

        # The waveform lives under the timeline, where slide boundaries line up with it.
        strip = QWidget()
        strip_layout = QVBoxLayout(strip)
        strip_layout.setContentsMargins(0, 0, 0, 0)
        strip_layout.setSpacing(4)
        strip_layout.addWidget(self.timeline, 3)
        self.music.waveform.setMinimumHeight(70)
        strip_layout.addWidget(self.music.waveform, 1)

        center = QSplitter(Qt.Orientation.Vertical)
        center.addWidget(top)
        center.addWidget(strip)
        center.setStretchFactor(0, 3)
        center.setStretchFactor(1, 2)
        self.setCentralWidget(center)

        dock = QDockWidget("Render queue", self)
        dock.setObjectName("jobsDock")
        dock.setWidget(self.jobs)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        self.jobs_dock = dock
        self.farm_dock = FarmDock(self.settings.farm_url, self)  # a tab beside the queue
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.farm_dock)
        self.tabifyDockWidget(dock, self.farm_dock)
        dock.raise_()

        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)
        self.beat_cut = CutOnBeat(self.document, self.music.waveform, self.statusBar(), self)
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self.windowIcon(), self)
            self.tray.show()

    def _build_menus_and_toolbar(self) -> None:
        a = self.window_actions
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        undo.setIcon(icon("undo"))
        undo.setObjectName("actionUndo")
        undo.setIconText("Undo")  # the toolbar keeps a short label; the menu names the edit
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        redo.setIcon(icon("redo"))
        redo.setObjectName("actionRedo")
        redo.setIconText("Redo")
        self.undo_action, self.redo_action = undo, redo

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addActions([a.new, a.open])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addActions([a.save, a.save_as])
        file_menu.addSeparator()
        file_menu.addActions([a.render, a.batch_export])
        file_menu.addSeparator()
        file_menu.addAction(a.quit)
        edit = menu.addMenu("&Edit")
        edit.addActions([undo, redo])
        edit.addSeparator()
        edit.addActions([a.add_images, a.add_title, a.add_intro_outro, a.add_audio,
                         a.remove_slides])
        edit.addSeparator()
        edit.addActions([a.sort_by_name, a.sort_by_date])
        edit.addAction(a.cut_on_beat)
        edit.addSeparator()
        edit.addAction(a.settings)
        menu.addMenu("&View").addAction(self.farm_dock.show_action)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(a.open_logs)
        self._refresh_recent()

        bar = QToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setIconSize(QSize(24, 24))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addActions([a.new, a.open, a.save])
        bar.addSeparator()
        bar.addActions([a.add_images, a.add_title, a.add_audio])
        bar.addSeparator()
        bar.addActions([undo, redo])
        bar.addSeparator()
        bar.addActions([a.render, a.batch_export])
        self.addToolBar(bar)
        a.remove_slides.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.timeline.addAction(a.remove_slides)

    def _connect(self) -> None:
        a = self.window_actions
        a.new.triggered.connect(self.new_project)
        a.open.triggered.connect(self.open_dialog)
        a.save.triggered.connect(self.save)
        a.save_as.triggered.connect(self.save_as)
        a.add_images.triggered.connect(self.add_images_dialog)
        a.add_audio.triggered.connect(self.add_audio_dialog)
        a.add_title.triggered.connect(self.add_title_card)
        a.add_intro_outro.triggered.connect(self.add_intro_and_outro)
        self.timeline_model.mediaAdded.connect(self._media_added)
        a.remove_slides.triggered.connect(
            lambda: self.timeline_model.remove_rows(self.timeline.selected_rows()))
        a.sort_by_name.triggered.connect(self.timeline_model.sort_by_name)
        a.sort_by_date.triggered.connect(self.timeline_model.sort_by_date_taken)
        a.cut_on_beat.triggered.connect(self.beat_cut.ask)
        self.beat_cut.problem.connect(self._show_problem)
        a.render.triggered.connect(self.queue_render)
        a.batch_export.triggered.connect(self.batch_export)
        a.settings.triggered.connect(self.open_settings)
        a.quit.triggered.connect(self.close)
        a.open_logs.triggered.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir()))))

        self.timeline.selectionChangedRows.connect(self.inspector.set_rows)
        self.timeline.selectionChangedRows.connect(self._seek_to_slide)
        self.document.projectChanged.connect(self._project_changed)
        self.document.modifiedChanged.connect(lambda _m: self._update_title())
        self.document.pathChanged.connect(lambda _p: self._update_title())
        self.preview.frameShown.connect(self.music.waveform.set_playhead)
        self.music.waveform.seekRequested.connect(self.preview.set_time)
        self.output.outputChanged.connect(self._update_status)

        self.farm_dock.monitor.settingsRequested.connect(self.open_settings)
        self.bridge.submitFailed.connect(self._show_problem)
        self.bridge.errorOccurred.connect(self._show_problem)
        self.bridge.jobSubmitted.connect(self._job_submitted)
        self.bridge.jobFinished.connect(self._job_finished)
        self.bridge.queueIdle.connect(self._queue_idle)
        self._project_changed(self.document.project)

    # -- document ------------------------------------------------------------------------
    def _project_changed(self, project: Project) -> None:
        self.preview.set_project(project)
        has_slides = bool(project.slides)
        self.window_actions.render.setEnabled(has_slides)
        self.window_actions.batch_export.setEnabled(has_slides)
        self._update_status()

    def _seek_to_slide(self, rows: list[int]) -> None:
        if len(rows) != 1:
            return
        project = self.document.project
        start = sum(project.duration_of(i) for i in range(rows[0]))
        self.preview.set_time(start + min(0.5, project.duration_of(rows[0]) / 2))

    def _update_title(self) -> None:
        path = self.document.path
        name = path.name if path else "Untitled"
        self.setWindowModified(self.document.modified)
        self.setWindowTitle(f"{name}[*] — Simvid Desktop")

    def _update_status(self) -> None:
        project = self.document.project
        n = len(project.slides)
        self.status_label.setText(
            f"{n} slide{'s' if n != 1 else ''} · {self.output.info_text()}" if n else
            "Drop photos, clips or a folder anywhere on the window to start")

    def _default_name(self) -> str:
        if self.document.path:
            return self.document.path.stem
        slides = self.document.project.slides
        first = slides[0].source if slides else None
        folder = first.parent.name if first is not None else ""
        return re.sub(r"[^\w\- ]+", "", folder).strip() or "slideshow"

    def confirm_discard(self) -> bool:
        """Ask before unsaved changes are lost; True when it is fine to go on."""
        if not self.document.modified:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", "Save the changes to this slideshow first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        if self.confirm_discard():
            self.document.reset(Project(), None)
            self.output.set_file_name("slideshow")

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open project", "", PROJECT_FILTER)
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path) -> bool:
        try:
            self.document.open(path)
        except ProjectInvalid as exc:
            self._show_problem("\n".join(exc.lines()))
            return False
        self.output.set_file_name(path.stem)
        remember(path)
        self._refresh_recent()
        fields = unknown_fields(self.document.project)
        if fields:
            self._warn_unknown_fields(path, fields)
        return True

    def _warn_unknown_fields(self, path: Path, fields: list[str]) -> None:
        """A newer version's file: say what is ignored, and that saving keeps it."""
        logger.warning("%s: unknown fields ignored, kept on save: %s", path, ", ".join(fields))
        shown = fields[:12]
        more = f"\n… and {len(fields) - len(shown)} more" if len(fields) > len(shown) else ""
        self._show_problem(
            f"{path.name} has fields this version of Simvid Desktop does not know, probably "
            "written by a newer version. They are ignored here, and kept when you save:\n\n"
            + "\n".join(shown) + more)
        self.statusBar().showMessage(
            f"Opened {path.name}: {len(fields)} unknown field(s) ignored", 10000)

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        self.document.save()
        self.statusBar().showMessage(f"Saved {self.document.path}", 4000)
        return True

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save project",
                                              f"{self._default_name()}.simvid", PROJECT_FILTER)
        if not path:
            return False
        target = Path(path).with_suffix(".simvid")
        self.document.save(target)
        remember(target)
        self._refresh_recent()
        self.statusBar().showMessage(f"Saved {target}", 4000)
        return True

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in recent_projects():
            action = self.recent_menu.addAction(path.name)
            action.setToolTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.confirm_discard()
                                     and self.open_path(p))
        self.recent_menu.setEnabled(not self.recent_menu.isEmpty())

    def offer_recovery(self) -> None:
        """After a crash, offer the autosaved project back."""
        pending = Autosave.pending()
        if pending is None:
            return
        project, original = pending
        answer = QMessageBox.question(
            self, "Recover unsaved work",
            "Simvid did not close normally last time. Recover the slideshow you were "
            f"working on ({len(project.slides)} slides)?")
        if answer == QMessageBox.StandardButton.Yes:
            self.document.recover(project, original)
        else:
            self.autosave.discard()

    # -- adding media ------------------------------------------------------------------------
    def add_images_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add photos and clips", "", MEDIA_FILTER)
        if paths:
            self.add_paths([Path(p) for p in paths])

    def add_title_card(self) -> None:
        row = add_title_card(self.document, self.timeline.selected_rows())
        self.timeline.select_rows([row])  # the inspector shows it, ready to type

    def add_intro_and_outro(self) -> None:
        first, _last = add_intro_and_outro(self.document, self._default_name())
        self.timeline.select_rows([first])

    def add_audio_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add music", "", MUSIC_FILTER)
        if paths:
            self.music.add_tracks([Path(p) for p in paths])
            self.side_tabs.setCurrentWidget(self.music)

    def add_paths(self, paths: list[Path]) -> None:
        """Photos, clips and folders go to the timeline; sound files join the playlist.

        Clips are probed off the UI thread first: :meth:`_media_added` reports the add."""
        music = [p for p in paths if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()]
        others = [p for p in paths if p not in music]
        if music:
            self.music.add_tracks(music)
        if others:
            self.timeline_model.add_files(others)

    def _media_added(self, result: AddResult) -> None:
        self.statusBar().showMessage(result.summary(), 4000)
        if result.problems:
            # The same one-line reasons a broken photo's tile shows, naming each file.
            self._show_problem("\n".join(result.problems))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.add_paths(paths)
            event.acceptProposedAction()

    # -- rendering -------------------------------------------------------------------------
    def queue_render(self) -> None:
        """Queue a snapshot of the project to the default folder and name, without asking."""
        project = self.document.project
        if not project.slides:
            return
        output = self.output.output_path()
        output.parent.mkdir(parents=True, exist_ok=True)
        self.bridge.submit(project, output, name=output.stem)
        self.statusBar().showMessage(f"Queued {output.name}", 4000)

    def batch_export(self) -> None:
        dialog = BatchExportDialog(self.bridge, self.document.project, self._default_name(),
                                   self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        dialog.settingsSaved.connect(self._settings_saved)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _settings_saved(self, settings: Settings) -> None:
        workers_changed = settings.worker_count != self.settings.worker_count
        self.settings = settings
        self.bridge.set_settings(settings)
        self.farm_dock.monitor.set_farm_url(settings.farm_url)
        self.output.set_output_folder(settings.output_folder)
        if workers_changed and self.bridge.runner_running:
            self.bridge.stop_runner()
            self.bridge.start_runner()

    def _job_submitted(self, job: Job) -> None:
        self.jobs_dock.raise_()

    def _job_finished(self, job: Job) -> None:
        if job.id in self._notified:
            return
        self._notified.add(job.id)
        text = f"{job.name} is ready: {job.output}"
        if self.tray is not None and self.tray.isVisible():
            self.tray.showMessage("Video finished", text, QSystemTrayIcon.MessageIcon.Information,
                                  4000)
        self.statusBar().showMessage(text, 8000)

    def _queue_idle(self, finished: int, failed: int) -> None:
        summary = f"Render queue done: {finished} finished" + (
            f", {failed} failed" if failed else "")
        self.statusBar().showMessage(summary, 10000)
        if self.tray is not None and self.tray.isVisible():
            self.tray.showMessage("Render queue done", summary)

    def _show_problem(self, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Simvid Desktop", message,
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()

    # -- closing ------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_discard():
            event.ignore()
            return
        self.autosave.discard()
        self.preview.shutdown()
        self.thumbnails.shutdown()
        self.farm_dock.monitor.shutdown()
        self.bridge.shutdown()
        event.accept()
