"""A document (title, effective date, owning agency), its versions (the bytes, in storage, by key) and its
links to what it evidences.

A document's *kind* says whose evidence it is, and so who may read and change it (hsbtrack.documents.kinds):
an agency's (``response``: linked to that agency's responses, read by the readers of its responses), the
partnership's (``statement``: linked to statements of audits at partnership level, by the moderators) or
an action's (``action``: linked to one action, as evidence of the work or of its completion) or a
partner organisation's (``shared``: behind its shared answer, linked to its agency's response in each
linked area's audit). One
document may be linked to several statements and audits; the links of a kind all name the same owner."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

LINKED = "linked"

RESPONSE = "response"
STATEMENT = "statement"
SHARED = "shared"  # a partner organisation's, behind its shared answer in every linked area (documents.shared)
ACTION = "action"
COMPLETION = "completion"  # a link's purpose: the evidence an action was completed with


class Document(db.Model):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=RESPONSE, server_default=RESPONSE)
    title: Mapped[str] = mapped_column(String(200))
    # the date the document speaks for (a policy's date, an audit report's period), not the upload's
    effective_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # in the bin since then (restorable), None while in use
    deleted_at: Mapped[datetime | None]

    versions = relationship("DocumentVersion", back_populates="document", order_by="DocumentVersion.number",
                            cascade="all, delete-orphan")
    links = relationship("DocumentLink", back_populates="document", cascade="all, delete-orphan")

    @property
    def latest(self):
        return self.versions[-1] if self.versions else None


class DocumentVersion(db.Model):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    document = relationship("Document", back_populates="versions")


class DocumentLink(db.Model):
    """A document evidencing an agency's response to a statement (``code``) of an audit, a statement of an
    audit at partnership level (no agency), or an action (``action_id``; ``purpose`` "completion" when it
    is the evidence the action was completed with; ``audit_id`` the action's audit, if any)."""

    __tablename__ = "document_links"
    __table_args__ = (Index("ix_document_links_response", "audit_id", "agency_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    code: Mapped[str | None] = mapped_column(String(20))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default=LINKED)
    purpose: Mapped[str | None] = mapped_column(String(20))

    document = relationship("Document", back_populates="links")
