from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow


class PluginState(db.Model):
    """Whether a plugin is on for one area or for a whole region, with its settings.

    A region's row governs every member area (the regional board decides); otherwise the area's own
    row does; without a row the plugin is off.
    """

    __tablename__ = "plugin_states"
    __table_args__ = (
        UniqueConstraint("plugin", "area_id"),
        UniqueConstraint("plugin", "region_id"),
        CheckConstraint("(area_id IS NULL) <> (region_id IS NULL)", name="area_xor_region"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(100))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
