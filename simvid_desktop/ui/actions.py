"""The window's actions: one place for names, icons, shortcuts and tooltips."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QWidget

from simvid_desktop.paths import resource


def icon(name: str) -> QIcon:
    return QIcon(str(resource("icons", f"{name}.png")))


@dataclass
class Actions:
    new: QAction
    open: QAction
    save: QAction
    save_as: QAction
    add_images: QAction
    add_audio: QAction
    remove_slides: QAction
    add_title: QAction
    add_intro_outro: QAction
    sort_by_name: QAction
    sort_by_date: QAction
    cut_on_beat: QAction
    render: QAction
    batch_export: QAction
    settings: QAction
    quit: QAction
    open_logs: QAction


def _action(parent: QWidget, name: str, text: str, icon_name: str | None,
            shortcut: QKeySequence | QKeySequence.StandardKey | str | None,
            tip: str) -> QAction:
    action = QAction(text, parent)
    action.setObjectName(name)
    if icon_name:
        action.setIcon(icon(icon_name))
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    shortcut_text = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    action.setToolTip(f"{tip} ({shortcut_text})" if shortcut_text else tip)
    action.setStatusTip(tip)
    return action


def create_actions(parent: QWidget) -> Actions:
    std = QKeySequence.StandardKey
    return Actions(
        new=_action(parent, "actionNew", "&New Project", "new", std.New,
                    "Start a new slideshow"),
        open=_action(parent, "actionOpen", "&Open…", "open", std.Open,
                     "Open a .simvid project"),
        save=_action(parent, "actionSave", "&Save", "save", std.Save, "Save the project"),
        save_as=_action(parent, "actionSaveAs", "Save &As…", None, std.SaveAs,
                        "Save the project under a new name"),
        add_images=_action(parent, "actionAddImages", "Add &Photos and Clips…", "add-images",
                           "Ctrl+I", "Add photos and video clips (or a folder of them) to "
                           "the timeline"),
        add_audio=_action(parent, "actionAddAudio", "Add &Music…", "add-audio", "Ctrl+M",
                          "Choose the music (a sound file or a video's soundtrack)"),
        remove_slides=_action(parent, "actionRemoveSlides", "&Remove Selected Slides", "delete",
                              None, "Remove the selected slides from the timeline"),
        add_title=_action(parent, "actionAddTitle", "Add &Title Card", "add-title", "Ctrl+T",
                          "Add a card of text after the selected slide"),
        add_intro_outro=_action(parent, "actionAddIntroOutro", "Add &Intro and Outro",
                                None, None, "Add a title card at the start (the show's "
                                "name) and one at the end"),
        sort_by_name=_action(parent, "actionSortByName", "Sort by &Name", None, None,
                             "Order the slides by file name"),
        sort_by_date=_action(parent, "actionSortByDate", "Sort by &Date Taken", None, None,
                             "Order the slides by the date the photos were taken"),
        cut_on_beat=_action(parent, "actionCutOnBeat", "Cut on the &Beat…", None, "Ctrl+B",
                            "Move every slide change onto a beat of the music"),
        render=_action(parent, "actionRender", "&Render", "render", "Ctrl+Return",
                       "Render the video in the background (editing continues)"),
        batch_export=_action(parent, "actionBatchExport", "&Batch Export…", "batch",
                             "Ctrl+Shift+E", "Queue several videos at once"),
        settings=_action(parent, "actionSettings", "Se&ttings…", "settings", std.Preferences,
                         "Workers, output folder, defaults"),
        quit=_action(parent, "actionQuit", "&Quit", None, std.Quit, "Close Simvid"),
        open_logs=_action(parent, "actionOpenLogs", "Open &Log Folder", "folder", None,
                          "Show the folder with Simvid's logs"),
    )
