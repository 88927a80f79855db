"""Keep search rows (search.models.StatementSearch) in step with the data they copy.

A statement's row is rewritten when it is saved; its incident's title, its actor,
party or source are copied into the row too, so saving any of those rewrites the rows
that copy them. Deleting a statement deletes its row (CASCADE). Bulk writes
(`QuerySet.update`, `bulk_create`) send no signals: run `manage.py
rebuild_search_index` after them.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from incidents.models import Actor, Incident, Party, Source, Statement

from .models import StatementSearch, statements_for_indexing


@receiver(post_save, sender=Statement, dispatch_uid="search_statement_saved")
def statement_saved(sender: type, instance: Statement, raw: bool = False, **kwargs: Any) -> None:
    # Fixture loads (raw) may save a statement before its actor or incident exists;
    # they bring their own search rows, or need rebuild_search_index.
    if not raw:
        StatementSearch.index(instance)


@receiver(post_save, sender=Incident, dispatch_uid="search_incident_saved")
def incident_saved(
    sender: type, instance: Incident, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created or raw:
        return
    # One UPDATE; on SQLite the FTS triggers and on PostgreSQL the generated column
    # follow row by row.
    StatementSearch.objects.filter(statement__incident=instance).exclude(
        title=instance.title
    ).update(title=instance.title)


@receiver(post_save, sender=Actor, dispatch_uid="search_actor_saved")
def actor_saved(
    sender: type, instance: Actor, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not created and not raw:
        StatementSearch.reindex(statements_for_indexing().filter(actor=instance).iterator())


@receiver(post_save, sender=Party, dispatch_uid="search_party_saved")
def party_saved(
    sender: type, instance: Party, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not created and not raw:
        StatementSearch.reindex(statements_for_indexing().filter(party=instance).iterator())


@receiver(post_save, sender=Source, dispatch_uid="search_source_saved")
def source_saved(
    sender: type, instance: Source, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not created and not raw:
        StatementSearch.reindex(statements_for_indexing().filter(source=instance).iterator())
