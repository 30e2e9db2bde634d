"""SQL the hot reads use to fetch in one query, and cheaply, what would otherwise take several."""

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
    """

    def __init__(self, parts: dict[str, type[models.Model]], from_where: str, extra: dict[str, str] | None = None):
        self.parts = parts
        self.extra = extra or {}
        columns = [columns_sql(model, alias) for alias, model in parts.items()]
        self.sql = f"SELECT {', '.join([*columns, *self.extra.values()])} {from_where}"
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
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
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
