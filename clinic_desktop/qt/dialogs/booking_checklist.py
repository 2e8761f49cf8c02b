"""Pre-appointment checklist: common items to tick plus the clinic's own free-text items."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

COMMON_ITEMS = (
    "Bring glucose meter / CGM reader",
    "Bring medication list",
    "HbA1c test done",
    "Fasting blood test done",
    "Bring food and glucose diary",
)


class BookingChecklist(QWidget):
    """`items()` returns the ticked items in display order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setMinimumHeight(5 * self.list.fontMetrics().height() + 14)
        self.list.setMaximumHeight(130)
        for text in COMMON_ITEMS:
            self._add(text, checked=False)
        self.custom = QLineEdit(placeholderText="Add another item…")
        add = QPushButton("Add")
        add.clicked.connect(self._add_custom)
        self.custom.returnPressed.connect(self._add_custom)
        row = QHBoxLayout()
        row.addWidget(self.custom)
        row.addWidget(add)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(row)

    def _add(self, text: str, *, checked: bool) -> None:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.list.addItem(item)

    def _add_custom(self) -> None:
        text = self.custom.text().strip()
        if text:
            self._add(text[:120], checked=True)
            self.custom.clear()

    def set_checked(self, text: str, checked: bool = True) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).text() == text:
                self.list.item(i).setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return
        self._add(text, checked=checked)

    def items(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]
