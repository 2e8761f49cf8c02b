"""Patients, doctors, caregivers and the care-team links between them."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ...domain.enums import DiabetesType, GlucoseUnit, ManagementMode, Sex
from ..base import Base, ClinicOwnedMixin, SoftDeleteMixin, TimestampMixin, VersionedMixin, uuid_pk
from ._types import enum_type


class DoctorProfile(ClinicOwnedMixin, TimestampMixin, VersionedMixin, Base):
    """Clinical details of a staff account with the doctor role."""

    __tablename__ = "doctor_profile"

    id: Mapped[uuid.UUID] = uuid_pk()
    staff_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("staff_account.id", ondelete="RESTRICT"), nullable=False, unique=True
    )
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    specialty: Mapped[str | None] = mapped_column(String(120))
    license_number: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))


class Patient(ClinicOwnedMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """A patient of the clinic. Clinical fields are hidden from receptionists by the services."""

    __tablename__ = "patient"
    __table_args__ = (
        UniqueConstraint("clinic_id", "mrn"),
        Index("ix_patient_clinic_id_family_name_given_name_id", "clinic_id", "family_name", "given_name", "id"),
        Index("ix_patient_clinic_id_date_of_birth", "clinic_id", "date_of_birth"),
        Index("ix_patient_clinic_id_phone_e164", "clinic_id", "phone_e164"),
        # Registry search (revision 0003): typo-tolerant names, MRN prefix, phone digits, keyset sorts.
        Index("ix_patient_search_name_trgm", "search_name", postgresql_using="gin",
              postgresql_ops={"search_name": "gin_trgm_ops"}),
        Index("ix_patient_phone_digits_trgm", "phone_digits", postgresql_using="gin",
              postgresql_ops={"phone_digits": "gin_trgm_ops"}),
        Index("ix_patient_clinic_id_search_name_id", "clinic_id", "search_name", "id"),
        Index("ix_patient_clinic_id_mrn_pattern", "clinic_id", "mrn", postgresql_ops={"mrn": "text_pattern_ops"}),
        Index("ix_patient_clinic_id_date_of_birth_id", "clinic_id", "date_of_birth", "id"),
        Index("ix_patient_clinic_id_last_visit_on_id", "clinic_id", "last_visit_on", "id"),
        # Revision 0008: patients by given name alone (a typed given name, typo-corrected).
        Index("ix_patient_clinic_id_given_key_search_name", "clinic_id", "given_key", "search_name"),
        CheckConstraint("last_hba1c IS NULL OR last_hba1c BETWEEN 3 AND 20", name="last_hba1c_range"),
        CheckConstraint("target_hba1c IS NULL OR target_hba1c BETWEEN 3 AND 20", name="target_hba1c_range"),
        CheckConstraint("diagnosed_on IS NULL OR diagnosed_on >= date_of_birth", name="diagnosed_after_birth"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    mrn: Mapped[str] = mapped_column(String(32), nullable=False)
    given_name: Mapped[str] = mapped_column(String(100), nullable=False)
    family_name: Mapped[str] = mapped_column(String(100), nullable=False)
    date_of_birth: Mapped[date] = mapped_column(Date, nullable=False)
    sex: Mapped[Sex] = mapped_column(enum_type(Sex, "sex"), nullable=False, server_default=text("'unknown'"))
    phone_e164: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(Text)
    diabetes_type: Mapped[DiabetesType | None] = mapped_column(enum_type(DiabetesType, "diabetes_type"))
    diagnosed_on: Mapped[date | None] = mapped_column(Date)
    last_hba1c: Mapped[float | None] = mapped_column(Numeric(4, 1))
    last_hba1c_on: Mapped[date | None] = mapped_column(Date)
    target_hba1c: Mapped[float | None] = mapped_column(Numeric(4, 1))
    glucose_unit: Mapped[GlucoseUnit] = mapped_column(
        enum_type(GlucoseUnit, "glucose_unit"), nullable=False, server_default=text("'mg/dL'")
    )
    management_mode: Mapped[ManagementMode | None] = mapped_column(enum_type(ManagementMode, "management_mode"))
    notes: Mapped[str | None] = mapped_column(Text)
    responsible_doctor_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("doctor_profile.id", ondelete="SET NULL"), index=True
    )
    # Lower-cased, accent-free "family given" (an IMMUTABLE unaccent wrapper makes it indexable);
    # collation "C" so one btree serves both prefix LIKE and the keyset sort by name.
    search_name: Mapped[str] = mapped_column(
        String(201, collation="C"),
        Computed("lower(f_unaccent((family_name || ' ') || given_name))", persisted=True),
        nullable=False,
    )
    # The given name normalised like `search_name` (which is "family_key given_key").
    given_key: Mapped[str] = mapped_column(
        String(100, collation="C"), Computed("lower(f_unaccent(given_name))", persisted=True), nullable=False
    )
    # The phone's digits only, so "0151 23-45" and "+49 151 2345" meet in a trigram search.
    phone_digits: Mapped[str | None] = mapped_column(
        String(16, collation="C"), Computed("regexp_replace(phone_e164, '[^0-9]', '', 'g')", persisted=True)
    )
    # Date of the last completed visit, kept by a trigger on appointments (sortable at 1M patients).
    last_visit_on: Mapped[date | None] = mapped_column(Date)


class PatientNameKey(Base):
    """A distinct normalised family or given name of the clinic's patients (revision 0008).

    Filled by triggers on patient and never pruned: typos are corrected against these few
    thousand keys, then patients are read by exact key (see services/patient_name_match.py).
    """

    __tablename__ = "patient_name_key"
    __table_args__ = (
        CheckConstraint("part IN ('family', 'given')", name="part"),
        # New names are rare: without the fast-update pending list every search sees a clean index.
        Index("ix_patient_name_key_key_trgm", "key", postgresql_using="gin", postgresql_ops={"key": "gin_trgm_ops"},
              postgresql_with={"fastupdate": "off"}),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clinic.id", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[str] = mapped_column(String(6), primary_key=True)
    key: Mapped[str] = mapped_column(String(100, collation="C"), primary_key=True)


class PatientDoctor(ClinicOwnedMixin, TimestampMixin, Base):
    """A doctor in a patient's care team."""

    __tablename__ = "patient_doctor"
    __table_args__ = (UniqueConstraint("patient_id", "doctor_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("patient.id", ondelete="CASCADE"), nullable=False
    )
    doctor_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("doctor_profile.id", ondelete="RESTRICT"), nullable=False, index=True
    )


class Caregiver(ClinicOwnedMixin, TimestampMixin, VersionedMixin, Base):
    """A relative or carer who helps a patient (may record doses or readings if permitted)."""

    __tablename__ = "caregiver"

    id: Mapped[uuid.UUID] = uuid_pk()
    given_name: Mapped[str] = mapped_column(String(100), nullable=False)
    family_name: Mapped[str] = mapped_column(String(100), nullable=False)
    phone_e164: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))


class PatientCaregiver(ClinicOwnedMixin, TimestampMixin, Base):
    """Link of a caregiver to a patient with what the caregiver may do."""

    __tablename__ = "patient_caregiver"
    __table_args__ = (UniqueConstraint("patient_id", "caregiver_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("patient.id", ondelete="CASCADE"), nullable=False
    )
    caregiver_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("caregiver.id", ondelete="CASCADE"), nullable=False, index=True
    )
    relationship: Mapped[str | None] = mapped_column(String(64))
    permissions: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), nullable=False, server_default=text("'{view}'")
    )
