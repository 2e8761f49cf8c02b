"""Idle auto-lock hides patient data until the signed-in user's password is entered again."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from clinic_desktop.qt.idle_lock import IdleLock
from clinic_desktop.services.auth_service import AuthService


def test_idle_lock_hides_content_and_unlocks_only_with_the_right_password(qtbot, database, clinic):
    window = QMainWindow()
    content = QLabel("Patient: Zoë Ñúñez, HbA1c 7.2 %")
    window.setCentralWidget(content)
    qtbot.addWidget(window)
    window.show()
    auth = AuthService(database)
    lock = IdleLock(
        content, user_label=clinic.nurse.full_name, verify=lambda pw: auth.verify(clinic.nurse, pw), idle_minutes=0.02
    )
    lock.install(QApplication.instance())
    with qtbot.waitSignal(lock.locked, timeout=5000):
        pass
    assert not content.isVisible() and lock.dialog is not None
    dialog = lock.dialog
    dialog.reject()  # Esc does nothing
    assert dialog.isVisible()
    dialog.password.setText("wrong password")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: dialog.message.text() == "That password is not correct.", timeout=10000)
    assert lock.is_locked and not content.isVisible()
    dialog.password.setText(clinic.password)
    with qtbot.waitSignal(lock.unlocked, timeout=10000):
        dialog.buttons.accepted.emit()
    assert content.isVisible() and not lock.is_locked
    lock.watcher.stop()
    QApplication.instance().removeEventFilter(lock.watcher)
    dialog._runner.wait_idle()
