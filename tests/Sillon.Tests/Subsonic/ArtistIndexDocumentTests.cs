using System.Text;
using Sillon.Subsonic;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Subsonic;

/// <summary>
/// The stored getArtists answer with a caller's own artists spliced in must be, byte for byte, what the
/// writer makes of the whole answer built for that caller, whatever the names hold.
/// </summary>
public sealed class ArtistIndexDocumentTests
{
    private static readonly string[] Names =
    [
        "ABBA", "AC/DC", "Ana \"the voice\" Moura", "Beyoncé", "Björk & <friends>", "Bo", "Bo", "Control\u0001Char",
        "Emoji 🎸 Band", "L'Impératrice", "Sigur Rós", "Tab\tand\nnewline", "Zaz", "東京事変", "Кино", "فيروز", "1975",
    ];

    private static ArtistsID3 Index(Func<ArtistID3, ArtistID3>? annotate = null) =>
        Grouped(Names.Select((name, i) => new ArtistID3
        {
            Id = $"ar-{i + 1}", Name = name, CoverArt = $"ar-{i + 1}", AlbumCount = i % 3, MusicBrainzId = i % 2 == 0 ? "" : $"mbz-{i}", SortName = name,
        }).Select(a => annotate?.Invoke(a) ?? a));

    // The artists under their index letters, as ArtistShelf groups them.
    private static ArtistsID3 Grouped(IEnumerable<ArtistID3> artists) =>
        new(BrowsingHandlers.IgnoredArticles, artists
            .GroupBy(a => BrowsingHandlers.IndexLetter(a.SortName!))
            .OrderBy(g => g.Key == "#" ? "\uffff" : g.Key, StringComparer.Ordinal)
            .Select(g => new IndexID3(g.Key, g.ToList())).ToList());

    public static TheoryData<bool, string[]> Cases => new()
    {
        { true, [] },
        { false, [] },
        { true, ["ar-1"] },
        { false, ["ar-1"] },
        { true, ["ar-17", "ar-6", "ar-7", "ar-3", "ar-8"] },
        { false, ["ar-17", "ar-6", "ar-7", "ar-3", "ar-8"] },
        { true, Names.Select((_, i) => $"ar-{i + 1}").ToArray() },
        { false, Names.Select((_, i) => $"ar-{i + 1}").ToArray() },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Spliced_answer_is_what_the_writer_makes_of_the_annotated_index(bool json, string[] annotated)
    {
        var starred = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        ArtistID3 Note(ArtistID3 a) => annotated.Contains(a.Id)
            ? a with { Starred = int.Parse(a.Id[3..]) % 2 == 0 ? starred : null, UserRating = int.Parse(a.Id[3..]) % 5 + 1 }
            : a;
        var document = ArtistIndexDocument.Build(Index(), json);
        var mine = Index().Index.SelectMany(i => i.Artist).Where(a => annotated.Contains(a.Id)).Select(Note)
            .Append(new ArtistID3 { Id = "ar-999", Name = "Not in the index", Starred = starred });

        var spliced = document.With(mine).SelectMany(part => part.ToArray()).ToArray();

        var expected = new SubsonicResponse(null, "artists", Index(Note));
        Assert.Equal(json ? Encoding.UTF8.GetString(SubsonicWriter.Json(expected)) : SubsonicWriter.Xml(expected), Encoding.UTF8.GetString(spliced));
    }

    // An index of many artists, so that the compressed answer is in several pieces.
    private static ArtistsID3 BigIndex(Func<ArtistID3, ArtistID3>? annotate = null) =>
        Grouped(Enumerable.Range(1, 4000)
            .Select(i => new ArtistID3 { Id = $"ar-{i}", Name = $"{Names[i % Names.Length]} {i}", CoverArt = $"ar-{i}", AlbumCount = i % 7, SortName = $"{Names[i % Names.Length]} {i}" })
            .Select(a => annotate?.Invoke(a) ?? a));

    public static TheoryData<bool, int[]> GzipCases => new()
    {
        { true, [] },
        { false, [] },
        // The first and the last artist of the answer, two of one piece, one in a piece of its own.
        { true, [1, 4000, 17, 18, 2500] },
        { false, [1, 4000, 17, 18, 2500] },
        { true, Enumerable.Range(1, 4000).Where(i => i % 3 == 0).ToArray() },
    };

    [Theory]
    [MemberData(nameof(GzipCases))]
    public async Task Gzipped_answer_inflates_to_the_spliced_answer_with_a_tool_we_did_not_write(bool json, int[] annotated)
    {
        var ids = annotated.Select(i => $"ar-{i}").ToHashSet();
        ArtistID3 Note(ArtistID3 a) => ids.Contains(a.Id) ? a with { Starred = new DateTimeOffset(2026, 11, 28, 1, 0, 0, TimeSpan.Zero), UserRating = 3 } : a;
        var document = ArtistIndexDocument.Build(BigIndex(), json);
        var mine = BigIndex().Index.SelectMany(i => i.Artist).Where(a => ids.Contains(a.Id)).Select(Note).ToList();
        var plain = document.With(mine).SelectMany(part => part.ToArray()).ToArray();
        Assert.True(plain.Length > 4 * ArtistIndexDocument.CompressedPiece, $"an answer of {plain.Length} bytes is not in several pieces");

        var gzipped = document.GzippedWith(mine).SelectMany(part => part.ToArray()).ToArray();

        Assert.True(gzipped.Length < plain.Length / 3, $"{gzipped.Length} bytes compressed from {plain.Length}");
        Assert.Equal(plain, await Gzip.InflateAsync(gzipped));
        // gzip(1) checks the CRC and the length of the trailer too.
        var gunzip = new System.Diagnostics.ProcessStartInfo("gzip", "-dc") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(gunzip)!;
        var output = new MemoryStream();
        var reading = process.StandardOutput.BaseStream.CopyToAsync(output);
        await process.StandardInput.BaseStream.WriteAsync(gzipped);
        process.StandardInput.Close();
        await reading;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());
        Assert.Equal(plain, output.ToArray());
        // And the answer is the one the writer makes for this caller.
        var expected = new SubsonicResponse(null, "artists", BigIndex(Note));
        Assert.Equal(json ? SubsonicWriter.Json(expected) : Encoding.UTF8.GetBytes(SubsonicWriter.Xml(expected)), plain);
    }

    [Fact]
    public void Artists_are_found_by_id_as_stored_without_annotations()
    {
        var document = ArtistIndexDocument.Build(Index(), json: true);
        Assert.Equal("Sigur Rós", document.Artist("ar-11")?.Name);
        Assert.Null(document.Artist("ar-11")?.Starred);
        Assert.Null(document.Artist("ar-999"));
        Assert.Null(document.Artist("al-1"));
    }
}
