"""SQLAlchemy 2 models of the register. The schema is created and upgraded only by the Alembic
migrations in `addin/registro/migrazioni` (never `metadata.create_all`): a test checks that the
migrated schema and these models agree."""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class AttoDB(Base):
    """One act of the Comune. Append-only: rows are inserted, never updated or deleted.

    A chain is (programma, anno); `posizione` counts from 1 inside it. Acts of a programme that belong
    to no year (the officers assigned to it: Referenti) use anno = 0; acts of the whole register use
    programma = 0."""

    __tablename__ = "atti"
    __table_args__ = (Index("ix_atti_tipo", "programma", "anno", "tipo"),)

    programma: Mapped[int] = mapped_column(Integer, primary_key=True)
    anno: Mapped[int] = mapped_column(Integer, primary_key=True)
    posizione: Mapped[int] = mapped_column(Integer, primary_key=True)
    tipo: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(String(10))              # the act's date, ISO (AAAA-MM-GG)
    registrato_il: Mapped[str] = mapped_column(String(32))     # when it was written, ISO UTC
    autore: Mapped[str] = mapped_column(String(200))           # the officer (or user) who made it
    riferimento: Mapped[int | None] = mapped_column(Integer, nullable=True)  # earlier act corrected
    dati: Mapped[str] = mapped_column(Text)                    # canonical JSON payload (catena.dati_canonici)
    hash_precedente: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class CatenaDB(Base):
    """The head of each chain (added by migration 0002): its length and last hash. It detects the
    removal of the last acts of a chain, and is the row writers lock (SELECT ... FOR UPDATE)."""

    __tablename__ = "catene"

    programma: Mapped[int] = mapped_column(Integer, primary_key=True)
    anno: Mapped[int] = mapped_column(Integer, primary_key=True)
    lunghezza: Mapped[int] = mapped_column(Integer)
    ultimo_hash: Mapped[str] = mapped_column(String(64))
