-- Counters that move whenever what a client sees may have changed: see the SQLite migration of the
-- same number.
CREATE TABLE catalog_changes (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    counter     BIGINT NOT NULL
);

-- Every annotation counts now, not only those of tracks.
CREATE OR REPLACE FUNCTION listening_changed() RETURNS trigger AS $$
DECLARE
    uid BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN uid := OLD.user_id; ELSE uid := NEW.user_id; END IF;
    INSERT INTO listening_changes (user_id, counter) VALUES (uid, 1)
        ON CONFLICT (user_id) DO UPDATE SET counter = listening_changes.counter + 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
