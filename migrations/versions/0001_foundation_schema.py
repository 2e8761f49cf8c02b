"""Foundation schema: the whole clinic domain, extensions and the updated_at trigger.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: Tables whose `updated_at` the server keeps current on every UPDATE.
TIMESTAMPED_TABLES = (
    "clinic", "caregiver", "staff_account", "doctor_profile", "patient", "appointment_series",
    "audit_event", "emergency_event", "glucose_reading", "medication", "patient_caregiver",
    "patient_doctor", "patient_review", "appointment", "medication_dose_log",
)


def upgrade() -> None:
    # pg_trgm: typo-tolerant name search; btree_gist: appointment exclusion constraints.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        """
        CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.updated_at := now();
            RETURN NEW;
        END $$
        """
    )
    op.create_table('clinic',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), server_default=sa.text("'UTC'"), nullable=False),
    sa.Column('locale', sa.String(length=16), server_default=sa.text("'en_US'"), nullable=False),
    sa.Column('hypo_threshold_mgdl', sa.Numeric(precision=5, scale=1), server_default=sa.text('54'), nullable=False),
    sa.Column('hyper_threshold_mgdl', sa.Numeric(precision=5, scale=1), server_default=sa.text('250'), nullable=False),
    sa.Column('dose_grace_minutes', sa.Integer(), server_default=sa.text('60'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic'))
    )
    op.create_table('caregiver',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('phone_e164', sa.String(length=16), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_caregiver_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caregiver'))
    )
    op.create_index(op.f('ix_caregiver_clinic_id'), 'caregiver', ['clinic_id'], unique=False)
    op.create_table('staff_account',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('admin', 'doctor', 'nurse', 'receptionist', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('failed_login_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('must_change_password', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_staff_account_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_account'))
    )
    op.create_index(op.f('ix_staff_account_clinic_id'), 'staff_account', ['clinic_id'], unique=False)
    op.create_index('uq_staff_account_username_lower', 'staff_account', [sa.literal_column('lower(username)')], unique=True)
    op.create_table('doctor_profile',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('staff_id', sa.UUID(), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('specialty', sa.String(length=120), nullable=True),
    sa.Column('license_number', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_doctor_profile_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_account.id'], name=op.f('fk_doctor_profile_staff_id_staff_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_doctor_profile')),
    sa.UniqueConstraint('staff_id', name=op.f('uq_doctor_profile_staff_id'))
    )
    op.create_index(op.f('ix_doctor_profile_clinic_id'), 'doctor_profile', ['clinic_id'], unique=False)
    op.create_table('patient',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('mrn', sa.String(length=32), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('sex', sa.Enum('female', 'male', 'other', 'unknown', name='sex', native_enum=False, create_constraint=True, length=32), server_default=sa.text("'unknown'"), nullable=False),
    sa.Column('phone_e164', sa.String(length=16), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('diabetes_type', sa.Enum('type_1', 'type_2', 'gestational', 'lada', 'mody', 'other', 'prediabetes', name='diabetes_type', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('diagnosed_on', sa.Date(), nullable=True),
    sa.Column('last_hba1c', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.Column('last_hba1c_on', sa.Date(), nullable=True),
    sa.Column('target_hba1c', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.Column('glucose_unit', sa.Enum('mg/dL', 'mmol/L', name='glucose_unit', native_enum=False, create_constraint=True, length=32), server_default=sa.text("'mg/dL'"), nullable=False),
    sa.Column('management_mode', sa.Enum('lifestyle', 'oral', 'injectable_non_insulin', 'mdi', 'pump', 'closed_loop', name='management_mode', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('responsible_doctor_id', sa.UUID(), nullable=True),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_patient_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['responsible_doctor_id'], ['doctor_profile.id'], name=op.f('fk_patient_responsible_doctor_id_doctor_profile'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient')),
    sa.UniqueConstraint('clinic_id', 'mrn', name=op.f('uq_patient_clinic_id_mrn'))
    )
    op.create_index(op.f('ix_patient_clinic_id'), 'patient', ['clinic_id'], unique=False)
    op.create_index('ix_patient_clinic_id_date_of_birth', 'patient', ['clinic_id', 'date_of_birth'], unique=False)
    op.create_index('ix_patient_clinic_id_family_name_given_name_id', 'patient', ['clinic_id', 'family_name', 'given_name', 'id'], unique=False)
    op.create_index('ix_patient_clinic_id_phone_e164', 'patient', ['clinic_id', 'phone_e164'], unique=False)
    op.create_index(op.f('ix_patient_responsible_doctor_id'), 'patient', ['responsible_doctor_id'], unique=False)
    op.create_table('appointment_series',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('patient_id', sa.UUID(), nullable=False),
    sa.Column('doctor_id', sa.UUID(), nullable=False),
    sa.Column('interval_weeks', sa.Integer(), nullable=False),
    sa.Column('occurrences', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_appointment_series_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctor_profile.id'], name=op.f('fk_appointment_series_doctor_id_doctor_profile'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_appointment_series_patient_id_patient'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_series'))
    )
    op.create_index(op.f('ix_appointment_series_clinic_id'), 'appointment_series', ['clinic_id'], unique=False)
    op.create_index(op.f('ix_appointment_series_patient_id'), 'appointment_series', ['patient_id'], unique=False)
    op.create_table('audit_event',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_id', sa.UUID(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.UUID(), nullable=True),
    sa.Column('patient_id', sa.UUID(), nullable=True),
    sa.Column('changes', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('workstation', sa.String(length=200), nullable=True),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_account.id'], name=op.f('fk_audit_event_actor_id_staff_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_audit_event_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_audit_event_patient_id_patient'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    op.create_index('ix_audit_event_actor_id_occurred_at', 'audit_event', ['actor_id', sa.literal_column('occurred_at DESC')], unique=False)
    op.create_index(op.f('ix_audit_event_clinic_id'), 'audit_event', ['clinic_id'], unique=False)
    op.create_index('ix_audit_event_occurred_at', 'audit_event', [sa.literal_column('occurred_at DESC')], unique=False)
    op.create_index('ix_audit_event_patient_id_occurred_at', 'audit_event', ['patient_id', sa.literal_column('occurred_at DESC')], unique=False)
    op.create_table('emergency_event',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('patient_id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.Enum('hypo', 'hyper', name='emergency_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('state', sa.Enum('active', 'escalated', 'resolved', name='emergency_state', native_enum=False, create_constraint=True, length=32), server_default=sa.text("'active'"), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('extreme_mgdl', sa.REAL(), nullable=False),
    sa.Column('resolved_by', sa.UUID(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_emergency_event_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_emergency_event_patient_id_patient'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resolved_by'], ['staff_account.id'], name=op.f('fk_emergency_event_resolved_by_staff_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_event'))
    )
    op.create_index(op.f('ix_emergency_event_clinic_id'), 'emergency_event', ['clinic_id'], unique=False)
    op.create_index('ix_emergency_event_clinic_id_state', 'emergency_event', ['clinic_id', 'state'], unique=False)
    op.create_index('ix_emergency_event_patient_id_started_at', 'emergency_event', ['patient_id', sa.literal_column('started_at DESC')], unique=False)
    op.create_table('glucose_reading',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('patient_id', sa.UUID(), nullable=False),
    sa.Column('value_mgdl', sa.REAL(), nullable=False),
    sa.Column('source', sa.Enum('manual', 'dexcom', 'libre', 'csv', 'demo', name='reading_source', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('context', sa.Enum('fasting', 'before_breakfast', 'after_breakfast', 'before_lunch', 'after_lunch', 'before_dinner', 'after_dinner', 'bedtime', 'random', 'cgm', name='reading_context', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('flag', sa.Enum('none', 'low', 'high', name='reading_flag', native_enum=False, create_constraint=True, length=32), server_default=sa.text("'none'"), nullable=False),
    sa.Column('device_serial', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_glucose_reading_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_glucose_reading_patient_id_patient'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', 'recorded_at', name=op.f('pk_glucose_reading')),
    sa.UniqueConstraint('patient_id', 'source', 'recorded_at', name=op.f('uq_glucose_reading_patient_id_source_recorded_at'))
    )
    op.create_index('ix_glucose_reading_patient_id_recorded_at', 'glucose_reading', ['patient_id', sa.literal_column('recorded_at DESC')], unique=False)
    op.create_table('medication',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('patient_id', sa.UUID(), nullable=False),
    sa.Column('drug_name', sa.String(length=200), nullable=False),
    sa.Column('strength', sa.String(length=64), nullable=True),
    sa.Column('dose', sa.String(length=64), nullable=True),
    sa.Column('form', sa.String(length=64), nullable=True),
    sa.Column('route', sa.String(length=64), nullable=True),
    sa.Column('frequency', sa.String(length=32), nullable=False),
    sa.Column('every_n_hours', sa.Integer(), nullable=True),
    sa.Column('scheduled_times', postgresql.ARRAY(sa.Time()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('prescriber_id', sa.UUID(), nullable=True),
    sa.Column('instructions', sa.Text(), nullable=True),
    sa.Column('state', sa.Enum('active', 'paused', 'discontinued', name='medication_state', native_enum=False, create_constraint=True, length=32), server_default=sa.text("'active'"), nullable=False),
    sa.Column('discontinued_reason', sa.String(length=200), nullable=True),
    sa.Column('replaces_id', sa.UUID(), nullable=True),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_medication_end_not_before_start')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_medication_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_medication_patient_id_patient'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['prescriber_id'], ['doctor_profile.id'], name=op.f('fk_medication_prescriber_id_doctor_profile'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['replaces_id'], ['medication.id'], name=op.f('fk_medication_replaces_id_medication'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medication'))
    )
    op.create_index(op.f('ix_medication_clinic_id'), 'medication', ['clinic_id'], unique=False)
    op.create_index('ix_medication_clinic_id_drug_name', 'medication', ['clinic_id', 'drug_name'], unique=False)
    op.create_index('ix_medication_patient_id_state', 'medication', ['patient_id', 'state'], unique=False)
    op.create_table('patient_caregiver',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('patient_id', sa.UUID(), nullable=False),
    sa.Column('caregiver_id', sa.UUID(), nullable=False),
    sa.Column('relationship', sa.String(length=64), nullable=True),
    sa.Column('permissions', postgresql.ARRAY(sa.String(length=32)), server_default=sa.text("'{view}'"), nullable=False),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['caregiver_id'], ['caregiver.id'], name=op.f('fk_patient_caregiver_caregiver_id_caregiver'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_patient_caregiver_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_caregiver_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_caregiver')),
    sa.UniqueConstraint('patient_id', 'caregiver_id', name=op.f('uq_patient_caregiver_patient_id_caregiver_id'))
    )
    op.create_index(op.f('ix_patient_caregiver_caregiver_id'), 'patient_caregiver', ['caregiver_id'], unique=False)
    op.create_index(op.f('ix_patient_caregiver_clinic_id'), 'patient_caregiver', ['clinic_id'], unique=False)
    op.create_table('patient_doctor',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('patient_id', sa.UUID(), nullable=False),
    sa.Column('doctor_id', sa.UUID(), nullable=False),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_patient_doctor_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctor_profile.id'], name=op.f('fk_patient_doctor_doctor_id_doctor_profile'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_doctor_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_doctor')),
    sa.UniqueConstraint('patient_id', 'doctor_id', name=op.f('uq_patient_doctor_patient_id_doctor_id'))
    )
    op.create_index(op.f('ix_patient_doctor_clinic_id'), 'patient_doctor', ['clinic_id'], unique=False)
    op.create_index(op.f('ix_patient_doctor_doctor_id'), 'patient_doctor', ['doctor_id'], unique=False)
    op.create_table('patient_review',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('patient_id', sa.UUID(), nullable=False),
    sa.Column('reviewed_by', sa.UUID(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_patient_review_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_review_patient_id_patient'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reviewed_by'], ['staff_account.id'], name=op.f('fk_patient_review_reviewed_by_staff_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_review'))
    )
    op.create_index(op.f('ix_patient_review_clinic_id'), 'patient_review', ['clinic_id'], unique=False)
    op.create_index('ix_patient_review_patient_id_reviewed_at', 'patient_review', ['patient_id', sa.literal_column('reviewed_at DESC')], unique=False)
    op.create_table('appointment',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('patient_id', sa.UUID(), nullable=False),
    sa.Column('doctor_id', sa.UUID(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Enum('routine', 'follow_up', 'test_results', 'emergency', name='appointment_reason', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('requested', 'confirmed', 'checked_in', 'completed', 'cancelled', 'no_show', name='appointment_status', native_enum=False, create_constraint=True, length=32), server_default=sa.text("'requested'"), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('checklist', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.Column('series_id', sa.UUID(), nullable=True),
    sa.Column('request_id', sa.UUID(), nullable=True),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_appointment_ends_after_start')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_appointment_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctor_profile.id'], name=op.f('fk_appointment_doctor_id_doctor_profile'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_appointment_patient_id_patient'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['series_id'], ['appointment_series.id'], name=op.f('fk_appointment_series_id_appointment_series'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment')),
    sa.UniqueConstraint('request_id', name=op.f('uq_appointment_request_id'))
    )
    op.create_index(op.f('ix_appointment_clinic_id'), 'appointment', ['clinic_id'], unique=False)
    op.create_index('ix_appointment_clinic_id_starts_at', 'appointment', ['clinic_id', 'starts_at'], unique=False)
    op.create_index('ix_appointment_doctor_id_starts_at', 'appointment', ['doctor_id', 'starts_at'], unique=False)
    op.create_index('ix_appointment_patient_id_starts_at', 'appointment', ['patient_id', 'starts_at'], unique=False)
    op.create_index(op.f('ix_appointment_series_id'), 'appointment', ['series_id'], unique=False)
    op.create_table('medication_dose_log',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('medication_id', sa.UUID(), nullable=False),
    sa.Column('patient_id', sa.UUID(), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'taken', 'taken_late', 'missed', 'skipped', name='dose_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('recorded_by', sa.UUID(), nullable=True),
    sa.Column('clinic_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_medication_dose_log_clinic_id_clinic'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['medication_id'], ['medication.id'], name=op.f('fk_medication_dose_log_medication_id_medication'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_medication_dose_log_patient_id_patient'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by'], ['staff_account.id'], name=op.f('fk_medication_dose_log_recorded_by_staff_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medication_dose_log')),
    sa.UniqueConstraint('medication_id', 'scheduled_at', name=op.f('uq_medication_dose_log_medication_id_scheduled_at'))
    )
    op.create_index(op.f('ix_medication_dose_log_clinic_id'), 'medication_dose_log', ['clinic_id'], unique=False)
    op.create_index('ix_medication_dose_log_patient_id_scheduled_at', 'medication_dose_log', ['patient_id', 'scheduled_at'], unique=False)
    for table in TIMESTAMPED_TABLES:
        op.execute(
            f"CREATE TRIGGER trg_{table}_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
        )


def downgrade() -> None:
    op.drop_index('ix_medication_dose_log_patient_id_scheduled_at', table_name='medication_dose_log')
    op.drop_index(op.f('ix_medication_dose_log_clinic_id'), table_name='medication_dose_log')
    op.drop_table('medication_dose_log')
    op.drop_index(op.f('ix_appointment_series_id'), table_name='appointment')
    op.drop_index('ix_appointment_patient_id_starts_at', table_name='appointment')
    op.drop_index('ix_appointment_doctor_id_starts_at', table_name='appointment')
    op.drop_index('ix_appointment_clinic_id_starts_at', table_name='appointment')
    op.drop_index(op.f('ix_appointment_clinic_id'), table_name='appointment')
    op.drop_table('appointment')
    op.drop_index('ix_patient_review_patient_id_reviewed_at', table_name='patient_review')
    op.drop_index(op.f('ix_patient_review_clinic_id'), table_name='patient_review')
    op.drop_table('patient_review')
    op.drop_index(op.f('ix_patient_doctor_doctor_id'), table_name='patient_doctor')
    op.drop_index(op.f('ix_patient_doctor_clinic_id'), table_name='patient_doctor')
    op.drop_table('patient_doctor')
    op.drop_index(op.f('ix_patient_caregiver_clinic_id'), table_name='patient_caregiver')
    op.drop_index(op.f('ix_patient_caregiver_caregiver_id'), table_name='patient_caregiver')
    op.drop_table('patient_caregiver')
    op.drop_index('ix_medication_patient_id_state', table_name='medication')
    op.drop_index('ix_medication_clinic_id_drug_name', table_name='medication')
    op.drop_index(op.f('ix_medication_clinic_id'), table_name='medication')
    op.drop_table('medication')
    op.drop_index('ix_glucose_reading_patient_id_recorded_at', table_name='glucose_reading')
    op.drop_table('glucose_reading')
    op.drop_index('ix_emergency_event_patient_id_started_at', table_name='emergency_event')
    op.drop_index('ix_emergency_event_clinic_id_state', table_name='emergency_event')
    op.drop_index(op.f('ix_emergency_event_clinic_id'), table_name='emergency_event')
    op.drop_table('emergency_event')
    op.drop_index('ix_audit_event_patient_id_occurred_at', table_name='audit_event')
    op.drop_index('ix_audit_event_occurred_at', table_name='audit_event')
    op.drop_index(op.f('ix_audit_event_clinic_id'), table_name='audit_event')
    op.drop_index('ix_audit_event_actor_id_occurred_at', table_name='audit_event')
    op.drop_table('audit_event')
    op.drop_index(op.f('ix_appointment_series_patient_id'), table_name='appointment_series')
    op.drop_index(op.f('ix_appointment_series_clinic_id'), table_name='appointment_series')
    op.drop_table('appointment_series')
    op.drop_index(op.f('ix_patient_responsible_doctor_id'), table_name='patient')
    op.drop_index('ix_patient_clinic_id_phone_e164', table_name='patient')
    op.drop_index('ix_patient_clinic_id_family_name_given_name_id', table_name='patient')
    op.drop_index('ix_patient_clinic_id_date_of_birth', table_name='patient')
    op.drop_index(op.f('ix_patient_clinic_id'), table_name='patient')
    op.drop_table('patient')
    op.drop_index(op.f('ix_doctor_profile_clinic_id'), table_name='doctor_profile')
    op.drop_table('doctor_profile')
    op.drop_index('uq_staff_account_username_lower', table_name='staff_account')
    op.drop_index(op.f('ix_staff_account_clinic_id'), table_name='staff_account')
    op.drop_table('staff_account')
    op.drop_index(op.f('ix_caregiver_clinic_id'), table_name='caregiver')
    op.drop_table('caregiver')
    op.drop_table('clinic')
    op.execute("DROP FUNCTION IF EXISTS set_updated_at()")
    # Extensions stay: other databases' objects or later installs may use them.
