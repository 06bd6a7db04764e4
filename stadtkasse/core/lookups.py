"""The ``any_of`` lookup: ``field__any_of=values`` matches rows whose field is one of them.

It means the same as ``__in`` and is meant for long lists, such as the thousands of
Kassenzeichen of one batch of a bank statement. ``__in`` sends one parameter per value:
Django prepares each value on its own, and psycopg converts the placeholders of every
statement with more than 50 parameters anew, without its cache. On PostgreSQL ``any_of``
sends the values as one array, ``field = ANY(%s)``. Other databases get ``IN``.
"""

from django.db.models import Field, Lookup
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    # The values go to the database as one list, which as_postgresql converts through the
    # field, so Django does not prepare them one by one.
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        return In(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection, prepared=False) for value in self.rhs]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
