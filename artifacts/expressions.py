"""SQL expressions the hot reads use to fetch in one query what would otherwise take several."""

import json

from django.db import models
from django.db.models import Subquery


class _NameList(models.Field):
    """A list of strings read back from ARRAY(...) (PostgreSQL) or json_group_array(...) (SQLite)."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return []
        return json.loads(value) if isinstance(value, str) else list(value)


class SortedNames(Subquery):
    """The `name`s of a queryset's rows, sorted, as a list: an alias list fetched with the row it belongs to.

    For example `SortedNames(RegistryAlias.objects.filter(version=OuterRef("pk")))`.
    """

    def __init__(self, queryset):
        super().__init__(queryset.order_by("name").values("name"), output_field=_NameList())

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="ARRAY(%(subquery)s)", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "(SELECT json_group_array(name) FROM (%(subquery)s))"
        return self.as_sql(compiler, connection, template=template, **extra)
