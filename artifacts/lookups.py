"""`name__ci`: case-insensitive equality written as LOWER(a) = LOWER(b), so the LOWER(name) unique indexes serve it.

Django's `iexact` compiles to UPPER(...) on PostgreSQL, which no index of ours matches: at scale every
lookup of an entity or registered model by name would scan.
"""

from django.db.models import CharField, Lookup


@CharField.register_lookup
class LowerExact(Lookup):
    lookup_name = "ci"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"LOWER({lhs}) = LOWER({rhs})", [*lhs_params, *rhs_params]
