-- Every revocation gets a position, assigned by the database, which is what
-- instances resync from ("rows after the last position I read"). The resync
-- used to follow revoked_at, stamped by the writing instance's clock: one
-- row from a clock running ahead, or any row from a clock running behind,
-- was passed over.
--
-- Sequence values are handed out at INSERT, not at COMMIT, so two
-- concurrent writers could commit 11 before 10, and a reader that saw 11
-- would never look at 10 again. Every revocation insert therefore holds a
-- transaction-level advisory lock (see store/revocations.rs) taken before
-- the INSERT and released only once the transaction is visible, which makes
-- position order the commit order.
--
-- Adding the identity column numbers the existing rows.

ALTER TABLE revocations ADD COLUMN position BIGINT GENERATED ALWAYS AS IDENTITY;

ALTER TABLE revocations ADD CONSTRAINT revocations_position_key UNIQUE (position);

DROP INDEX revocations_by_time;
