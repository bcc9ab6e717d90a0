using Dapper;
using Sillon.Search;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Search;

public sealed class SearchIndexTests
{
    [Theory]
    [InlineData("beyonce crazy", "\"beyonce\"* \"crazy\"*")]
    [InlineData("  Sigur   Rós ", "\"Sigur\"* \"Rós\"*")]
    [InlineData("AND OR NOT \"x\" name:y*", "\"AND\"* \"OR\"* \"NOT\"* \"x\"* \"name\"* \"y\"*")]
    [InlineData("林檎の唄", "\"林檎の唄\"*")]
    [InlineData("!!!", null)]
    [InlineData("", null)]
    public void User_text_becomes_quoted_prefix_terms(string query, string? expected) =>
        Assert.Equal(expected, SearchIndex.MatchExpression(query));

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
        await c.ExecuteAsync(harness.Database.IsPostgres
            ? "INSERT INTO search_tracks (id, doc) VALUES (@id, setweight(to_tsvector('simple', @name), 'A') || setweight(to_tsvector('simple', @context), 'D'))"
            : "INSERT INTO search_tracks (rowid, name, context) VALUES (@id, @name, @context)", rows);
        var match = SearchIndex.MatchExpression("sol")!;
        var first = await SearchIndex.PageAsync(c, SearchIndex.Kind.Track, match, "sol", 1000, 0, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), first);
        var straddling = await SearchIndex.PageAsync(c, SearchIndex.Kind.Track, match, "sol", 1000, 1000, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1001, 1000).Select(i => (long)i), straddling); // 500 by name, then 500 by context
        var last = await SearchIndex.PageAsync(c, SearchIndex.Kind.Track, match, "sol", 1000, 2500, CancellationToken.None);
        Assert.Equal(Enumerable.Range(2501, 500).Select(i => (long)i), last);
    }

    private static async Task<List<long>> FindAsync(TestLibrary lib, string query)
    {
        await using var c = await lib.Database().OpenAsync();
        return await SearchIndex.PageAsync(c, SearchIndex.Kind.Track, SearchIndex.MatchExpression(query)!, query, 50, 0, CancellationToken.None);
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

        File.Delete(path);
        await lib.ScanAsync();
        Assert.Empty(await FindAsync(lib, "gloso"));
        Assert.Single(await FindAsync(lib, "other"));
    }
}
