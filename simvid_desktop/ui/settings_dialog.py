"""Preferences: the :class:`Settings` the window and ``simvid`` on the command line share.

The dialog edits a copy; OK writes it with ``save_settings`` (a small JSON file, written
atomically) and announces it, so the window can hand the new values to the job bridge.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from simvid_desktop.errors import InvalidInput
from simvid_desktop.farm.paths import PathMap
from simvid_desktop.model.project import (
    MAX_DURATION,
    RESOLUTION_PRESETS,
    TRANSITION_NAMES,
    Resolution,
    TransitionKind,
)
from simvid_desktop.model.settings import CollisionPolicy, Settings, default_workers, save_settings

logger = logging.getLogger(__name__)

FARM_PLACEHOLDER = "redis://host:6379/0 — empty: render on this computer"
PATH_MAP_PLACEHOLDER = "/Users/ana/Photos=/mnt/photos\n/Users/ana/Videos=/mnt/videos"
MAX_FARM_SPLIT = 16
COLLISION_LABELS = {
    CollisionPolicy.NUMBER: "Keep both: add a number (“Holiday (2).mp4”)",
    CollisionPolicy.REFUSE: "Refuse the job",
}
RESOLUTION_LABELS = {"720p": "720p HD (1280×720)", "1080p": "1080p Full HD (1920×1080)",
                     "4k": "4K Ultra HD (3840×2160)", "vertical": "Vertical (1080×1920)",
                     "square": "Square (1080×1080)"}


def _transition_label(name: str) -> str:
    return name.replace("fadeblack", "fade through black").replace("-", " ").capitalize()


class SettingsDialog(QDialog):
    """Edits a copy of the settings; nothing changes until OK saves it."""

    #: The settings (``Settings``) were saved; emitted by OK after a successful write.
    settingsSaved = Signal(object)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self._original = settings
        self._labels: list[QLabel] = []

        self.workers = QSpinBox(self)
        self.workers.setRange(0, max(64, default_workers() * 4))
        self.workers.setSpecialValueText(f"Automatic ({default_workers()})")
        self.workers.setToolTip("How many videos render at once. Automatic: one fewer than "
                                "the processor cores. Applies from the next start.")
        self.retries = QSpinBox(self)
        self.retries.setRange(0, 10)
        self.retries.setToolTip("Retries after a crash or a full disk; "
                                "a missing photo is never retried")
        self.farm_url = QLineEdit(self)
        self.farm_url.setPlaceholderText(FARM_PLACEHOLDER)
        self.farm_url.setClearButtonEnabled(True)
        self.farm_url.setToolTip("The Redis server of your render farm (redis://, or rediss:// "
                                 "for TLS; a password goes in the URL). Empty: every video "
                                 "renders on this computer.")
        self.path_map = QPlainTextEdit(self)
        self.path_map.setObjectName("farmPathMap")
        self.path_map.setPlaceholderText(PATH_MAP_PLACEHOLDER)
        self.path_map.setTabChangesFocus(True)
        self.path_map.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        lines = self.path_map.fontMetrics().lineSpacing()
        self.path_map.setFixedHeight(lines * 3 + 14)
        self.path_map.setToolTip(
            "Where the farm's workers see your files, one rule a line: THIS_COMPUTER=WORKERS, "
            "e.g. /Users/ana/Photos=/mnt/photos. Photos, music and videos must be on storage "
            "both can reach.")
        self.path_map.textChanged.connect(self._check_path_map)
        self.path_map_error = QLabel(self)
        self.path_map_error.setObjectName("farmPathMapError")
        self.path_map_error.setWordWrap(True)
        self.path_map_error.setStyleSheet("color: #d64545;")
        self.path_map_error.hide()
        self.farm_split = QSpinBox(self)
        self.farm_split.setRange(1, MAX_FARM_SPLIT)
        self.farm_split.setSpecialValueText("1 (no splitting)")
        self.farm_split.setToolTip(
            "How many farm workers may render pieces of one video at once; the pieces are "
            "joined without re-encoding. 1: one worker renders the whole video.")

        self.output_dir = QLineEdit(self)
        self.output_dir.setPlaceholderText(str(Settings().output_folder))
        self.output_dir.setClearButtonEnabled(True)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.collision = QComboBox(self)
        for policy, label in COLLISION_LABELS.items():
            self.collision.addItem(label, policy)

        self.duration = QDoubleSpinBox(self)
        self.duration.setRange(0.1, MAX_DURATION)
        self.duration.setDecimals(1)
        self.duration.setSingleStep(0.5)
        self.duration.setSuffix(" s")
        self.transition = QComboBox(self)
        for name in TRANSITION_NAMES:
            self.transition.addItem(_transition_label(name), name)
        self.resolution = QComboBox(self)
        for key in RESOLUTION_PRESETS:
            self.resolution.addItem(RESOLUTION_LABELS.get(key, key), key)

        output_row = QHBoxLayout()
        output_row.addWidget(self.output_dir, 1)
        output_row.addWidget(browse)
        rendering = self._group("Rendering", [
            ("Videos at once:", self.workers), ("Automatic retries:", self.retries)])
        path_map_box = QVBoxLayout()
        path_map_box.setSpacing(2)
        path_map_box.addWidget(self.path_map)
        path_map_box.addWidget(self.path_map_error)
        farm = self._group("Render farm", [
            ("Redis URL:", self.farm_url), ("Path mapping:", path_map_box),
            ("Workers per show:", self.farm_split)])
        output = self._group("Saving videos", [
            ("Default folder:", output_row), ("If the file exists:", self.collision)])
        new = self._group("New projects", [
            ("Photo duration:", self.duration), ("Transition:", self.transition),
            ("Video size:", self.resolution)])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        width = max(caption.sizeHint().width() for caption in self._labels)
        for caption in self._labels:  # one column of fields across the three groups
            caption.setMinimumWidth(width)
        layout = QVBoxLayout(self)
        for group in (rendering, farm, output, new):
            layout.addWidget(group)
        layout.addWidget(buttons)
        self._load(settings)

    def _group(self, title: str,
               rows: list[tuple[str, QWidget | QHBoxLayout | QVBoxLayout]]) -> QGroupBox:
        box = QGroupBox(title, self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for text, field in rows:
            label = QLabel(text, box)
            self._labels.append(label)
            form.addRow(label, field)
        return box

    def _load(self, s: Settings) -> None:
        self.workers.setValue(max(0, s.workers))
        self.retries.setValue(max(0, min(10, s.retries)))
        self.farm_url.setText(s.farm_url)
        self.path_map.setPlainText("\n".join(s.farm_path_map))
        self.farm_split.setValue(max(1, min(MAX_FARM_SPLIT, s.farm_split)))
        self.output_dir.setText(s.output_dir)
        self.collision.setCurrentIndex(max(0, self.collision.findData(s.collision)))
        self.duration.setValue(s.default_duration)
        self.transition.setCurrentIndex(
            max(0, self.transition.findData(s.default_transition.value)))
        index = self.resolution.findData(s.default_resolution.text)
        if index < 0:  # a custom size typed in a settings file: keep it selectable
            self.resolution.addItem(s.default_resolution.text, s.default_resolution.text)
            index = self.resolution.count() - 1
        self.resolution.setCurrentIndex(index)

    def _browse(self) -> None:
        start = self.output_dir.text() or self.output_dir.placeholderText()
        folder = QFileDialog.getExistingDirectory(self, "Default folder for videos", start)
        if folder:
            self.output_dir.setText(folder)

    def path_map_rules(self) -> list[str]:
        """The rules as typed, one a line, blank lines left out."""
        return [line.strip() for line in self.path_map.toPlainText().splitlines()
                if line.strip()]

    def path_map_problem(self) -> str:
        """Why the path mapping cannot be used ("" when every rule is fine)."""
        for number, line in enumerate(self.path_map.toPlainText().splitlines(), 1):
            if not line.strip():
                continue
            try:
                PathMap.parse([line.strip()], where=f"Path mapping, line {number}")
            except InvalidInput as exc:
                return str(exc)
        return ""

    def _check_path_map(self) -> None:
        problem = self.path_map_problem()
        self.path_map_error.setText(problem)
        self.path_map_error.setVisible(bool(problem))
        self.ok_button.setEnabled(not problem)

    def settings(self) -> Settings:
        """The edited values (fields the dialog does not show are kept as they were)."""
        return replace(
            self._original,
            workers=self.workers.value(),
            retries=self.retries.value(),
            farm_url=self.farm_url.text().strip(),
            farm_path_map=self.path_map_rules(),
            farm_split=self.farm_split.value(),
            output_dir=self.output_dir.text().strip(),
            collision=CollisionPolicy(self.collision.currentData()),
            default_duration=round(self.duration.value(), 1),
            default_transition=TransitionKind(self.transition.currentData()),
            default_resolution=Resolution(self.resolution.currentData()),
        )

    def accept(self) -> None:
        if self.path_map_problem():  # OK is disabled then; Enter must not get past it either
            self._check_path_map()
            self.path_map.setFocus()
            return
        settings = self.settings()
        try:
            save_settings(settings)
        except OSError as exc:
            logger.warning("cannot save settings: %s", exc)
            QMessageBox.warning(self, "Settings", f"The settings could not be saved: {exc}")
            return
        self.settingsSaved.emit(settings)
        super().accept()
