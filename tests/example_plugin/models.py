from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hsbtrack.extensions import db


class ExampleNote(db.Model):
    """Plugin tables are prefixed with the plugin's name."""

    __tablename__ = "example_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(200))
