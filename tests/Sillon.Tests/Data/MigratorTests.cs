using Dapper;
using Microsoft.Data.Sqlite;
using Sillon.Data;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Data;

public sealed class MigratorTests : IAsyncLifetime
{
    private readonly TestLibrary _lib = new();

    [Fact]
    public void Embedded_scripts_are_numbered_without_gaps()
    {
        var versions = Migrator.Scripts("Sqlite").Select(s => s.Version).ToList();
        Assert.NotEmpty(versions);
        Assert.Equal(Enumerable.Range(1, versions.Count), versions);
    }

    [Fact]
    public void Both_databases_have_the_same_migrations()
    {
        // A script added for one database only would leave the other one behind, silently.
        var sqlite = Migrator.Scripts("Sqlite").Select(s => s.Name).ToList();
        var postgres = Migrator.Scripts("Postgres").Select(s => s.Name).ToList();
        Assert.Equal(sqlite, postgres);
    }

    [Fact]
    public async Task Indexes_a_first_scan_defers_are_the_migrated_ones()
    {
        // A first scan on SQLite drops and rebuilds these from its own copy of their definitions: a
        // migration that changes one of them must change the copy too. The copy is SQLite's, so the
        // check runs on a SQLite database whichever database the suite runs on.
        var dir = Path.Combine(_lib.Root, "sqlite-only");
        await new Database(dir).MigrateAsync(TimeProvider.System);
        var migrated = (await Sql.QueryAsync<(string Name, string Sql)>(dir, """
            SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
            AND tbl_name IN ('tracks', 'track_artists', 'track_genres') ORDER BY name
            """)).ToList();
        Assert.Equal(migrated, SqliteDialect.ScanDeferredIndexes.OrderBy(i => i.Name, StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task Migrating_twice_changes_nothing_and_makes_no_backup()
    {
        var db = _lib.Database();
        var first = await db.MigrateAsync(TimeProvider.System);
        var second = await db.MigrateAsync(TimeProvider.System);
        Assert.Equal(first, second);
        Assert.Equal(Migrator.Scripts(db.Dialect.Name)[^1].Version, first);
        Assert.False(Directory.Exists(Path.Combine(_lib.Data, "backups")));
        if (db.IsPostgres) return;
        Assert.Equal("wal", await Sql.ScalarAsync<string>(_lib.Data, "PRAGMA journal_mode"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(_lib.Data, "PRAGMA foreign_keys"));
    }

    [Trait("Database", "SQLite")]
    [SqliteFact("the backup copies the SQLite file; a PostgreSQL server is backed up by its operator")]
    public async Task Upgrade_backs_up_the_database_first()
    {
        await UpgradeAsync((2, "0002_b", "CREATE TABLE b (y INTEGER);"));

        var backup = Assert.Single(Directory.GetFiles(Path.Combine(_lib.Data, "backups")));
        Assert.Contains("-v1-", backup);
        await using var c = new SqliteConnection($"Data Source={backup}");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT x FROM a";
        Assert.Equal(42L, await cmd.ExecuteScalarAsync());
        Assert.Equal(2L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT MAX(version) FROM schema_migrations"));
    }

    [Trait("Database", "SQLite")]
    [SqliteFact("the backup copies the SQLite file; a PostgreSQL server is backed up by its operator")]
    public async Task An_upgrade_that_changes_nothing_on_this_database_makes_no_backup()
    {
        // The scripts a migration for the other database leaves here: comments and SELECT 1.
        await UpgradeAsync((2, "0002_other", "-- PostgreSQL only: …\nSELECT 1;\n"));
        Assert.False(Directory.Exists(Path.Combine(_lib.Data, "backups")));
        Assert.Equal(2L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT MAX(version) FROM schema_migrations"));
        // The embedded no-op scripts are recognised as such; the others are not.
        Assert.Contains(Migrator.Scripts("Sqlite"), s => s.Name == "0013_album_list_keys" && Migrator.ChangesNothing(s.Sql));
        Assert.DoesNotContain(Migrator.Scripts("Sqlite"), s => s.Name == "0012_search_terms" && Migrator.ChangesNothing(s.Sql));
        Assert.False(Migrator.ChangesNothing("SELECT 1; DROP TABLE a;"));
    }

    [Trait("Database", "SQLite")]
    [SqliteFact("the backup copies the SQLite file; a PostgreSQL server is backed up by its operator")]
    public async Task An_upgrade_that_only_adds_indexes_makes_no_backup()
    {
        // An index cannot lose a row, and a failed script rolls back: a copy of a 13 M catalog first
        // would only make the server wait.
        await UpgradeAsync((2, "0002_index", "-- albums by something\nCREATE INDEX a_x ON a(x);\ncreate unique index a_x_lower ON a(lower(x));\n"));
        Assert.False(Directory.Exists(Path.Combine(_lib.Data, "backups")));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'a_x'"));
        Assert.Contains(Migrator.Scripts("Sqlite"), s => s.Name == "0016_albums_by_year" && Migrator.AddsOnlyIndexes(s.Sql));
        Assert.False(Migrator.AddsOnlyIndexes("CREATE INDEX i ON a(x); UPDATE a SET x = 1;"));
        Assert.False(Migrator.AddsOnlyIndexes("CREATE TABLE b (y INTEGER);"));
        Assert.False(Migrator.AddsOnlyIndexes("-- nothing\n"));
    }

    /// <summary>A database at version 1 holding a row (so an upgrade has something to back up), then <paramref name="next"/>.</summary>
    private async Task UpgradeAsync((int Version, string Name, string Sql) next)
    {
        var db = _lib.Database();
        await new Migrator(db, TimeProvider.System, [(1, "0001_a", "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (42);")]).RunAsync(default);
        await new Migrator(db, TimeProvider.System, [(1, "0001_a", ""), next]).RunAsync(default);
    }

    [Fact]
    public async Task Migration_17_copies_each_albums_artists_onto_its_row_in_credit_order()
    {
        var db = _lib.Database();
        var scripts = Migrator.Scripts(db.Dialect.Name);
        await new Migrator(db, TimeProvider.System, scripts.Where(s => s.Version < 17).ToList()).RunAsync(default);
        await using (var c = await db.OpenAsync())
            await c.ExecuteAsync("""
                INSERT INTO artists (id, name, sort_name, artist_key, created_at) VALUES
                    (1, 'Zoë "Q" O''Brien', 'zoe q obrien', 'k1', '2026-01-01'), (2, '坂本龍一', '坂本龍一', 'k2', '2026-01-01');
                INSERT INTO albums (id, album_key, name, sort_name, display_artist, created_at, updated_at) VALUES
                    (10, 'a10', 'Duo', 'duo', 'Zoë', '2026-01-01', '2026-01-01'), (11, 'a11', 'Solo', 'solo', '坂本龍一', '2026-01-01', '2026-01-01'),
                    (12, 'a12', 'Unfinished', 'unfinished', '', '2026-01-01', '2026-01-01');
                INSERT INTO album_artists (album_id, artist_id, position) VALUES (10, 2, 1), (10, 1, 0), (11, 2, 0);
                """);

        await new Migrator(db, TimeProvider.System, scripts).RunAsync(default);

        var albums = await Sql.AlbumArtistsBothWaysAsync(_lib.Data);
        Assert.Equal(["ar-1 ar-2", "ar-2", ""], albums.Select(a => string.Join(" ", a.Stored.Select(r => r.Id))));
        Assert.All(albums, a => Assert.Equal(a.Linked, a.Stored));
    }

    [Fact]
    public async Task Failed_migration_rolls_back_and_keeps_the_previous_version()
    {
        var db = _lib.Database();
        await new Migrator(db, TimeProvider.System, [(1, "0001_a", "CREATE TABLE a (x INTEGER);")]).RunAsync(default);
        var broken = new Migrator(db, TimeProvider.System, [(1, "0001_a", ""), (2, "0002_bad", "CREATE TABLE c (z INTEGER); THIS IS NOT SQL;")]);
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => broken.RunAsync(default));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT MAX(version) FROM schema_migrations"));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_lib.Data, db.IsPostgres
            ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'c'"
            : "SELECT COUNT(*) FROM sqlite_master WHERE name = 'c'"));
    }

    [Fact]
    public async Task A_migration_says_which_versions_it_goes_between_and_a_start_with_none_says_nothing()
    {
        var db = _lib.Database();
        var log = new ListLogger();
        await new Migrator(db, TimeProvider.System, [(1, "0001_a", "CREATE TABLE a (x INTEGER);")], log).RunAsync(default);
        (int, string, string)[] two = [(1, "0001_a", ""), (2, "0002_b", "CREATE TABLE b (y INTEGER);")];
        await new Migrator(db, TimeProvider.System, two, log).RunAsync(default);
        await new Migrator(db, TimeProvider.System, two, log).RunAsync(default);
        Assert.Equal(["Migrating the database from schema version 0 to 1", "Migrating the database from schema version 1 to 2"], log.Messages);
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Messages { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel level) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel level, Microsoft.Extensions.Logging.EventId id, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) => Messages.Add(formatter(state, exception));
    }

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _lib.DisposeAsync();
}
