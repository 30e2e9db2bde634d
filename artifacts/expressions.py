"""SQL the hot reads use to fetch in one query, and cheaply, what would otherwise take several."""

import functools
import json

from django.db import connection, models
from django.db.models import Subquery


def columns_sql(model: type[models.Model], table: str = "") -> str:
    """Every column of the model, named: a prepared statement of `*` fails once a migration changes the table."""
    prefix = f"{table}." if table else ""
    return ", ".join(f'{prefix}"{f.column}"' for f in model._meta.concrete_fields)


def sorted_names_sql(subquery: str, vendor: str, column: str = "name") -> str:
    """SQL of the list of values a one-column subquery returns (in its order): ARRAY on PostgreSQL, JSON on
    SQLite, where the column is named `column`."""
    if vendor == "postgresql":
        return f"ARRAY({subquery})"
    return f"(SELECT json_group_array({column}) FROM ({subquery}))"


def names_from_db(value) -> list[str]:
    """The list, sorted here: the database sorts by its collation, and every other list the API shows is
    sorted by Python (code point order); one order everywhere."""
    if value is None:
        return []
    return sorted(json.loads(value) if isinstance(value, str) else value)


def index_in_range(index: int) -> bool:
    """Whether a version index fits the column: SQLite refuses a larger Python int outright (a 500), where
    the ORM reads such a lookup as matching nothing."""
    low, high = connection.ops.integer_field_range("PositiveIntegerField")
    return (low is None or index >= low) and (high is None or index <= high)


class _NameList(models.Field):
    def from_db_value(self, value, expression, connection):
        return names_from_db(value)


class SortedNames(Subquery):
    """The `name`s (or another text column) of a queryset's rows, sorted, as a list: an alias list fetched with
    the row it belongs to. For example `SortedNames(RegistryAlias.objects.filter(version=OuterRef("pk")))`.
    """

    def __init__(self, queryset, column: str = "name"):
        self.column = column
        super().__init__(queryset.order_by(column).values(column), output_field=_NameList())

    def as_sql(self, compiler, connection, **extra):
        extra.setdefault("template", sorted_names_sql("%(subquery)s", connection.vendor, self.column))
        return super().as_sql(compiler, connection, **extra)


class JoinedRows:
    """Whole rows of several models joined in one SELECT written by hand, built as model instances.

    For the few lookups every API request makes: compiling the ORM's select_related of eight tables costs
    more here than running the query (docs/bench.md). `parts` maps each table alias of `from_where` to its
    model; every concrete field of each is selected, so the instances are as complete as the ORM's, and
    the database's values pass through the same converters. `extra` adds named columns after them.

    `returning` instead gives a whole statement of one model's table that ends in `RETURNING {columns}`
    (an UPDATE that locks and reads a row in one round trip); `parts` then names that one model.
    """

    def __init__(
        self,
        parts: dict[str, type[models.Model]],
        from_where: str = "",
        extra: dict[str, str] | None = None,
        *,
        returning: str = "",
    ):
        self.parts = parts
        self.extra = extra or {}
        # RETURNING names the columns of its one table unqualified: SQLite refuses a table alias there.
        tables = {alias: "" if returning else alias for alias in parts}
        columns = ", ".join(
            [*(columns_sql(model, tables[alias]) for alias, model in parts.items()), *self.extra.values()]
        )
        self.sql = returning.format(columns=columns) if returning else f"SELECT {columns} {from_where}"
        self._pk_positions = [model._meta.concrete_fields.index(model._meta.pk) for model in parts.values()]
        self._converters = None

    def _field_converters(self):
        if self._converters is None:
            self._converters = [
                [
                    (col, [*connection.ops.get_db_converters(col), *f.get_db_converters(connection)])
                    for f in model._meta.concrete_fields
                    for col in [f.get_col(alias)]
                ]
                for alias, model in self.parts.items()
            ]
        return self._converters

    def first(self, params: list) -> tuple[dict[str, models.Model | None], dict] | None:
        """(instances by alias, None where a LEFT JOIN found nothing; extra values by name) of the first row."""
        row = fetch_one(self.sql, params)
        return None if row is None else self._build(row)

    def all(self, params: list) -> list[tuple[dict[str, models.Model | None], dict]]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        return [self._build(row) for row in rows]

    def _build(self, row) -> tuple[dict[str, models.Model | None], dict]:
        values = iter(row)
        instances = {}
        parts = zip(self.parts.items(), self._field_converters(), self._pk_positions, strict=True)
        for (alias, model), fields, pk_position in parts:
            converted = []
            for col, converters in fields:
                value = next(values)
                for convert in converters:
                    value = convert(value, col, connection)
                converted.append(value)
            missing = converted[pk_position] is None  # a LEFT JOIN that found no row
            instances[alias] = None if missing else model.from_db(connection.alias, None, converted)
        return instances, dict(zip(self.extra, values, strict=True))


@functools.cache
def _insert_statement(model: type[models.Model]) -> tuple[str, list[models.Field]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(model._meta.pk.column)}"
    )
    return sql, fields


def insert(instance: models.Model) -> models.Model:
    """Write a new instance (of a model with an automatic primary key) by a statement made once per model.

    What `Model.objects.create` writes, by Django's own `pre_save` (auto_now_add) and preparation of each
    field, without compiling the INSERT again on every call, which cost as much as the round trip on the
    paths every link and alias move takes (docs/bench.md). No model signals are sent; none is used here.
    """
    sql, fields = _insert_statement(type(instance))
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    instance.pk = fetch_one(sql, params)[0]
    return stored(instance)


def stored(instance: models.Model) -> models.Model:
    """Mark an instance built in Python as the row a hand-written statement just wrote."""
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def execute(sql: str, params: list) -> int:
    """Run one hand-written write; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch_one(sql: str, params: list) -> tuple | None:
    """Run one hand-written statement; its first row, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
