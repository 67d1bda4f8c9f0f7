"""Tables of the test-only sample service: a counter per key (the consumer's effect) and a
widget per key (the writer's state change)."""

from sqlalchemy import BigInteger, Column, MetaData, Table, Text

from servicekit.messaging_tables import define_messaging_tables

metadata = MetaData()
outbox, inbox = define_messaging_tables(metadata)
widgets = Table(
    "widgets",
    metadata,
    Column("key", Text, primary_key=True),
    Column("version", BigInteger, nullable=False),
)
counters = Table(
    "counters",
    metadata,
    Column("key", Text, primary_key=True),
    Column("applied", BigInteger, nullable=False),
    Column("last_version", BigInteger, nullable=False),
)
