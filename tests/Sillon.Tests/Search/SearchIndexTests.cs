using Dapper;
using Sillon.Search;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Search;

public sealed class SearchIndexTests
{
    [Theory]
    [InlineData("beyonce crazy", "\"beyonce\"* \"crazy\"*")]
    [InlineData("  Sigur   Rós ", "\"Sigur\"* \"Rós\"*")]
    [InlineData("AND OR NOT \"x\" name:y*", "\"AND\"* \"OR\"* \"NOT\"* \"name\"*")]
    [InlineData("forever y", "\"forever\"*")]
    [InlineData("a b", "\"a\"* \"b\"*")]
    [InlineData("林檎の唄", "\"林檎の唄\"*")]
    [InlineData("!!!", null)]
    [InlineData("", null)]
    public void User_text_becomes_quoted_prefix_terms(string query, string? expected) =>
        Assert.Equal(expected, SearchIndex.MatchExpression(query));

    public static TheoryData<ushort[]> PostingLists => new()
    {
        Array.Empty<ushort>(), new ushort[] { 0 }, new ushort[] { 65535 }, new ushort[] { 0, 1, 2, 3 },
        new ushort[] { 5, 132, 133, 16_517, 16_518, 65_535 }, // gaps of one, two and three bytes
        Enumerable.Range(0, 65_536).Where(i => i % 3 == 0).Select(i => (ushort)i).ToArray(),
    };

    [Theory]
    [MemberData(nameof(PostingLists))]
    public void A_posting_list_decodes_to_the_ids_it_was_made_of(ushort[] offsets)
    {
        var encoded = PostgresSearch.Encode([.. offsets]);
        var bits = new ulong[1024];
        PostgresSearch.Decode(encoded, bits);
        var decoded = Enumerable.Range(0, 65_536).Where(i => (bits[i >> 6] & (1UL << i)) != 0).Select(i => (ushort)i);
        Assert.Equal(offsets, decoded);
        Assert.True(encoded.Length <= offsets.Length * 3);
    }

    [Fact]
    public void A_posting_list_that_points_past_its_block_is_refused()
    {
        var encoded = PostgresSearch.Encode([65_535]).Concat(PostgresSearch.Encode([1])).ToArray();
        Assert.Throws<InvalidDataException>(() => PostgresSearch.Decode(encoded, new ulong[1024]));
    }

