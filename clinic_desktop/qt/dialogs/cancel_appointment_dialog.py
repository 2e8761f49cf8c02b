"""Ask why an appointment is cancelled (required) and, for a series, whether the following
appointments go too."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

COMMON_REASONS = ("Patient cancelled by phone", "Patient ill", "Doctor unavailable", "Booked by mistake",
                  "Moved to another clinic")


class CancelAppointmentDialog(QDialog):
    """`reason()` and `following()` once accepted; OK stays disabled until a reason is given."""

    def __init__(self, appointment, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setWindowTitle("Cancel appointment")
        self.reason_box = QComboBox(editable=True)
        self.reason_box.addItems(("",) + COMMON_REASONS)
        self.reason_box.lineEdit().setPlaceholderText("Why is it cancelled?")
        self.rest = QCheckBox("Also cancel the following appointments of this series")
        self.rest.setVisible(appointment.series_id is not None)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Cancel appointment")
        self.ok.setEnabled(False)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Keep it")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.reason_box.currentTextChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Cancel {appointment.patient_name}'s appointment?"))
        layout.addWidget(self.reason_box)
        layout.addWidget(self.rest)
        layout.addWidget(buttons)

    def reason(self) -> str:
        return self.reason_box.currentText().strip()

    def following(self) -> bool:
        return self.rest.isChecked()
