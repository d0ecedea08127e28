"""Monitoring's declarative base: its own metadata, with the shared tables every service keeps."""

from shared.db import BaseModel, new_metadata
from shared.partner_keys import add_partner_keys_table
from shared.tables import add_shared_tables


class Base(BaseModel):
    __abstract__ = True
    metadata = new_metadata()


shared_tables = add_shared_tables(Base.metadata)
# Partners' API keys, copied from intake's events (shared.partner_keys).
partner_keys = add_partner_keys_table(Base.metadata)
