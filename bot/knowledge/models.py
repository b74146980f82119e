"""Tables of the knowledge feature: votes on answers and questions the bot could not answer.

Neither table holds a user id: a vote is tied to an entry only, and an unanswered question is kept
as scrubbed text (long digit runs that may be phone or ID numbers removed) with a counter, so
``python -m bot kb gaps`` can show staff what to add without keeping anything about the asker.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime


class AnswerFeedback(Base):
    __tablename__ = "kb_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(64), index=True)
    vote: Mapped[int] = mapped_column(SmallInteger)  # +1 helpful, -1 not helpful
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class UnansweredQuestion(Base):
    __tablename__ = "kb_unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: the normalised question (what the matcher saw), so rephrasings that normalise alike add up
    key: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(16))  # fallback | suggest
    top_entry_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=1, index=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class QuestionRef(Base):
    """A scrubbed question under a short hash of its normalised form, so a button can name the
    question it was shown for (``kb:a:<entry>:<ref>``) without carrying text or a user id."""

    __tablename__ = "kb_question_refs"

    ref: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PhrasingCandidate(Base):
    """A way of asking that turned out to mean an entry (a suggestion pressed, or a rephrase after 👎),
    counted per normalised text and entry for ``python -m bot kb learn``. No user id."""

    __tablename__ = "kb_candidates"
    __table_args__ = (UniqueConstraint("key", "entry_id", name="uq_kb_candidates_key_entry"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    entry_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(300))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuestionDay(Base):
    """How many questions of one local day (Asia/Shanghai) ended in each outcome: answer, suggest or
    fallback. A counter per day and outcome, nothing about the question or the asker, so the staff
    console can chart the trend over 100,000 questions by reading thirty rows."""

    __tablename__ = "kb_question_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
