-- Counters that move whenever what a client sees may have changed, so that answers built from the
-- catalog can be cached and still never be stale (Subsonic/ResponseCache.cs).

-- The catalog's: one row (absent until the first change), moved in the same transaction as every
-- batch of catalog writes (the scanner's batches, deletions and album pass; a generated catalog).
-- Readers on any node compare it.
CREATE TABLE catalog_changes (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    counter     INTEGER NOT NULL
);

-- Each listener's: listening_changes (0006) counted track annotations only, for smart playlists.
-- Album and artist stars and ratings are in cached answers too, so every annotation now counts.
DROP TRIGGER annotations_changed_insert;
DROP TRIGGER annotations_changed_update;
DROP TRIGGER annotations_changed_delete;

CREATE TRIGGER annotations_changed_insert AFTER INSERT ON annotations
BEGIN
    INSERT INTO listening_changes (user_id, counter) VALUES (NEW.user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET counter = counter + 1;
END;

CREATE TRIGGER annotations_changed_update AFTER UPDATE ON annotations
BEGIN
    INSERT INTO listening_changes (user_id, counter) VALUES (NEW.user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET counter = counter + 1;
END;

CREATE TRIGGER annotations_changed_delete AFTER DELETE ON annotations
BEGIN
    INSERT INTO listening_changes (user_id, counter) VALUES (OLD.user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET counter = counter + 1;
END;
