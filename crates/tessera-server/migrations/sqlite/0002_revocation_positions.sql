-- Every revocation gets a position, assigned by the database in commit
-- order, which is what instances resync from ("rows after the last position
-- I read"). The resync used to follow revoked_at, stamped by the writing
-- instance's clock: one row from a clock running ahead, or any row from a
-- clock running behind, was passed over.
--
-- SQLite has one writer at a time, so positions handed out inside a write
-- transaction become visible in order. AUTOINCREMENT, unlike a plain rowid,
-- never hands out a number again after the newest row is deleted.
-- SQLite cannot add such a column to a table, so the table is rebuilt;
-- existing rows are numbered in insertion (rowid) order.

CREATE TABLE revocations_numbered (
    position   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    token_id   TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL,
    UNIQUE (kind, token_id)
);

INSERT INTO revocations_numbered (kind, token_id, expires_at, revoked_at)
    SELECT kind, token_id, expires_at, revoked_at FROM revocations ORDER BY rowid;

DROP TABLE revocations;

ALTER TABLE revocations_numbered RENAME TO revocations;

CREATE INDEX revocations_by_expiry ON revocations (expires_at);
