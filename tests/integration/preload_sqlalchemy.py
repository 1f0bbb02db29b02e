"""SQLAlchemy ORM sessions over MySQLdb (autocommit off, as DB-API opens
connections) with libwescale preloaded: read-mostly work. Run by
preload-sqlalchemy.sh, which counts the SELECTs each server ran.

Every session's transaction starts on a replica (optimistic_transactions);
the sessions that change a row move to the primary at their flush, with their
reads verified. Asserts that no read is stale (a session that committed a
change reads it back in the next one) and that every acknowledged change is on
the primary.
"""
import os

import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class Item(Base):
    __tablename__ = 'sa_item'
    id = sa.Column(sa.Integer, primary_key=True)
    v = sa.Column(sa.Integer, nullable=False)
    name = sa.Column(sa.String(50), nullable=False)


url = 'mysql+mysqldb://%s:%s@127.0.0.1:%s/%s?charset=utf8mb4' % (
    os.environ['WS_TEST_USER'], os.environ['WS_TEST_PASSWORD'], os.environ['WS_TEST_PRIMARY_PORT'],
    os.environ['WS_TEST_DB'])
engine = sa.create_engine(url)
Base.metadata.drop_all(engine)
Base.metadata.create_all(engine)
N = 20
with Session(engine) as s:
    s.add_all([Item(id=i + 1, v=0, name='item %d' % i) for i in range(N)])
    s.commit()

expect = {i + 1: 0 for i in range(N)}
stale = writes = reads = 0
for n in range(int(os.environ.get('SA_ROUNDS', '300'))):
    k = n * 7 % N + 1
    with Session(engine) as s:
        item = s.get(Item, k)
        reads += 1
        if item.v != expect[k]:
            stale += 1
        if n % 20 == 3:
            item.v += 1
            s.commit()  # flush: the UPDATE moves the transaction to the primary
            expect[k] += 1
            writes += 1
            # The next session reads it back (session consistency).
            with Session(engine) as s2:
                reads += 1
                if s2.get(Item, k).v != expect[k]:
                    stale += 1
        else:
            s.query(Item).filter(Item.v >= 0).count()
            reads += 1
with Session(engine) as s:
    # FOR UPDATE: the primary, for the final check.
    got = {i.id: i.v for i in s.query(Item).with_for_update().all()}
    s.rollback()
lost = sum(1 for k in expect if got.get(k) != expect[k])
print('sqlalchemy: %d reads, %d stale, %d writes acknowledged, %d lost' % (reads, stale, writes, lost))
assert stale == 0, stale
assert lost == 0, (expect, got)
