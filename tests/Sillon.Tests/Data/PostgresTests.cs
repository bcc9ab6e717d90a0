using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Data;
using Sillon.Library;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Data;

/// <summary>
/// What only PostgreSQL offers: moving a SQLite installation into it, and several servers sharing
/// one database. Runs in the PostgreSQL pass of the suite (SILLON_TEST_DATABASE=postgres).
/// </summary>
// test.sh leaves this class out of the SQLite pass by this trait, rather than showing it skipped.
[Trait("Database", "PostgreSQL")]
public sealed class PostgresTests
{
    private const string Password = "s3cret-pass";

    [PostgresFact]
    public async Task Migrate_to_copies_a_sqlite_installation_without_losing_a_play_count()
    {
        await using var lib = new TestLibrary();
        var target = lib.DatabaseUrl!;
        File.Delete(Path.Combine(lib.Data, "sillon.json")); // this installation starts on SQLite
        await lib.AddAsync("Sigur Rós/Ágætis byrjun/01 - Svefn-g-englar.flac", "flac", new TagSet { Title = "Svefn-g-englar", Artists = ["Sigur Rós"], Album = "Ágætis byrjun", Track = 1 });
        await lib.AddAsync("Sigur Rós/Ágætis byrjun/02 - Starálfur.flac", "flac", new TagSet { Title = "Starálfur", Artists = ["Sigur Rós"], Album = "Ágætis byrjun", Track = 2 });

        string song, album;
        long deletedPlaylist;
        await using (var server = await SillonServer.StartAsync(lib))
        {
            await server.WaitForScanAsync(TimeSpan.FromSeconds(60));
            Assert.False(server.Services.GetRequiredService<Database>().IsPostgres);
            await server.Services.GetRequiredService<Users>().AddAsync("alice", Password, true, CancellationToken.None);
            var http = server.Client();
            song = (await Rest(http, "search3", "query=svefn")).GetProperty("searchResult3").GetProperty("song")[0].GetProperty("id").GetString()!;
            album = (await Rest(http, "getAlbumList2", "type=newest")).GetProperty("albumList2").GetProperty("album")[0].GetProperty("id").GetString()!;
            for (var i = 0; i < 3; i++) await Rest(http, "scrobble", $"id={song}&submission=true&time={1_700_000_000_000 + i * 1000}");
            await Rest(http, "star", $"albumId={album}");
            await Rest(http, "setRating", $"id={song}&rating=4");
            await Rest(http, "createPlaylist", $"name=Keep&songId={song}&songId={song}");
            var gone = (await Rest(http, "createPlaylist", $"name=Gone&songId={song}")).GetProperty("playlist").GetProperty("id").GetString()!;
            await Rest(http, "deletePlaylist", $"id={gone}");
            deletedPlaylist = long.Parse(gone[3..]);
        }

        var copy = await SillonCli.RunAsync(["db", "migrate-to", target, "--data", lib.Data]);
        Assert.True(copy.ExitCode == 0, copy.Stderr + copy.Stdout);
        Assert.Contains("play_events: 3 rows", copy.Stdout);

        var again = await SillonCli.RunAsync(["db", "migrate-to", target, "--data", lib.Data]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("not empty", again.Stderr);

        await File.WriteAllTextAsync(Path.Combine(lib.Data, "sillon.json"), JsonSerializer.Serialize(new { Database = target }));
        await using (var server = await SillonServer.StartAsync(lib))
        {
            await server.WaitForScanAsync(TimeSpan.FromSeconds(60));
            Assert.True(server.Services.GetRequiredService<Database>().IsPostgres);
            var http = server.Client();
            var played = (await Rest(http, "getSong", $"id={song}")).GetProperty("song");
            Assert.Equal(3, played.GetProperty("playCount").GetInt32());
            Assert.Equal(4, played.GetProperty("userRating").GetInt32());
            Assert.Equal(album, (await Rest(http, "getStarred2")).GetProperty("starred2").GetProperty("album")[0].GetProperty("id").GetString());
            var playlists = (await Rest(http, "getPlaylists")).GetProperty("playlists").GetProperty("playlist");
            Assert.Equal("Keep", Assert.Single(playlists.EnumerateArray()).GetProperty("name").GetString());
            Assert.Equal(2, playlists[0].GetProperty("songCount").GetInt32());
            Assert.Equal(song, (await Rest(http, "search3", "query=svefn")).GetProperty("searchResult3").GetProperty("song")[0].GetProperty("id").GetString());
            // Sequences start past every id SQLite ever gave, deleted ones included.
            var next = (await Rest(http, "createPlaylist", $"name=New&songId={song}")).GetProperty("playlist").GetProperty("id").GetString()!;
            Assert.True(long.Parse(next[3..]) > deletedPlaylist, $"{next} reuses an id at or below the deleted pl-{deletedPlaylist}");
        }
    }

    [PostgresFact]
    public async Task Migrate_to_refuses_a_url_that_is_not_postgres()
    {
        await using var lib = new TestLibrary();
        File.Delete(Path.Combine(lib.Data, "sillon.json"));
        await lib.ScanAsync();
        var result = await SillonCli.RunAsync(["db", "migrate-to", "mysql-server:3306", "--data", lib.Data]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("postgres://", result.Stderr);
    }

    [PostgresFact]
    public async Task Two_servers_on_one_database_scan_one_at_a_time_and_both_serve()
    {
        await using var lib = new TestLibrary();
        await lib.AddAsync("A/Album/01 - One.mp3", "mp3", new TagSet { Title = "One", Artists = ["A"], Album = "Album", Track = 1 });
        // No file watching: the scans of this test are the ones it starts.
        await using var first = await SillonServer.StartAsync(lib, new Dictionary<string, string?> { ["Library:Watch"] = "false" });
        await first.WaitForScanAsync(TimeSpan.FromSeconds(60));
        // The second server has a data folder of its own (another machine): only the database is shared.
        var otherData = Path.Combine(lib.Root, "data-2");
        await using var second = await SillonServer.StartAsync(lib, new Dictionary<string, string?> { ["Data"] = otherData, ["Library:Watch"] = "false" });
        await second.WaitForScanAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(lib.DatabaseUrl is null ? null : PostgresDialect.ConnectionString(lib.DatabaseUrl),
            second.Services.GetRequiredService<Database>().ConnectionString);

        await lib.AddAsync("A/Album/02 - Two.mp3", "mp3", new TagSet { Title = "Two", Artists = ["A"], Album = "Album", Track = 2 });
        var scanner = first.Services.GetRequiredService<Scanner>();
        using var reading = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        scanner.BeforeRead = _ => { reading.Release(); release.Wait(TimeSpan.FromSeconds(30)); };
        var running = Task.Run(() => scanner.ScanAsync(full: false, CancellationToken.None));
        Assert.True(await reading.WaitAsync(TimeSpan.FromSeconds(30)), "the first server's scan never reached the tag reader");

        var refused = await second.Services.GetRequiredService<Scanner>().ScanAsync(full: false, CancellationToken.None);
        Assert.Equal(ScanStatus.Busy, refused.Status);
        Assert.Contains("another sillon process", refused.Errors[0].Reason);

        scanner.BeforeRead = null;
        release.Release();
        Assert.Equal(1, (await running).Added);
        // At once: the lock is free the moment the first scan returns.
        var after = await second.Services.GetRequiredService<Scanner>().ScanAsync(full: false, CancellationToken.None);
        Assert.True(after.Status == ScanStatus.Completed, $"{after.Status}: {string.Join("; ", after.Errors.Select(e => e.Reason))}");
        Assert.Equal(0, after.Added);

        // A session made on one server is valid on the other: sessions live in the shared database.
        var login = await first.LoginAsync("alice", Password);
        using var onSecond = second.Client(login.DefaultRequestHeaders.Authorization!.Parameter);
        var tracks = await onSecond.GetFromJsonAsync<JsonElement>("/api/v1/tracks");
        Assert.Equal(2, tracks.GetProperty("items").GetArrayLength());
    }

    [PostgresFact]
    public async Task The_same_generated_catalog_holds_the_same_rows_and_searches_alike_on_sqlite_and_postgres()
    {
        // One seed, two databases: SQLite in the data folder, PostgreSQL given by --database.
        await using var sqlite = new TestLibrary();
        await using var postgres = new TestLibrary();
        var url = postgres.DatabaseUrl!;
        File.Delete(Path.Combine(sqlite.Data, "sillon.json"));
        File.Delete(Path.Combine(postgres.Data, "sillon.json"));
        var one = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "20000", "--seed", "5", "--data", sqlite.Data]);
        Assert.True(one.ExitCode == 0, one.Stderr);
        var two = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "20000", "--seed", "5", "--data", postgres.Data, "--database", url, "--json"]);
        Assert.True(two.ExitCode == 0, two.Stderr);
        Assert.Equal(20000, JsonDocument.Parse(two.Stdout).RootElement.GetProperty("tracks").GetInt64());

        await using var s = await new Database(sqlite.Data).OpenAsync();
        await using var p = await new Database(postgres.Data, url).OpenAsync();
        Assert.IsType<Npgsql.NpgsqlConnection>(p);

        // Row for row, every column both databases have: PostgreSQL's rows went through our own
        // encoding of COPY's binary format, two connections side by side; SQLite's through bound statements.
        foreach (var (table, key) in new[] { ("artists", "id"), ("albums", "id"), ("album_artists", "album_id, position"), ("tracks", "id"),
                                             ("track_artists", "track_id, role, position"), ("track_genres", "track_id, position") })
        {
            var inSqlite = await Dapper.SqlMapper.QueryAsync<string>(s, $"SELECT name FROM pragma_table_info('{table}')");
            var inPostgres = await Dapper.SqlMapper.QueryAsync<string>(p, $"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'");
            // Dates of addition follow the clock of each run, and the sample files' times their own writing.
            string[] ofTheRun = ["created_at", "updated_at", "mtime"];
            var columns = string.Join(", ", inSqlite.Intersect(inPostgres).Except(ofTheRun).Order(StringComparer.Ordinal));
            var expected = (await RowsAsync(s, $"SELECT {columns} FROM {table} ORDER BY {key}")).Select(r => r.Replace(sqlite.Data, "DATA")).ToList();
            var actual = (await RowsAsync(p, $"SELECT {columns} FROM {table} ORDER BY {key}")).Select(r => r.Replace(postgres.Data, "DATA")).ToList();
            Assert.True(expected.Count > 0, table);
            Assert.Equal(expected.Count, actual.Count);
            var differs = expected.Zip(actual).FirstOrDefault(r => r.First != r.Second);
            Assert.True(differs == default, $"{table} ({columns}): SQLite {differs.First}, PostgreSQL {differs.Second}");
        }
        var artist = await Dapper.SqlMapper.ExecuteScalarAsync<string>(s, "SELECT name FROM artists WHERE id = 1");
        var title = await Dapper.SqlMapper.ExecuteScalarAsync<string>(s, "SELECT title FROM tracks WHERE id = 2");
        var album = await Dapper.SqlMapper.ExecuteScalarAsync<string>(s, "SELECT name FROM albums WHERE id = 3");
        // Exact names (ranked whole), an artist's name (their works first), broad prefixes (lazy tiers past RankedLimit),
        // long prefixes (SQLite: an OR of the words they start), a one-letter word beside a longer one, a word that
        // matches nothing beside one that matches much (PostgreSQL reads the other's first block all the same), deep pages.
        foreach (var query in new[] { artist!, title!, album!, "lo", "ma", "ete", "love", "forev", "stor", "love n", "a b", "love qqqzzx" })
        {
            var match = Sillon.Search.SearchIndex.MatchExpression(query)!;
            foreach (var kind in Enum.GetValues<Sillon.Search.SearchIndex.Kind>())
            foreach (var offset in new[] { 0, 40, 400 })
            {
                var expected = await Sillon.Search.SearchIndex.PageAsync(s, kind, match, query, 20, offset, CancellationToken.None);
                var actual = await Sillon.Search.SearchIndex.PageAsync(p, kind, match, query, 20, offset, CancellationToken.None);
                Assert.True(expected.SequenceEqual(actual), $"{kind} '{query}' at {offset}: SQLite [{string.Join(", ", expected)}], PostgreSQL [{string.Join(", ", actual)}]");
                // Every query reaches tracks (their context holds artist and album) but the one made to match nothing; "lo" goes past the ranked limit.
                if (kind == Sillon.Search.SearchIndex.Kind.Track && (offset == 0 || query == "lo"))
                {
                    if (query == "love qqqzzx") Assert.Empty(expected);
                    else Assert.NotEmpty(expected);
                }
            }
            // The three kinds at once, as search3 asks (PostgreSQL reads them side by side), each its own page.
            var three = await Sillon.Search.SearchIndex.PagesAsync(s, match, query, (5, 0), (10, 40), (20, 400), CancellationToken.None);
            var side = await Sillon.Search.SearchIndex.PagesAsync(p, match, query, (5, 0), (10, 40), (20, 400), CancellationToken.None);
            Assert.True(three.Artists.SequenceEqual(side.Artists) && three.Albums.SequenceEqual(side.Albums) && three.Tracks.SequenceEqual(side.Tracks),
                $"'{query}' three kinds: SQLite [{string.Join(", ", three.Artists)}] [{string.Join(", ", three.Albums)}] [{string.Join(", ", three.Tracks)}], " +
                $"PostgreSQL [{string.Join(", ", side.Artists)}] [{string.Join(", ", side.Albums)}] [{string.Join(", ", side.Tracks)}]");
        }
    }

    [PostgresFact]
    public async Task A_load_the_database_refuses_midway_says_why_and_not_that_it_was_cancelled()
    {
        // The copier of albums meets a row the database refuses while the copier of tracks is still
        // busy (three chunks): the error told is the database's, not the other copier's cancellation.
        await using var lib = new TestLibrary();
        await lib.Database().MigrateAsync(TimeProvider.System);
        await using (var c = await lib.Database().OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(c, "ALTER TABLE albums ADD CONSTRAINT albums_at_most_99 CHECK (id < 100)");
        var run = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "150000", "--data", lib.Data, "--database", lib.DatabaseUrl!]);
        Assert.Equal(4, run.ExitCode);
        Assert.True(run.Stderr.Contains("cannot use the database"), run.Stderr);
        Assert.True(run.Stderr.Contains("albums_at_most_99"), run.Stderr);
        Assert.DoesNotContain("cancel", run.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [PostgresFact]
    public async Task The_catalogs_keys_sort_byte_by_byte_as_on_sqlite_whatever_the_databases_collation()
    {
        // A database whose own collation is ICU's English puts Hangul before Han and weighs spaces
        // last: sort names, paths and dates must not follow it, or an alphabetical page on
        // PostgreSQL would differ from SQLite's on the same catalog (migration 18).
        var url = PostgresServer.CreateDatabase("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'");
        try
        {
            await using var sqlite = new TestLibrary();
            await using var postgres = new TestLibrary();
            File.Delete(Path.Combine(sqlite.Data, "sillon.json"));
            File.Delete(Path.Combine(postgres.Data, "sillon.json"));
            var one = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "3000", "--seed", "11", "--data", sqlite.Data]);
            Assert.True(one.ExitCode == 0, one.Stderr);
            var two = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "3000", "--seed", "11", "--data", postgres.Data, "--database", url]);
            Assert.True(two.ExitCode == 0, two.Stderr);

            await using var s = await new Database(sqlite.Data).OpenAsync();
            await using var p = await new Database(postgres.Data, url).OpenAsync();
            async Task<string> OrderAsync(System.Data.Common.DbConnection c, string table, string column) =>
                string.Join(",", await Dapper.SqlMapper.QueryAsync<long>(c, $"SELECT id FROM {table} ORDER BY {column}, id"));
            foreach (var (table, column) in new[] { ("artists", "sort_name"), ("albums", "sort_name"), ("tracks", "sort_title"), ("tracks", "path"), ("albums", "created_at") })
                Assert.True(await OrderAsync(s, table, column) == await OrderAsync(p, table, column), $"{table} by {column}");
            // The database's own collation does order them otherwise: the comparison above means something.
            Assert.NotEqual(await OrderAsync(s, "artists", "sort_name"), await OrderAsync(p, "artists", "sort_name COLLATE \"default\""));
        }
        finally
        {
            PostgresServer.DropDatabase(url);
        }
    }

    [PostgresFact]
    public async Task Upgrading_to_posting_lists_indexes_the_catalog_already_there()
    {
        // A database of migration 14 held its search index in tsvector tables: migration 15 drops
        // them, and the migrator builds the posting lists from the catalog before the server serves.
        await using var lib = new TestLibrary();
        var run = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "2000", "--seed", "3", "--data", lib.Data, "--database", lib.DatabaseUrl!]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        await using (var c = await lib.Database().OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(c, """
                DROP TABLE search_postings; DROP TABLE search_words; DELETE FROM schema_migrations WHERE version = 15;
                CREATE TABLE search_tracks (id BIGINT PRIMARY KEY, doc tsvector NOT NULL);
                CREATE TABLE search_albums (id BIGINT PRIMARY KEY, doc tsvector NOT NULL);
                CREATE TABLE search_artists (id BIGINT PRIMARY KEY, doc tsvector NOT NULL);
                """);
        Assert.Equal(15, await lib.Database().MigrateAsync(TimeProvider.System));

        await using var db = await lib.Database().OpenAsync();
        foreach (var (kind, sql) in new[] { (Sillon.Search.SearchIndex.Kind.Track, "SELECT id, title FROM tracks WHERE id % 97 = 0"),
                                            (Sillon.Search.SearchIndex.Kind.Album, "SELECT id, name FROM albums WHERE id % 13 = 0"),
                                            (Sillon.Search.SearchIndex.Kind.Artist, "SELECT id, name FROM artists") })
        foreach (var (id, name) in await Dapper.SqlMapper.QueryAsync<(long, string)>(db, sql))
        {
            var found = await Sillon.Search.SearchIndex.PageAsync(db, kind, Sillon.Search.SearchIndex.MatchExpression(name)!, name, 500, 0, CancellationToken.None);
            Assert.Contains(id, found);
        }
        Assert.Equal(0, await Dapper.SqlMapper.ExecuteScalarAsync<long>(db, "SELECT COUNT(*) FROM pg_tables WHERE tablename IN ('search_tracks', 'search_albums', 'search_artists')"));
    }

    [PostgresFact]
    public async Task A_generated_catalog_has_every_index_and_key_of_a_migrated_database()
    {
        // The bulk load drops the indexes and keys of the tables it fills and makes them again at the
        // end: none may be missing, changed or left unchecked afterwards.
        await using var generated = new TestLibrary();
        await using var migrated = new TestLibrary();
        var run = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "3000", "--seed", "7", "--data", generated.Data, "--database", generated.DatabaseUrl!]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        await migrated.Database().MigrateAsync(TimeProvider.System);

        const string schema = """
            SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()
            UNION ALL
            SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END
            FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
            ORDER BY 1
            """;
        await using var g = await generated.Database().OpenAsync();
        await using var m = await migrated.Database().OpenAsync();
        var expected = (await Dapper.SqlMapper.QueryAsync<string>(m, schema)).ToList();
        var actual = (await Dapper.SqlMapper.QueryAsync<string>(g, schema)).ToList();
        Assert.Contains(expected, d => d.Contains("tracks_path_key UNIQUE (path)"));
        Assert.Contains(expected, d => d.Contains("track_artists_track_id_fkey FOREIGN KEY"));
        Assert.Equal(expected, actual);
        // The search index was filled too: every 100th generated track is found by its title.
        foreach (var (id, title) in await Dapper.SqlMapper.QueryAsync<(long, string)>(g, "SELECT id, title FROM tracks WHERE id % 100 = 0"))
        {
            var match = Sillon.Search.SearchIndex.MatchExpression(title)!;
            var found = await Sillon.Search.SearchIndex.PageAsync(g, Sillon.Search.SearchIndex.Kind.Track, match, title, 500, 0, CancellationToken.None);
            Assert.Contains(id, found);
        }
    }

    private static async Task<JsonElement> Rest(HttpClient http, string endpoint, string query = "")
    {
        var response = await http.GetFromJsonAsync<JsonElement>($"/rest/{endpoint}?u=alice&p={Password}&v=1.16.1&c=tests&f=json&{query}");
        var body = response.GetProperty("subsonic-response");
        Assert.True(body.GetProperty("status").GetString() == "ok", $"{endpoint}: {body}");
        return body;
    }

    /// <summary>Each row as one line of its values, alike whichever database read them (integers, reals, text, NULL).</summary>
    private static async Task<List<string>> RowsAsync(System.Data.Common.DbConnection c, string sql)
    {
        await using var command = c.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i) switch
            {
                DBNull => "NULL",
                double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                var v => v.ToString(),
            })));
        return rows;
    }
}

/// <summary>A test that needs PostgreSQL: skipped, with the reason, in the SQLite pass of the suite.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!PostgresServer.Enabled) Skip = "PostgreSQL only: runs when SILLON_TEST_DATABASE=postgres (test.sh's second pass)";
    }

}
