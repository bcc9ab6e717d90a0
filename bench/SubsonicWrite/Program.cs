// The Subsonic writer alone, on answers shaped like the ones bench/scale reads most: a getAlbumList2
// page of 50 albums and a search3 page of 20 artists, 20 albums and 50 songs, with the fields a
// generated catalog fills (names in several scripts, dates, play counts, artists and genres).
// Usage: dotnet run -c Release --project bench/SubsonicWrite [-- --filter '*Album*']
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Sillon.Subsonic;

BenchmarkSwitcher.FromAssembly(typeof(WriterBenchmarks).Assembly).Run(args);

[MemoryDiagnoser]
public class WriterBenchmarks
{
    private static readonly string[] Names = ["Beyoncé", "Sigur Rós", "東京事変", "Кино", "فيروز", "AC/DC", "Ana \"the voice\" Moura", "Zaz"];
    private static readonly DateTimeOffset Start = new(2024, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private SubsonicResponse _albumPage = null!, _searchPage = null!;

    [GlobalSetup]
    public void Setup()
    {
        _albumPage = new SubsonicResponse(null, "albumList2", new AlbumList2(Enumerable.Range(1, 50).Select(Album).ToList()));
        _searchPage = new SubsonicResponse(null, "searchResult3", new SearchResult3(
            Enumerable.Range(1, 20).Select(i => new ArtistID3 { Id = $"ar-{i}", Name = Names[i % Names.Length], CoverArt = $"ar-{i}", AlbumCount = i % 7, SortName = Names[i % Names.Length] }).ToList(),
            Enumerable.Range(1, 20).Select(Album).ToList(),
            Enumerable.Range(1, 50).Select(Song).ToList()));
    }

    private static AlbumID3 Album(int i) => new()
    {
        Id = $"al-{i * 7919}", Name = $"{Names[i % Names.Length]} — Album {i}", Artist = Names[(i + 1) % Names.Length], ArtistId = $"ar-{i}",
        CoverArt = $"al-{i * 7919}", SongCount = 8 + i % 9, Duration = 2400 + i * 13, PlayCount = i % 3 == 0 ? i : null,
        Created = Start.AddMinutes(i), Starred = i % 5 == 0 ? Start.AddDays(i) : null, Year = 1960 + i % 60, Genre = "Rock",
        Played = i % 4 == 0 ? Start.AddHours(i) : null, UserRating = i % 6 == 0 ? 4 : null, MusicBrainzId = "",
        Genres = [new ItemGenre("Rock")], Artists = [new ArtistRef($"ar-{i}", Names[(i + 1) % Names.Length])],
        DisplayArtist = Names[(i + 1) % Names.Length], ReleaseTypes = [], Moods = [], SortName = $"album {i}",
        OriginalReleaseDate = new ItemDate(1960 + i % 60, null, null), ReleaseDate = new ItemDate(1960 + i % 60, 5, 1), IsCompilation = false, DiscTitles = [],
    };

    private static Child Song(int i) => new()
    {
        Id = $"tr-{i * 104729}", Parent = $"al-{i}", Title = $"{Names[i % Names.Length]} song {i}", Album = $"Album {i}", Artist = Names[(i + 3) % Names.Length],
        Track = i % 12 + 1, Year = 1990 + i % 30, Genre = "Pop", CoverArt = $"al-{i}", Size = 4_000_000 + i * 1000L, ContentType = "audio/flac", Suffix = "flac",
        Duration = 180 + i, BitRate = 900, BitDepth = 16, SamplingRate = 44100, ChannelCount = 2, Path = $"Artist/Album {i}/{i:00} song.flac", IsVideo = false,
        PlayCount = i % 2 == 0 ? i : null, DiscNumber = 1, Created = Start.AddSeconds(i), AlbumId = $"al-{i}", ArtistId = $"ar-{i}", Type = "music", MediaType = "song",
        SortName = $"song {i}", MusicBrainzId = "", Isrc = [$"FRZ04{i:0000000}"], Genres = [new ItemGenre("Pop")],
        Artists = [new ArtistRef($"ar-{i}", Names[(i + 3) % Names.Length])], DisplayArtist = Names[(i + 3) % Names.Length],
        AlbumArtists = [new ArtistRef($"ar-{i}", Names[(i + 3) % Names.Length])], DisplayAlbumArtist = Names[(i + 3) % Names.Length],
        ReplayGain = new ReplayGain(-6.5, -7.1, 0.98, 0.99),
    };

    [Benchmark] public int AlbumPageJson() => SubsonicWriter.Json(_albumPage).Length;
    [Benchmark] public int AlbumPageXml() => SubsonicWriter.Xml(_albumPage).Length;
    [Benchmark] public int SearchPageJson() => SubsonicWriter.Json(_searchPage).Length;
    [Benchmark] public int SearchPageXml() => SubsonicWriter.Xml(_searchPage).Length;
}
