using Dapper;
using Sillon.Catalog;
using Sillon.Data;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Catalog;

/// <summary>
/// albums.artist_refs: written by the generator (C#) and by the scanner and the migration (the
/// database's JSON aggregate), read by every album page. Names are whatever tags hold.
/// </summary>
public sealed class ArtistRefsTests : IAsyncLifetime
{
    private readonly TestLibrary _lib = new();

    private static readonly (long Id, string Name)[] Hostile =
    [
        (5, "Zoë \"Q\" O'Brien \\ AC/DC"),
        (70000000001, "坂本龍一 • Ryuichi"),
        (12, "🎸 Emoji\tTab\u0001Control"),
        (3, "Ансамбль عربي"),
    ];

    private static List<NamedRef> Expected => Hostile.Select(a => new NamedRef(CatalogIds.Format(CatalogIds.Artist, a.Id), a.Name)).ToList();

    [Fact]
    public void Written_pairs_read_back_in_order_whatever_the_names_hold()
    {
        var stored = ArtistRefs.Write(Hostile);
        Assert.Equal(Expected, ArtistRefs.Read(stored));
        Assert.Contains("坂本龍一", stored); // stored as text, not \u escapes
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("[]")]
    public void No_stored_artists_read_as_none(string? stored) => Assert.Empty(ArtistRefs.Read(stored));

    [Fact]
    public void PostgreSQLs_spaced_json_reads_as_well() =>
        Assert.Equal([new NamedRef("ar-1", "A"), new NamedRef("ar-22", "B \"b\"")], ArtistRefs.Read("[[1, \"A\"], [22, \"B \\\"b\\\"\"]]"));

    [Theory]
    [InlineData("{\"id\": 1}")]
    [InlineData("[[\"1\", \"A\"]]")]
    [InlineData("[[1]]")]
    [InlineData("[[1, \"A\", 2]]")]
    [InlineData("[[1, \"A\"], 5]")]
    [InlineData("[[1, \"A\"]] [[2, \"B\"]]")]
    public void A_value_of_another_shape_is_an_error_that_says_where(string stored) =>
        Assert.Contains("albums.artist_refs", Assert.Throws<FormatException>(() => ArtistRefs.Read(stored)).Message);

    [Fact]
    public async Task The_databases_aggregate_writes_what_the_reader_reads_in_the_order_asked()
    {
        var db = _lib.Database();
        await db.MigrateAsync(TimeProvider.System);
        await using var c = await db.OpenAsync();
        // The rows come in reverse of the order asked for (by pos).
        var rows = string.Join(" UNION ALL ", Hostile.Select((_, i) => $"SELECT {Hostile.Length - i} AS pos, @id{i} AS id, @name{i} AS name"));
        var args = new DynamicParameters();
        for (var i = 0; i < Hostile.Length; i++)
        {
            args.Add($"id{i}", Hostile[Hostile.Length - 1 - i].Id);
            args.Add($"name{i}", Hostile[Hostile.Length - 1 - i].Name);
        }
        var pairs = db.Dialect.JsonPairs("v.id", "v.name", "v.pos");
        Assert.Equal(Expected, ArtistRefs.Read(await c.ExecuteScalarAsync<string>($"SELECT {pairs} FROM ({rows}) v", args)));
        Assert.Empty(ArtistRefs.Read(await c.ExecuteScalarAsync<string>($"SELECT {pairs} FROM ({rows}) v WHERE v.pos < 0", args)));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _lib.DisposeAsync();
}
