namespace Sillon.Subsonic;

// The Subsonic response types, named and shaped as in the OpenSubsonic schemas
// (../shared/opensubsonic/openapi/schemas). Property names become the wire names (camelCase);
// null means absent. SubsonicWriter turns them into XML and JSON.

public sealed record SubsonicResponse(SubsonicError? Error, string? PayloadName, object? Payload);

public sealed record SubsonicError(int Code, string Message);

public sealed record License(bool Valid, string? Email = null);
public sealed record OpenSubsonicExtension(string Name, IReadOnlyList<int> Versions);
public sealed record TokenInfo(string Username);
public sealed record MusicFolders(IReadOnlyList<MusicFolder> MusicFolder);
public sealed record MusicFolder(long Id, string Name);
public sealed record ScanStatusResult(bool Scanning, long Count);

public sealed record ItemGenre(string Name);
public sealed record ArtistRef(string Id, string Name);
public sealed record Contributor(string Role, ArtistRef Artist);
public sealed record ReplayGain(double? TrackGain, double? AlbumGain, double? TrackPeak, double? AlbumPeak);
public sealed record ItemDate(int? Year, int? Month, int? Day);
public sealed record DiscTitle(int Disc, string Title);

/// <summary>A song, or a directory (folder, album, artist) in folder browsing.</summary>
public sealed record Child
{
    public required string Id { get; init; }
    public string? Parent { get; init; }
    public bool IsDir { get; init; }
    public required string Title { get; init; }
    public string? Album { get; init; }
    public string? Artist { get; init; }
    public int? Track { get; init; }
    public int? Year { get; init; }
    public string? Genre { get; init; }
    public string? CoverArt { get; init; }
    public long? Size { get; init; }
    public string? ContentType { get; init; }
    public string? Suffix { get; init; }
    public int? Duration { get; init; }
    public int? BitRate { get; init; }
    public int? BitDepth { get; init; }
    public int? SamplingRate { get; init; }
    public int? ChannelCount { get; init; }
    public string? Path { get; init; }
    public bool? IsVideo { get; init; }
    public int? UserRating { get; init; }
    public long? PlayCount { get; init; }
    public int? DiscNumber { get; init; }
    public DateTimeOffset? Created { get; init; }
    public DateTimeOffset? Starred { get; init; }
    public string? AlbumId { get; init; }
    public string? ArtistId { get; init; }
    public string? Type { get; init; }
    public string? MediaType { get; init; }
    public long? BookmarkPosition { get; init; }
    public DateTimeOffset? Played { get; init; }
    public int? Bpm { get; init; }
    public string? Comment { get; init; }
    public string? SortName { get; init; }
    public string? MusicBrainzId { get; init; }
    public IReadOnlyList<string>? Isrc { get; init; }
    public IReadOnlyList<ItemGenre>? Genres { get; init; }
    public IReadOnlyList<ArtistRef>? Artists { get; init; }
    public string? DisplayArtist { get; init; }
    public IReadOnlyList<ArtistRef>? AlbumArtists { get; init; }
    public string? DisplayAlbumArtist { get; init; }
    public IReadOnlyList<Contributor>? Contributors { get; init; }
    public string? DisplayComposer { get; init; }
    public IReadOnlyList<string>? Moods { get; init; }
    public ReplayGain? ReplayGain { get; init; }
}

public sealed record AlbumID3
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? Artist { get; init; }
    public string? ArtistId { get; init; }
    public string? CoverArt { get; init; }
    public int SongCount { get; init; }
    public int Duration { get; init; }
    public long? PlayCount { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset? Starred { get; init; }
    public int? Year { get; init; }
    public string? Genre { get; init; }
    public DateTimeOffset? Played { get; init; }
    public int? UserRating { get; init; }
    public string? MusicBrainzId { get; init; }
    public IReadOnlyList<ItemGenre>? Genres { get; init; }
    public IReadOnlyList<ArtistRef>? Artists { get; init; }
    public string? DisplayArtist { get; init; }
    public IReadOnlyList<string>? ReleaseTypes { get; init; }
    public IReadOnlyList<string>? Moods { get; init; }
    public string? SortName { get; init; }
    public ItemDate? OriginalReleaseDate { get; init; }
    public ItemDate? ReleaseDate { get; init; }
    public bool? IsCompilation { get; init; }
    public IReadOnlyList<DiscTitle>? DiscTitles { get; init; }
    public IReadOnlyList<Child>? Song { get; init; }
}

public sealed record ArtistID3
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? CoverArt { get; init; }
    public int? AlbumCount { get; init; }
    public DateTimeOffset? Starred { get; init; }
    public int? UserRating { get; init; }
    public string? MusicBrainzId { get; init; }
    public string? SortName { get; init; }
    public IReadOnlyList<string>? Roles { get; init; }
    public IReadOnlyList<AlbumID3>? Album { get; init; }
}

/// <summary>An artist in folder browsing (getIndexes, search2, getStarred).</summary>
public sealed record Artist(string Id, string Name, DateTimeOffset? Starred = null, int? UserRating = null);

public sealed record ArtistIndex(string Name, IReadOnlyList<Artist> Artist);
public sealed record Indexes(string IgnoredArticles, long LastModified, IReadOnlyList<ArtistIndex> Index, IReadOnlyList<Child>? Child);
public sealed record IndexID3(string Name, IReadOnlyList<ArtistID3> Artist);
public sealed record ArtistsID3(string IgnoredArticles, IReadOnlyList<IndexID3> Index);

public sealed record MusicDirectory(string Id, string? Parent, string Name, DateTimeOffset? Starred, int? UserRating, long? PlayCount, IReadOnlyList<Child> Child);

