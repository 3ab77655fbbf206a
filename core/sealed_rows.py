"""New rows of several models, and the audit chain's queue entries for the sealed ones, written together.

`bulk_create` and raw SQL send no post_save signal, so rows written this way are queued for the
audit chain here (exactly what core.signals queues for a row saved one at a time), in the same
transaction as the rows themselves.

On PostgreSQL everything is **one statement**: each model's rows are a data-modifying CTE
(`WITH a AS (INSERT … VALUES …), b AS (INSERT …) …`) and the queue entries are the last INSERT.
One statement is atomic on its own, so outside a transaction it needs no BEGIN or COMMIT of its
own: the decision hot path (issue 13) writes a decision, its step records, its review case, its
audit event and their queue entries in one round trip. Foreign keys between the rows are checked
at the end of the statement, so a step record may reference the decision of a sibling CTE.

Values go through each field exactly as Django's INSERT sends them (`pre_save(add=True)`, then
`get_db_prep_save`): encryption, JSON encoding and `auto_now_add` are unchanged. Elsewhere (SQLite,
the embedded default) the same rows are written with one `bulk_create` per model in a transaction.
"""

from functools import lru_cache

from django.db import connections, transaction
from django.db.models import AutoField, BigAutoField, SmallAutoField
from django.utils import timezone

from .chain import SEALED_MODELS, partner_id_of, scope_for
from .db import psycopg_cursor
from .models import AuditPending

_AUTO = (AutoField, BigAutoField, SmallAutoField)


def insert_sealed(groups, *, using="default") -> None:
    """INSERT `groups` (a sequence of lists of new instances, one model per list, in the order
    given) and queue every sealed row for the audit chain, all or nothing.

    Instances whose primary key the database assigns get it set, as `bulk_create` does; on
    PostgreSQL such a model may have at most one new row in a call.
    """
    groups = [list(rows) for rows in groups if rows]
    if not groups:
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        with transaction.atomic(using=using):
            for rows in groups:
                type(rows[0]).objects.using(using).bulk_create(rows)
            queued = [row for rows in groups for row in rows if row._meta.label_lower in SEALED_MODELS]
            if queued:
                AuditPending.objects.using(using).bulk_create([queue_entry(row) for row in queued])
        return
    shape = tuple((type(rows[0]), len(rows), _auto_pk(rows[0])) for rows in groups)
    sql, returning_groups = _statement_sql(shape, connection.ops.quote_name)
    params = _statement_params(groups, shape, connection)
    if connection.in_atomic_block:
        # Inside a caller's transaction a failed statement (a unique key met, say) must leave that
        # transaction usable: a savepoint, as bulk_create's own atomic block would have made.
        with transaction.atomic(using=using):
            returned = _execute(connection, sql, params)
    else:  # one statement in autocommit: its own transaction, one round trip
        returned = _execute(connection, sql, params)
    for index, (pk,) in zip(returning_groups, returned):
        groups[index][0].pk = pk
    for rows in groups:
        for row in rows:
            row._state.adding = False
            row._state.db = using


def _auto_pk(row) -> bool:
    return isinstance(row._meta.pk, _AUTO) and row.pk is None


def _execute(connection, sql, params):
    """Run on a server-binding cursor with native `$n` placeholders (parameters sent apart from the
    text: no escaping of the ciphertexts into SQL literals, no parsing of the text for placeholders
    on every call; psycopg prepares the statement after a few runs, see settings), health-checked
    and wrapped as Django wraps its own cursors (core.db; debug log, execute wrappers, error
    translation)."""
    import psycopg

    with psycopg_cursor(connection, psycopg.RawCursor) as raw, connection._prepare_cursor(raw) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def queue_entry(row) -> AuditPending:
    """The audit chain's (unsaved) queue entry for a new row of a sealed model."""
    label = row._meta.label_lower
    return AuditPending(scope=scope_for(partner_id_of(row, label)), record_type=label, record_id=str(row.pk))


def _inserted_fields(model, auto_pk):
    meta = model._meta
    return [field for field in meta.concrete_fields if not (auto_pk and field is meta.pk)]


@lru_cache(maxsize=64)
def _statement_sql(shape, quote):
    """The statement's text for a shape ((model, rows, database-assigned key) per group): the same
    text for every decision of one shape, so the server can keep it prepared. Returns (sql, the
    indexes of the groups whose key the result gives, in order)."""
    ctes, selects, pending, returning = [], [], [], []
    for index, (model, count, auto_pk) in enumerate(shape):
        meta = model._meta
        fields = _inserted_fields(model, auto_pk)
        values = ",".join(["(" + ",".join(["%s"] * len(fields)) + ")"] * count)
        columns = ",".join(quote(field.column) for field in fields)
        insert = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}"
        name = f"r{index}"
        if auto_pk:
            insert += f" RETURNING {quote(meta.pk.column)}"
            returning.append(index)
            selects.append(f"SELECT {quote(meta.pk.column)} FROM {name}")
        ctes.append(f"{name} AS ({insert})")
        if meta.label_lower in SEALED_MODELS:
            for _ in range(count):
                position = len(pending)
                if auto_pk:  # its key is known only inside the statement
                    pending.append(
                        f"SELECT CAST(%s AS varchar),CAST(%s AS varchar),CAST({quote(meta.pk.column)} AS varchar),{position} FROM {name}"
                    )
                else:
                    pending.append(f"SELECT CAST(%s AS varchar),CAST(%s AS varchar),CAST(%s AS varchar),{position}")
    if pending:
        ctes.append(
            f"q AS (INSERT INTO {quote(AuditPending._meta.db_table)} (scope,record_type,record_id,created) "
            "SELECT p.s,p.t,p.i,CAST(%s AS timestamptz) FROM ("
            + " UNION ALL ".join(pending)
            + ") AS p (s,t,i,o) ORDER BY p.o)"
        )
    final = " UNION ALL ".join(selects) if selects else "SELECT 1 WHERE false"
    parts = f"WITH {','.join(ctes)} {final}".split("%s")
    numbered = parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], start=1))
    return numbered, tuple(returning)


def _statement_params(groups, shape, connection) -> list:
    """The parameters, in the statement's order; every value prepared by its field as Django's own
    INSERT prepares it (pre_save with add=True, then get_db_prep_save)."""
    params, pending = [], []
    for rows, (model, _, auto_pk) in zip(groups, shape):
        fields = _inserted_fields(model, auto_pk)
        for row in rows:
            for field in fields:
                params.append(field.get_db_prep_save(field.pre_save(row, True), connection=connection))
        label = model._meta.label_lower
        if label in SEALED_MODELS:
            for row in rows:
                pending.append(scope_for(partner_id_of(row, label)))
                pending.append(label)
                if not auto_pk:
                    pending.append(str(row.pk))
    if pending:
        created = AuditPending._meta.get_field("created")
        params.append(created.get_db_prep_save(timezone.now(), connection=connection))  # auto_now_add
        params += pending
    return params
