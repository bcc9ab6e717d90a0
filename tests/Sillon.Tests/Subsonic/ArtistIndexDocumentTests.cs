using System.Text;
using Sillon.Subsonic;

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

    private static ArtistsID3 Index(Func<ArtistID3, ArtistID3>? annotate = null)
    {
        var artists = Names.Select((name, i) => new ArtistID3
        {
            Id = $"ar-{i + 1}", Name = name, CoverArt = $"ar-{i + 1}", AlbumCount = i % 3, MusicBrainzId = i % 2 == 0 ? "" : $"mbz-{i}", SortName = name,
        }).Select(a => annotate?.Invoke(a) ?? a);
        return new ArtistsID3(BrowsingHandlers.IgnoredArticles, artists
            .GroupBy(a => BrowsingHandlers.IndexLetter(a.SortName!))
            .OrderBy(g => g.Key == "#" ? "\uffff" : g.Key, StringComparer.Ordinal)
            .Select(g => new IndexID3(g.Key, g.ToList())).ToList());
    }

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
