-- Administration: disabled accounts, per-user roles, and music folders added from the web.

-- A disabled account keeps every row it owns (plays, playlists, favourites) but cannot log in, and
-- its sessions and API keys are refused until it is enabled again.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
-- Subsonic roles that the server enforces (1 = allowed). Administrators hold every role whatever
-- these say. Existing accounts keep what they could do before: everything.
ALTER TABLE users ADD COLUMN stream_role INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN download_role INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN playlist_role INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN share_role INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN settings_role INTEGER NOT NULL DEFAULT 1;

-- added_at: set for a folder an administrator added (it is scanned like a --music folder and
-- survives restarts); NULL for folders from the configuration. removed_at: the administrator
-- removed it; the next scan deletes its tracks, then the row.
ALTER TABLE library_roots ADD COLUMN added_at TEXT;
ALTER TABLE library_roots ADD COLUMN removed_at TEXT;
