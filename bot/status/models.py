"""Tables of the status feature: applications and their history, units, HR contacts, bindings,
invite codes and bind attempts (for rate limiting).

Personal data is kept to the minimum the office needs: the applicant's name (shown masked) and the
last four ID characters only as a salted hash, so a database leak does not reveal them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime


class Unit(Base):
    """An employer (用人单位) as named in the office's spreadsheets."""

    __tablename__ = "status_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Application(Base):
    """One application (申报) identified by the platform's 申报编号."""

    __tablename__ = "status_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    level: Mapped[str] = mapped_column(String(32), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("status_units.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(String(50))
    id_tail_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32), index=True)
    state_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: resubmission due date while 退回补正 (from the staff's note or the import's 补正截止 column)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class StatusHistory(Base):
    """One state an application was in: when, set by whom (user id or 'import'), and a staff note."""

    __tablename__ = "status_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("status_applications.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    reason_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HrContact(Base):
    """A chat user who is the title-work contact (职称工作负责人) of a unit."""

    __tablename__ = "status_hr_contacts"
    __table_args__ = (UniqueConstraint("user_id", "unit_id", name="uq_status_hr_contacts_user_unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("status_units.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Binding(Base):
    """A chat user linked to an application after verifying the ID tail."""

    __tablename__ = "status_bindings"
    __table_args__ = (UniqueConstraint("user_id", "application_id", name="uq_status_bindings_user_app"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("status_applications.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InviteCode(Base):
    """A one-time code that makes a chat user the HR contact of a unit; only its hash is stored."""

    __tablename__ = "status_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("status_units.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_by_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class BindAttempt(Base):
    """A failed verification attempt (bind or HR invite) for the lock: who tried (``chat_key``: the
    hashed source, see ``bot.status.service.attempt_source``) and the hashed target. Rows older than
    the longest lock window are deleted when the next attempt is recorded."""

    __tablename__ = "status_bind_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))  # bind | hr
    chat_key: Mapped[str] = mapped_column(String(90), index=True)
    target_hash: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
