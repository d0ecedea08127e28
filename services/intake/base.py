"""Intake's declarative base: its own metadata, with the shared tables every service keeps."""

from shared.db import BaseModel, new_metadata
from shared.tables import add_shared_tables


class Base(BaseModel):
    __abstract__ = True
    metadata = new_metadata()


shared_tables = add_shared_tables(Base.metadata)
