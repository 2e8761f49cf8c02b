"""The main window: a navigation list of panes (by role), the status bar, menus and the idle lock.

Panes are built lazily the first time they are shown, each from a `PaneSpec` that the
composition root (`app.py`) hands in — the window itself knows no service and no pane class.
A pane with an `open_patient` signal and an `opens_in` pane key gets the signal routed to
`show_patient`, which brings that pane forward and calls its `open_patient` method.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from ..domain.actor import Actor
from ..domain.permissions import Capability
from .app_context import AppContext
from .connection_status import ConnectionStatusLabel
from .idle_lock import IdleLock


@dataclass(frozen=True)
class PaneSpec:
    """One entry of the navigation: the capability it needs (see `domain.permissions`) and how to build it."""

    key: str
    title: str
    factory: Callable[[AppContext], QWidget]
    capability: Capability
    tooltip: str = ""


@dataclass(frozen=True)
class MenuAction:
    """An entry of the Tools menu (admin actions such as backup), shown to roles with `capability`."""

    title: str
    run: Callable[[QWidget], None]
    capability: Capability


class MainWindow(QMainWindow):
    """Navigation on the left, the current pane on the right, connection state at the bottom."""

    sign_out_requested = Signal()

    def __init__(
        self,
        context: AppContext,
        panes: list[PaneSpec],
        *,
        features_text: str = "",
        actions: list[MenuAction] | None = None,
        idle_minutes: float = 10.0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        actor: Actor = context.actor
        self.specs = [spec for spec in panes if actor.can(spec.capability)]
        self.panes: dict[str, QWidget] = {}
        self.setWindowTitle(f"Clinic Desktop — {context.session.clinic_name}")
        self.resize(1280, 800)
        self._build_body()
        self._build_status_bar(features_text)
        self._build_menus([a for a in (actions or []) if actor.can(a.capability)])
        self.idle_lock = IdleLock(self.centralWidget(), user_label=context.actor.username,
                                  verify=self._verify_password, idle_minutes=idle_minutes, parent=self)
        if self.specs:
            self.nav.setCurrentRow(0)

    # -- layout -------------------------------------------------------------------------------
    def _build_body(self) -> None:
        body = QWidget(self)
        layout = QHBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        self.nav = QListWidget(body)
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(190)
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setStyleSheet("QListWidget#navigation { font-size: 11pt; } "
                               "QListWidget#navigation::item { padding: 8px 10px; }")
        for spec in self.specs:
            item = QListWidgetItem(spec.title, self.nav)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setToolTip(spec.tooltip)
        self.stack = QStackedWidget(body)
        self.nav.currentRowChanged.connect(self._show_row)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(body)

    def _build_status_bar(self, features_text: str) -> None:
        actor, session = self.context.actor, self.context.session
        who = actor.full_name or actor.username
        self.user_label = QLabel(f"{who} ({actor.role.value}) · {session.clinic_name} · profile {self.context.profile_name}", self)
        self.features_label = QLabel(features_text, self)
        self.features_label.setStyleSheet("color: #616161;")
        self.connection_label = ConnectionStatusLabel(self)
        bar = self.statusBar()
        bar.addWidget(self.user_label)
        bar.addPermanentWidget(self.features_label)
        bar.addPermanentWidget(self.connection_label)

    def _build_menus(self, actions: list[MenuAction]) -> None:
        file_menu = self.menuBar().addMenu("&File")
        lock = QAction("&Lock screen", self)
        lock.setShortcut(QKeySequence("Ctrl+L"))
        lock.triggered.connect(lambda: self.idle_lock.lock())
        sign_out = QAction("Sign &out", self)
        sign_out.triggered.connect(self.sign_out_requested.emit)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (lock, sign_out, quit_action):
            file_menu.addAction(action)
        if actions:
            tools = self.menuBar().addMenu("&Tools")
            for entry in actions:
                action = QAction(entry.title, self)
                action.triggered.connect(lambda _checked=False, run=entry.run: run(self))
                tools.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Clinic Desktop", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    # -- panes --------------------------------------------------------------------------------
    def _show_row(self, row: int) -> None:
        if 0 <= row < len(self.specs):
            self.show_pane(self.specs[row].key)

    def show_pane(self, key: str) -> QWidget:
        """Build the pane on first use, then bring it to the front (and select it in the list)."""
        spec = next(s for s in self.specs if s.key == key)
        pane = self.panes.get(key)
        if pane is None:
            pane = spec.factory(self.context)
            pane.setObjectName(f"pane_{key}")
            self.panes[key] = pane
            self.stack.addWidget(pane)
            target = getattr(pane, "opens_in", None)  # e.g. the worklist opens patients in "glucose"
            if target and hasattr(pane, "open_patient") and hasattr(pane.open_patient, "connect"):
                pane.open_patient.connect(lambda patient, key=target: self.show_patient(patient, key))
        self.stack.setCurrentWidget(pane)
        row = self.specs.index(spec)
        if self.nav.currentRow() != row:
            self.nav.setCurrentRow(row)
        return pane

    def show_patient(self, patient: object, target: str) -> None:
        """Bring the pane `target` forward and open `patient` in it (if this role has that pane)."""
        if not any(s.key == target for s in self.specs):
            return
        pane = self.show_pane(target)
        opener = getattr(pane, "open_patient", None)
        if callable(opener) and not hasattr(opener, "connect"):
            opener(patient)

    # -- lock, about, close -------------------------------------------------------------------
    def _verify_password(self, password: str) -> bool:
        return self.context.services.auth.verify(self.context.actor, password)

    def _about(self) -> None:
        from .. import __version__

        QMessageBox.about(self, "About Clinic Desktop",
                          f"<b>Clinic Desktop {__version__}</b><br>Open-source software with which a diabetes clinic "
                          "runs its day: patients, appointments, glucose review and medications.")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        for pane in self.panes.values():
            close = getattr(pane, "shutdown", None)
            if callable(close):
                close()
        super().closeEvent(event)