public sealed record Genre([property: TextValue] string Value, long SongCount, long AlbumCount);
public sealed record Genres(IReadOnlyList<Genre> Genre);

public sealed record AlbumList(IReadOnlyList<Child> Album);
public sealed record AlbumList2(IReadOnlyList<AlbumID3> Album);
/// <summary>randomSongs, songsByGenre, similarSongs(2), topSongs: all a list of songs.</summary>
public sealed record Songs(IReadOnlyList<Child> Song);
public sealed record SearchResult2(IReadOnlyList<Artist> Artist, IReadOnlyList<Child> Album, IReadOnlyList<Child> Song);
public sealed record SearchResult3(IReadOnlyList<ArtistID3> Artist, IReadOnlyList<AlbumID3> Album, IReadOnlyList<Child> Song);

public sealed record ArtistInfo(string? Biography, string? MusicBrainzId, IReadOnlyList<Artist> SimilarArtist);
public sealed record ArtistInfo2(string? Biography, string? MusicBrainzId, IReadOnlyList<ArtistID3> SimilarArtist);
public sealed record AlbumInfo(string? Notes, string? MusicBrainzId);

public sealed record NowPlayingEntry([property: Inline] Child Song, string Username, int MinutesAgo, long PlayerId, string? PlayerName);
public sealed record NowPlaying(IReadOnlyList<NowPlayingEntry> Entry);

public sealed record Playlist
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? Comment { get; init; }
    public string? Owner { get; init; }
    public bool Public { get; init; }
    public int SongCount { get; init; }
    public int Duration { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Changed { get; init; }
    public string? CoverArt { get; init; }
    public bool? Readonly { get; init; }
    public IReadOnlyList<Child>? Entry { get; init; }
}
public sealed record Playlists(IReadOnlyList<Playlist> Playlist);

public sealed record Lyrics(string? Artist, string? Title, [property: TextValue] string Value);
public sealed record LyricsLine(long? Start, [property: TextValue] string Value);
public sealed record StructuredLyrics(string? DisplayArtist, string? DisplayTitle, string Lang, long? Offset, bool Synced, IReadOnlyList<LyricsLine> Line);
public sealed record LyricsList(IReadOnlyList<StructuredLyrics> StructuredLyrics);

public sealed record Bookmark(long Position, string Username, string? Comment, DateTimeOffset Created, DateTimeOffset Changed, Child Entry);
public sealed record Bookmarks(IReadOnlyList<Bookmark> Bookmark);
public sealed record PlayQueue(string? Current, long? Position, string Username, DateTimeOffset Changed, string ChangedBy, IReadOnlyList<Child> Entry);
public sealed record PlayQueueByIndex(int? CurrentIndex, long? Position, string Username, DateTimeOffset Changed, string ChangedBy, IReadOnlyList<Child> Entry);

public sealed record Share(string Id, string Url, string? Description, string Username, DateTimeOffset Created, DateTimeOffset? Expires,
    DateTimeOffset? LastVisited, long VisitCount, IReadOnlyList<Child> Entry);
public sealed record Shares(IReadOnlyList<Share> Share);

public sealed record InternetRadioStation(string Id, string Name, string StreamUrl, string? HomePageUrl);
public sealed record InternetRadioStations(IReadOnlyList<InternetRadioStation> InternetRadioStation);

public sealed record UserInfo
{
    public required string Username { get; init; }
    public string? Email { get; init; }
    public bool ScrobblingEnabled { get; init; } = true;
    public int? MaxBitRate { get; init; }
    public bool AdminRole { get; init; }
    public bool SettingsRole { get; init; }
    public bool DownloadRole { get; init; }
    public bool UploadRole { get; init; }
    public bool PlaylistRole { get; init; }
    public bool CoverArtRole { get; init; }
    public bool CommentRole { get; init; }
    public bool PodcastRole { get; init; }
    public bool StreamRole { get; init; }
    public bool JukeboxRole { get; init; }
    public bool ShareRole { get; init; }
    public bool VideoConversionRole { get; init; }
    public IReadOnlyList<long> Folder { get; init; } = [];
}
public sealed record UsersList(IReadOnlyList<UserInfo> User);

public sealed record Podcasts(IReadOnlyList<PodcastChannelItem> Channel);
public sealed record NewestPodcasts(IReadOnlyList<PodcastEpisodeItem> Episode);

/// <summary>OpenSubsonic PodcastChannel.</summary>
public sealed record PodcastChannelItem
{
    public required string Id { get; init; }
    public required string Url { get; init; }
    public string? Title { get; init; }
    public string? Description { get; init; }
    public string? OriginalImageUrl { get; init; }
    public required string Status { get; init; }
    public string? ErrorMessage { get; init; }
    public IReadOnlyList<PodcastEpisodeItem>? Episode { get; init; }
}

/// <summary>OpenSubsonic PodcastEpisode: a Child (a song-like entry) plus its channel, status and dates.</summary>
public sealed record PodcastEpisodeItem
{
    public required string Id { get; init; }
    public string? Parent { get; init; }
    public bool IsDir { get; init; }
    public required string Title { get; init; }
    public string? Album { get; init; }
    public string? Artist { get; init; }
    public int? Year { get; init; }
    public long? Size { get; init; }
    public string? ContentType { get; init; }
    public string? Suffix { get; init; }
    public int? Duration { get; init; }
    public int? BitRate { get; init; }
    public bool? IsVideo { get; init; }
    public DateTimeOffset? Created { get; init; }
    public string? Type { get; init; }
    public long? BookmarkPosition { get; init; }
    public string? StreamId { get; init; }
    public required string ChannelId { get; init; }
    public string? Description { get; init; }
    public required string Status { get; init; }
    public DateTimeOffset? PublishDate { get; init; }
}
