"""The "Care team" tab of the patient record: doctors and caregivers, with caregiver permissions.

Doctors, nurses and admins add and remove members and tick what a caregiver may do; everybody
else sees the team read-only (the service enforces the same rule). Every call runs on the tab's
TaskRunner and answers with the whole team, which the tab then shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...domain.enums import CaregiverPermission
from ...domain.errors import DomainError, ValidationError
from ...domain.patient_rules import format_phone
from ...domain.permissions import Capability, refusal
from ...services.patient_dto import CareTeam, CareTeamCaregiver
from ..workers import TaskRunner

ERROR_STYLE = "color: #b71c1c;"
PERMISSION_LABELS = {CaregiverPermission.VIEW: "View the record", CaregiverPermission.RECORD_DOSES: "Record doses",
                     CaregiverPermission.RECORD_READINGS: "Record glucose readings"}
ID_ROLE = Qt.ItemDataRole.UserRole


class CareTeamEditor(QWidget):
    """Shows one patient's care team and, for clinical staff and admins, edits it."""

    changed = Signal(object)  # the new CareTeam, after a change was saved

    def __init__(self, context, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._service, self._actor = context.services.patients, context.actor
        self._runner, self._options_runner = TaskRunner(self), TaskRunner(self)
        self.patient_id: uuid.UUID | None = None
        self.team = CareTeam()
        self.can_edit = self._actor.can(Capability.EDIT_CARE_TEAM)
        self._build()
        self._select_caregiver()

    # --- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.doctors = QListWidget()
        self.doctors.setMaximumHeight(130)
        self.doctor_choice = QComboBox()
        self.add_doctor_button = QPushButton("Add doctor")
        self.add_doctor_button.clicked.connect(self.add_doctor)
        self.remove_doctor_button = QPushButton("Remove doctor")
        self.remove_doctor_button.clicked.connect(self.remove_doctor)
        self.doctors.currentItemChanged.connect(lambda *_: self._update_buttons())
        doctor_row = QHBoxLayout()
        for w in (self.doctor_choice, self.add_doctor_button, self.remove_doctor_button):
            doctor_row.addWidget(w)
        doctor_box = QGroupBox("Doctors")
        doctor_layout = QVBoxLayout(doctor_box)
        doctor_layout.addWidget(self.doctors)
        doctor_layout.addLayout(doctor_row)

        self.caregivers = QListWidget()
        self.caregivers.currentItemChanged.connect(lambda *_: self._select_caregiver())
        self.permission_boxes = self._permission_boxes()
        self.save_permissions_button = QPushButton("Save permissions")
        self.save_permissions_button.clicked.connect(self.save_permissions)
        self.remove_caregiver_button = QPushButton("Remove caregiver")
        self.remove_caregiver_button.clicked.connect(self.remove_caregiver)
        perm_row = QHBoxLayout()
        for box in self.permission_boxes.values():
            perm_row.addWidget(box)
        perm_row.addStretch(1)
        perm_row.addWidget(self.save_permissions_button)
        perm_row.addWidget(self.remove_caregiver_button)
        carer_box = QGroupBox("Caregivers")
        carer_layout = QVBoxLayout(carer_box)
        carer_layout.addWidget(self.caregivers)
        carer_layout.addLayout(perm_row)
        carer_layout.addWidget(self._new_caregiver_form())

        self.status = QLabel("" if self.can_edit else refusal(self._actor.role, Capability.EDIT_CARE_TEAM))
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(doctor_box)
        layout.addWidget(carer_box, 1)
        layout.addWidget(self.status)
        for w in (self.doctor_choice, self.add_doctor_button, self.remove_doctor_button, self.save_permissions_button,
                  self.remove_caregiver_button, self.new_caregiver_box, *self.permission_boxes.values()):
            w.setVisible(self.can_edit)

    def _permission_boxes(self, parent: QWidget | None = None) -> dict[CaregiverPermission, QCheckBox]:
        boxes = {}
        for permission, label in PERMISSION_LABELS.items():
            box = QCheckBox(label, parent)
            if permission is CaregiverPermission.VIEW:  # every caregiver may see the record
                box.setChecked(True)
                box.setEnabled(False)
            boxes[permission] = box
        return boxes

    def _new_caregiver_form(self) -> QGroupBox:
        self.new_caregiver_box = QGroupBox("Add a caregiver")
        form = QFormLayout(self.new_caregiver_box)
        self.new_inputs = {name: QLineEdit() for name in ("given_name", "family_name", "phone", "relationship")}
        self.new_inputs["relationship"].setPlaceholderText("e.g. daughter, husband, carer")
        self.new_errors: dict[str, QLabel] = {}
        for name, label in (("given_name", "Given name"), ("family_name", "Family name"), ("phone", "Phone"),
                            ("relationship", "Relationship")):
            error = QLabel("")
            error.setStyleSheet(ERROR_STYLE)
            error.setVisible(False)
            self.new_errors[name] = error
            column = QVBoxLayout()
            column.setSpacing(1)
            column.addWidget(self.new_inputs[name])
            column.addWidget(error)
            form.addRow(label, column)
        self.new_permissions = self._permission_boxes(self.new_caregiver_box)
        row = QHBoxLayout()
        for box in self.new_permissions.values():
            row.addWidget(box)
        self.add_caregiver_button = QPushButton("Add caregiver")
        self.add_caregiver_button.clicked.connect(self.add_caregiver)
        row.addStretch(1)
        row.addWidget(self.add_caregiver_button)
        form.addRow("May", row)
        return self.new_caregiver_box

    # --- showing -------------------------------------------------------------------------------

    def set_patient(self, patient_id: uuid.UUID, team: CareTeam) -> None:
        """Show `team` of this patient; load the clinic's doctors for the "add" list once."""
        first = self.patient_id is None
        self.patient_id = patient_id
        self.show_team(team)
        if first and self.can_edit:
            self._options_runner.run(lambda state: self._service.list_doctors(self._actor), self._fill_doctors,
                                     self._failed)

    def show_team(self, team: CareTeam) -> None:
        selected = self.selected_caregiver()
        self.team = team
        self.doctors.clear()
        for d in team.doctors:
            item = QListWidgetItem(d.display_name + ("  — responsible doctor" if d.responsible else "")
                                   + (f"  ({d.specialty})" if d.specialty else ""))
            item.setData(ID_ROLE, d.doctor_id)
            self.doctors.addItem(item)
        self.caregivers.clear()
        for c in team.caregivers:
            item = QListWidgetItem(self._caregiver_text(c))
            item.setData(ID_ROLE, c.caregiver_id)
            self.caregivers.addItem(item)
            if selected is not None and c.caregiver_id == selected.caregiver_id:
                self.caregivers.setCurrentItem(item)
        if not team.doctors:
            self.doctors.addItem("No doctor linked yet.")
        if not team.caregivers:
            self.caregivers.addItem("No caregiver linked yet.")
        self._select_caregiver()

    @staticmethod
    def _caregiver_text(c: CareTeamCaregiver) -> str:
        may = ", ".join(PERMISSION_LABELS.get(CaregiverPermission(p), p).lower() for p in c.permissions)
        details = "  ·  ".join(x for x in (c.relationship, format_phone(c.phone_e164)) if x)
        return f"{c.display_name}" + (f"  ·  {details}" if details else "") + f"  —  may: {may}"

    def _fill_doctors(self, doctors) -> None:  # noqa: ANN001
        self.doctor_choice.clear()
        for d in doctors:
            self.doctor_choice.addItem(d.display_name, d.id)
        self._update_buttons()

    def selected_caregiver(self) -> CareTeamCaregiver | None:
        item = self.caregivers.currentItem()
        cid = item.data(ID_ROLE) if item is not None else None
        return next((c for c in self.team.caregivers if c.caregiver_id == cid), None)

    def selected_doctor_id(self) -> uuid.UUID | None:
        item = self.doctors.currentItem()
        return item.data(ID_ROLE) if item is not None else None

    def _select_caregiver(self) -> None:
        carer = self.selected_caregiver()
        for permission, box in self.permission_boxes.items():
            if permission is not CaregiverPermission.VIEW:
                box.setChecked(carer is not None and permission.value in carer.permissions)
                box.setEnabled(carer is not None)
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = self.patient_id is not None
        doctor = next((d for d in self.team.doctors if d.doctor_id == self.selected_doctor_id()), None)
        self.add_doctor_button.setEnabled(idle and self.doctor_choice.count() > 0)
        self.remove_doctor_button.setEnabled(idle and doctor is not None and not doctor.responsible)
        self.remove_doctor_button.setToolTip("The responsible doctor is changed on the Record tab."
                                             if doctor is not None and doctor.responsible else "")
        has_carer = idle and self.selected_caregiver() is not None
        self.save_permissions_button.setEnabled(has_carer)
        self.remove_caregiver_button.setEnabled(has_carer)
        self.add_caregiver_button.setEnabled(idle)

    # --- changing ------------------------------------------------------------------------------

    def add_doctor(self) -> None:
        doctor_id = self.doctor_choice.currentData()
        if doctor_id is not None:
            pid = self.patient_id
            self._call(lambda: self._service.link_doctor(self._actor, pid, doctor_id), "Doctor added.")

    def remove_doctor(self) -> None:
        doctor_id, pid = self.selected_doctor_id(), self.patient_id
        if doctor_id is not None and self._confirm("Remove this doctor from the care team?"):
            self._call(lambda: self._service.unlink_doctor(self._actor, pid, doctor_id), "Doctor removed.")

    def add_caregiver(self) -> None:
        for label in self.new_errors.values():
            label.setVisible(False)
        values = {name: edit.text().strip() for name, edit in self.new_inputs.items()}
        permissions = tuple(p.value for p, box in self.new_permissions.items() if box.isChecked())
        pid = self.patient_id
        self._call(lambda: self._service.link_caregiver(
            self._actor, pid, given_name=values["given_name"], family_name=values["family_name"],
            phone=values["phone"] or None, relationship=values["relationship"] or None, permissions=permissions,
        ), "Caregiver added.", after=self._clear_new_caregiver)

    def save_permissions(self) -> None:
        carer = self.selected_caregiver()
        if carer is None:
            return
        permissions = tuple(p.value for p, box in self.permission_boxes.items() if box.isChecked())
        pid = self.patient_id
        self._call(lambda: self._service.set_caregiver_permissions(self._actor, pid, carer.caregiver_id, permissions),
                   "Permissions saved.")

    def remove_caregiver(self) -> None:
        carer, pid = self.selected_caregiver(), self.patient_id
        if carer is not None and self._confirm(f"Remove {carer.display_name} from the care team?"):
            self._call(lambda: self._service.unlink_caregiver(self._actor, pid, carer.caregiver_id),
                       "Caregiver removed.")

    def wait_idle(self) -> None:
        self._runner.wait_idle()
        self._options_runner.wait_idle()

    def _confirm(self, question: str) -> bool:
        if not self.isVisible():
            return True
        return QMessageBox.question(self, "Care team", question) == QMessageBox.StandardButton.Yes

    def _call(self, op: Callable[[], CareTeam], done_text: str, *, after: Callable[[], None] | None = None) -> None:
        self.status.setText("Saving…")
        self.setEnabled(False)

        def done(team: CareTeam) -> None:
            self.setEnabled(True)
            self.show_team(team)
            self.status.setText(done_text)
            if after is not None:
                after()
            self.changed.emit(team)

        self._runner.run(lambda state: op(), done, self._failed)

    def _clear_new_caregiver(self) -> None:
        for edit in self.new_inputs.values():
            edit.clear()
        for permission, box in self.new_permissions.items():
            box.setChecked(permission is CaregiverPermission.VIEW)

    def _failed(self, exc: BaseException) -> None:
        self.setEnabled(True)
        if isinstance(exc, ValidationError):
            for problem in exc.problems:
                if problem.field in self.new_errors:
                    self.new_errors[problem.field].setText(problem.message)
                    self.new_errors[problem.field].setVisible(True)
            self.status.setText("Please correct the highlighted fields; nothing was saved.")
        else:
            self.status.setText(exc.message if isinstance(exc, DomainError) else
                                "Something went wrong; the care team was not changed.")
