-- The UTS #39 skeleton of each username key (computed by the service, not
-- the database): names that look alike share one, so the unique index
-- refuses the second. NULL until the service fills it in at start-up for
-- users created before this column, and kept NULL for an older account whose
-- name looks like one registered before it (several NULLs never conflict).
ALTER TABLE users ADD COLUMN username_skeleton TEXT;

CREATE UNIQUE INDEX users_by_username_skeleton ON users (username_skeleton);