    [Fact]
    public async Task Broad_prefixes_page_name_matches_before_context_matches_without_ranking_them_all()
    {
        await using var lib = new TestLibrary();
        await using var harness = await lib.ScannerAsync();
        await using var c = await harness.Database.OpenAsync();
        // 1500 items named "Solar n", then 1500 that only mention "Solar" in their context: more than RankedLimit in all.
        var rows = Enumerable.Range(1, 3000).Select(i => i <= 1500
            ? new { id = (long)i, name = $"Solar {i}", context = "Someone" }
            : new { id = (long)i, name = $"Other {i}", context = "Solar Band" });
        if (harness.Database.IsPostgres)
            await PostgresSearch.WriteAsync(c, SearchIndex.Kind.Track, rows.Select(r => (r.id, (string?)r.name, (string?)r.context)), CancellationToken.None);
        else
            await c.ExecuteAsync("INSERT INTO search_tracks (rowid, name, context) VALUES (@id, @name, @context)", rows);
        var match = SearchIndex.MatchExpression("sol")!;
        var first = await SearchIndex.PageAsync(c, SearchIndex.Kind.Track, match, "sol", 1000, 0, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), first);
        var straddling = await SearchIndex.PageAsync(c, SearchIndex.Kind.Track, match, "sol", 1000, 1000, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1001, 1000).Select(i => (long)i), straddling); // 500 by name, then 500 by context
        var last = await SearchIndex.PageAsync(c, SearchIndex.Kind.Track, match, "sol", 1000, 2500, CancellationToken.None);
        Assert.Equal(Enumerable.Range(2501, 500).Select(i => (long)i), last);
    }

    [Theory]
    // blocks read, blocks left, ids wanted, ids found so far: blocks the next window reads
    [InlineData(0, 198, 301, 0, 1)]      // the first block alone: a broad prefix ends there
    [InlineData(1, 197, 301, 0, 197)]    // nothing in it: a rare match, read to the end in one go
    [InlineData(1, 197, 296, 5, 74)]     // 5 a block: the 296 wanted in 60 blocks, and a quarter more
    [InlineData(1, 197, 1, 300, 1)]      // one more wanted from a dense match: one block
    [InlineData(20, 178, 18, 2, 178)]    // a tier rarer than the whole match (names) goes by its own rate, not a block a trip
    [InlineData(5, 0, 10, 3, 0)]         // nothing left
    public void The_next_window_reads_as_many_blocks_as_the_rate_so_far_says_the_page_needs(long read, long left, int wanted, int found, long expected) =>
        Assert.Equal(expected, PostgresSearch.Matches.WindowSize(read, left, wanted, found));

    [Fact]
    public async Task A_match_spread_thinly_over_many_blocks_pages_to_its_end_in_id_order()
    {
        await using var lib = new TestLibrary();
        await using var harness = await lib.ScannerAsync();
        await using var c = await harness.Database.OpenAsync();
        // 600 names and 400 contexts with "Comet", a few in each of PostgreSQL's blocks of 65,536 ids
        // (ids up to 13 million, as a large catalog's), between items that do not match at all.
        var rows = Enumerable.Range(0, 2000).Select(i => (Id: 1 + i * 6_500L, Name: i % 2 == 1 ? $"Other {i}" : i < 1200 ? $"Comet {i}" : $"Other {i}",
            Context: i % 2 == 1 || i < 1200 ? "Someone" : "Comet Band")).ToList();
        if (harness.Database.IsPostgres)
            await PostgresSearch.WriteAsync(c, SearchIndex.Kind.Track, rows.Select(r => (r.Id, (string?)r.Name, (string?)r.Context)), CancellationToken.None);
        else
            await c.ExecuteAsync("INSERT INTO search_tracks (rowid, name, context) VALUES (@Id, @Name, @Context)",
                rows.Select(r => new { r.Id, r.Name, r.Context }));
        var byName = rows.Where(r => r.Name.StartsWith("Comet", StringComparison.Ordinal)).Select(r => r.Id);
        var byContext = rows.Where(r => r.Context == "Comet Band").Select(r => r.Id);
        var expected = byName.Concat(byContext).ToList();
        Assert.Equal(1000, expected.Count);

        var match = SearchIndex.MatchExpression("comet")!;
        var paged = new List<long>();
        for (var offset = 0; offset < 1100; offset += 100)
            paged.AddRange(await SearchIndex.PageAsync(c, SearchIndex.Kind.Track, match, "comet", 100, offset, CancellationToken.None));
        Assert.Equal(expected, paged);
        // Deep in one step, and the three kinds asked together as search3 asks them (albums and artists have none).
        Assert.Equal(expected[950..], await SearchIndex.PageAsync(c, SearchIndex.Kind.Track, match, "comet", 100, 950, CancellationToken.None));
        var (artists, albums, tracks) = await SearchIndex.PagesAsync(c, match, "comet", (20, 0), (20, 0), (50, 590), CancellationToken.None);
        Assert.Empty(artists);
        Assert.Empty(albums);
        Assert.Equal(expected[590..640], tracks);
    }

    private static async Task<List<long>> FindAsync(TestLibrary lib, string query)
    {
        await using var c = await lib.Database().OpenAsync();
        return await SearchIndex.PageAsync(c, SearchIndex.Kind.Track, SearchIndex.MatchExpression(query)!, query, 50, 0, CancellationToken.None);
    }

    private static async Task<List<string>> FindTitlesInOrder(TestLibrary lib, string query)
    {
        var titles = new List<string>();
        foreach (var id in await FindAsync(lib, query))
            titles.Add(await Sql.ScalarAsync<string>(lib.Data, "SELECT title FROM tracks WHERE id = @id", new { id }));
        return titles;
    }

    [Fact]
    public async Task The_index_follows_the_catalog_through_rescans()
    {
        await using var lib = new TestLibrary();
        var path = await lib.AddAsync("a/song.flac", "flac", new TagSet { Title = "Ágætis byrjun", Artists = ["Sigur Rós"], Album = "Takk" });
        await lib.AddAsync("a/other.flac", "flac", new TagSet { Title = "Other", Artists = ["Someone"], Album = "Takk" });
        await lib.ScanAsync();
        var id = await Sql.TrackIdAsync(lib.Data, "song.flac");
        Assert.Equal([id], await FindAsync(lib, "AGÆT")); // æ is a letter of its own, not a with a diacritic
        Assert.Equal([id], await FindAsync(lib, "sigur ros"));

        await AudioFiles.RunAsync("metaflac", ["--remove-tag=TITLE", "--set-tag=TITLE=Glósóli", path]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        await lib.ScanAsync();
        Assert.Empty(await FindAsync(lib, "agæt"));
        Assert.Equal([id], await FindAsync(lib, "gloso"));

        await using (var c = await lib.Database().OpenAsync())
            Assert.Single(await SearchIndex.PageAsync(c, SearchIndex.Kind.Artist, SearchIndex.MatchExpression("sigur")!, "sigur", 10, 0, CancellationToken.None));

        File.Delete(path);
        await lib.ScanAsync();
        Assert.Empty(await FindAsync(lib, "gloso"));
        Assert.Single(await FindAsync(lib, "other"));
        await using (var c = await lib.Database().OpenAsync())
            Assert.Empty(await SearchIndex.PageAsync(c, SearchIndex.Kind.Artist, SearchIndex.MatchExpression("sigur")!, "sigur", 10, 0, CancellationToken.None));
    }

    [Trait("Database", "SQLite")]
    [SqliteFact("segments and the hash size are FTS5's; PostgreSQL's index is tables of our own")]
    public async Task A_rebuilt_index_is_one_segment_a_table_and_leaves_fts5s_default_flush_size_behind()
    {
        // 100,000 tracks: with FTS5's 1 MB flush size their index was four segments.
        await using var lib = new TestLibrary();
        var run = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "100000", "--seed", "3", "--data", lib.Data], timeout: TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.Stderr);
        foreach (var table in new[] { "search_tracks", "search_albums", "search_artists" })
        {
            Assert.Equal(1L, await Sql.ScalarAsync<long>(lib.Data, $"SELECT COUNT(DISTINCT segid) FROM {table}_idx"));
            Assert.Equal(SearchIndex.DefaultFlushBytes, await Sql.ScalarAsync<long>(lib.Data, $"SELECT v FROM {table}_config WHERE k = 'hashsize'"));
        }
        Assert.Equal(100_000L, await Sql.ScalarAsync<long>(lib.Data, "SELECT COUNT(*) FROM search_tracks_docsize"));
    }

    [Fact]
    public void Words_fold_exactly_as_the_fts5_tokenizer_folds_them()
    {
        string[] words = ["Forêt", "ÉCOLE", "İstanbul", "Ǻngström", "ḗpos", "Łódź", "Ørsted", "straße", "Σπίτι", "Ωmega", "Йод", "ёлка", "がっこう", "東京", "Café"];
        using var c = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
        c.Open();
        c.Execute("CREATE VIRTUAL TABLE t USING fts5(w, tokenize = 'unicode61 remove_diacritics 2'); CREATE VIRTUAL TABLE v USING fts5vocab(t, row);");
        foreach (var word in words)
        {
            c.Execute("DELETE FROM t; INSERT INTO t (w) VALUES (@word)", new { word });
            Assert.Equal(c.QuerySingle<string>("SELECT term FROM v"), SearchIndex.Fold(word));
        }
    }

    [Fact]
    public async Task Long_prefixes_find_every_word_they_start_and_a_lone_letter_waits_for_the_next_key()
    {
        await using var lib = new TestLibrary();
        await lib.AddAsync("a/1.flac", "flac", new TagSet { Title = "Forever Young", Artists = ["Alphaville"], Album = "Forever Young" });
        await lib.AddAsync("a/2.flac", "flac", new TagSet { Title = "Forêt Noire", Artists = ["Alphaville"], Album = "Forever Young" });
        await lib.AddAsync("b/3.flac", "flac", new TagSet { Title = "Foreign Land", Artists = ["Nomad"], Album = "Far" });
        await lib.AddAsync("b/4.flac", "flac", new TagSet { Title = "Fortune", Artists = ["Nomad"], Album = "Far" });
        await lib.ScanAsync();
        async Task<List<string>> Titles(string query) =>
            await Sql.QueryAsync<string>(lib.Data, $"SELECT title FROM tracks WHERE id IN ({string.Join(",", (await FindAsync(lib, query)).DefaultIfEmpty(0))}) ORDER BY title");

        Assert.Equal(["Foreign Land", "Forever Young", "Forêt Noire"], await Titles("fore"));
        Assert.Equal(["Foreign Land", "Forever Young", "Forêt Noire"], await Titles("FORÊ"));
        Assert.Equal(["Forever Young", "Forêt Noire"], await Titles("forev")); // "Forêt Noire" through its album
        Assert.Equal(["Forever Young", "Forêt Noire"], await Titles("forever you"));
        Assert.Equal(["Foreign Land", "Fortune"], await Titles("nomad x")); // "x" waits for the next key
        Assert.Empty(await Titles("nomad xy"));
        Assert.Empty(await Titles("forever zz"));
        Assert.Equal(["Fortune"], await Titles("fortun"));
        if (!lib.Database().IsPostgres) // SQLite lists the names that start with one letter typed alone, in name order
            Assert.Equal(["Foreign Land", "Forêt Noire", "Forever Young", "Fortune"], await FindTitlesInOrder(lib, "F"));

        // A new word from an incremental scan is found by its long prefix at once.
        await lib.AddAsync("c/5.flac", "flac", new TagSet { Title = "Zanzibarian Nights", Artists = ["Nomad"], Album = "Coast" });
        await lib.ScanAsync();
        Assert.Equal(["Zanzibarian Nights"], await Titles("zanzib"));

        if (!lib.Database().IsPostgres)
        {
            // The SQLite form names the words themselves: FTS5 walks them lazily instead of merging every "fore…" first.
            await using var c = await lib.Database().OpenAsync();
            Assert.Equal("(\"foreign\" OR \"foret\" OR \"forever\") AND \"ni\"*",
                await SearchIndex.ExpandAsync(c, SearchIndex.MatchExpression("forê ni")!, CancellationToken.None));
        }
    }
}
