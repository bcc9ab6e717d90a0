namespace Sillon.Catalog;

public sealed record NamedRef(string Id, string Name);

public sealed record ArtistSummary(string Id, string Name, int AlbumCount, int TrackCount, string? MusicBrainzId);

public sealed record ArtistDetail(string Id, string Name, string? MusicBrainzId, IReadOnlyList<AlbumSummary> Albums, int TrackCount);

public sealed record AlbumSummary(
    string Id, string Name, string Artist, IReadOnlyList<NamedRef> Artists, int? Year, string? Genre,
    int TrackCount, int DiscCount, double Duration, long Size, bool Compilation, string? MusicBrainzId,
    string? CoverArt, DateTimeOffset Created);

public sealed record AlbumDetail(AlbumSummary Album, string? Date, string? OriginalDate, IReadOnlyList<DiscInfo> Discs, IReadOnlyList<TrackInfo> Tracks);

public sealed record DiscInfo(int Disc, string? Subtitle);

public sealed record ReplayGain(double? TrackGain, double? TrackPeak, double? AlbumGain, double? AlbumPeak);

public sealed record MusicBrainzIds(string? Track, string? Album, string? Artist, string? AlbumArtist, string? ReleaseGroup);

public sealed record TrackInfo
{
    public required string Id { get; init; }
    public required string Title { get; init; }
    public required string Artist { get; init; }
    public required IReadOnlyList<NamedRef> Artists { get; init; }
    public required string AlbumArtist { get; init; }
    public required IReadOnlyList<NamedRef> AlbumArtists { get; init; }
    public required string Album { get; init; }
    public required string AlbumId { get; init; }
    public int? TrackNumber { get; init; }
    public int? TrackTotal { get; init; }
    public int? DiscNumber { get; init; }
    public int? DiscTotal { get; init; }
    public string? DiscSubtitle { get; init; }
    public int? Year { get; init; }
    public string? Date { get; init; }
    public string? OriginalDate { get; init; }
    public required IReadOnlyList<string> Genres { get; init; }
    public string? Composer { get; init; }
    public string? Isrc { get; init; }
    public int? Bpm { get; init; }
    public bool Compilation { get; init; }
    public required MusicBrainzIds MusicBrainz { get; init; }
    public required ReplayGain ReplayGain { get; init; }
    public string? Lyrics { get; init; }
    public double Duration { get; init; }
    public int BitRate { get; init; }
    public int SampleRate { get; init; }
    public int BitDepth { get; init; }
    public int Channels { get; init; }
    public required string Codec { get; init; }
    public required string Suffix { get; init; }
    public required string ContentType { get; init; }
    public long Size { get; init; }
    /// <summary>Relative to its music folder: the full server path is not the client's business.</summary>
    public required string Path { get; init; }
    public string? CoverArt { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; init; }
}

/// <summary>What streaming needs to know about a track's file.</summary>
public sealed record TrackFile(long Id, string Path, string ContentType, string Suffix, long Size);

/// <summary>One search, best first in each kind.</summary>
public sealed record SearchResults(IReadOnlyList<ArtistSummary> Artists, IReadOnlyList<AlbumSummary> Albums, IReadOnlyList<TrackInfo> Tracks);
