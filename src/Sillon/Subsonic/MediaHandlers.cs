using Sillon.Accounts;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Sillon.Catalog;
using Sillon.Library;
using Sillon.Streaming;

namespace Sillon.Subsonic;

/// <summary>Media retrieval: stream, download, getCoverArt, getLyrics, getLyricsBySongId, getAvatar.</summary>
public static partial class MediaHandlers
{
    public static void Register(Dictionary<string, SubsonicHandler> h)
    {
        h["stream"] = Stream;
        h["download"] = Download;
        h["getCoverArt"] = GetCoverArt;
        h["getLyrics"] = GetLyrics;
        h["getLyricsBySongId"] = GetLyricsBySongId;
        h["getAvatar"] = call => throw SubsonicErrors.NotFoundError($"Avatar of {call.Params.Get("username") ?? call.User.Name}");
    }

    /// <summary>
    /// stream: the shared <see cref="StreamService"/> decides between the original and a transcode
    /// (format, maxBitRate, timeOffset, the user's and the player's limits); this maps its outcome
    /// to Subsonic errors. Busy transcoders also get Retry-After, for clients that read it.
    /// </summary>
    private static async Task<SubsonicResult> Stream(SubsonicCall call)
    {
        call.RequireRole(Role.Stream, "stream");
        if (PodcastHandlers.IsEpisodeId(call.Params.Get("id"))) return await PodcastHandlers.SendEpisodeAsync(call);
        var id = BrowsingHandlers.RequireId(call, CatalogIds.Track, "Song");
        var request = new Streaming.Transcoding.StreamRequest(call.Params.Get("format"), call.Params.Int("maxBitRate"), Seconds(call, "timeOffset"),
            call.Params.Bool("estimateContentLength") ?? false, call.Client);
        var outcome = await call.Service<StreamService>().StreamAsync(call.Http, id, call.User.Id, request, call.Ct);
        switch (outcome)
        {
            case StreamOutcome.Sent:
                return SubsonicResult.Done;
            case StreamOutcome.NotFound:
                throw SubsonicErrors.NotFoundError("Song");
            case StreamOutcome.Invalid invalid:
                throw new SubsonicException(SubsonicErrors.Generic, invalid.Message);
            case StreamOutcome.Busy busy:
                call.Http.Response.Headers.RetryAfter = busy.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                throw new SubsonicException(SubsonicErrors.Generic, $"Every transcoder is busy; retry in {busy.RetryAfterSeconds} s or ask for format=raw");
            case StreamOutcome.Unavailable unavailable:
                throw new SubsonicException(SubsonicErrors.Generic, unavailable.Message);
            default:
                throw new InvalidOperationException("unknown stream outcome");
        }
    }

    /// <summary>Seconds as a decimal number (transcodeOffset clients may send fractions).</summary>
    private static double? Seconds(SubsonicCall call, string name)
    {
        var s = call.Params.Get(name);
        if (s is null) return null;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw SubsonicErrors.Invalid(name, "not a number");
    }

    private static async Task<SubsonicResult> Download(SubsonicCall call)
    {
        call.RequireRole(Role.Download, "download");
        if (PodcastHandlers.IsEpisodeId(call.Params.Get("id"))) return await PodcastHandlers.SendEpisodeAsync(call);
        var track = await TrackFileAsync(call);
        var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(Path.GetFileName(track.Path));
        call.Http.Response.Headers.ContentDisposition = disposition.ToString();
        await call.Service<FileSender>().SendAsync(call.Http, track.Path, track.ContentType, call.Ct);
        return SubsonicResult.Done;
    }

    private static async Task<TrackFile> TrackFileAsync(SubsonicCall call)
    {
        var id = BrowsingHandlers.RequireId(call, CatalogIds.Track, "Song");
        var track = await call.Service<CatalogQueries>().TrackFileAsync(id, call.Ct) ?? throw SubsonicErrors.NotFoundError("Song");
        if (!File.Exists(track.Path)) throw SubsonicErrors.NotFoundError("Song file");
        return track;
    }

    private static async Task<SubsonicResult> GetCoverArt(SubsonicCall call)
    {
        var value = call.Params.Required("id");
        var size = call.Params.Int("size");
        if (size is <= 0) size = null;
        var albumId = await CoverAlbumAsync(call, value);
        var cover = albumId is { } a ? await call.Service<CoverArt>().AlbumCoverAsync(a, size, call.Ct) : null;
        if (cover is null) throw SubsonicErrors.NotFoundError("Cover art");
        call.Http.Response.Headers.CacheControl = "private, max-age=86400";
        await TypedResults.PhysicalFile(cover.Path, cover.ContentType, lastModified: File.GetLastWriteTimeUtc(cover.Path)).ExecuteAsync(call.Http);
        return SubsonicResult.Done;
    }

    /// <summary>The album whose cover stands for an id of any kind; the connection is closed before the image is read or resized.</summary>
    private static async Task<long?> CoverAlbumAsync(SubsonicCall call, string value)
    {
        if (CatalogIds.TryParse(value, CatalogIds.Album, out var id)) return id;
        await using var c = await call.Service<SubsonicQueries>().OpenAsync(call.Ct);
        long? albumId = null;
        if (CatalogIds.TryParse(value, CatalogIds.Track, out id))
            albumId = await c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT album_id FROM tracks WHERE id = @id", new { id }, cancellationToken: call.Ct));
        else if (CatalogIds.TryParse(value, CatalogIds.Artist, out id))
            albumId = await c.ExecuteScalarAsync<long?>(new CommandDefinition($"""
                SELECT a.id FROM albums a WHERE a.id IN ({ArtistAlbums.Ids("@id")})
                AND (a.cover_path IS NOT NULL OR a.cover_track_id IS NOT NULL) ORDER BY a.year, a.id LIMIT 1
                """, new { id }, cancellationToken: call.Ct));
        else if (CatalogIds.TryParse(value, CatalogIds.Folder, out id))
            albumId = await c.ExecuteScalarAsync<long?>(new CommandDefinition("""
                SELECT t.album_id FROM tracks t JOIN folders d ON d.id = t.folder_id JOIN folders f ON f.id = @id
                WHERE d.path = f.path OR substr(d.path, 1, length(f.path) + 1) = f.path || '/' LIMIT 1
                """, new { id }, cancellationToken: call.Ct));
        else if (CatalogIds.TryParse(value, CatalogIds.Playlist, out id))
            albumId = await c.ExecuteScalarAsync<long?>(new CommandDefinition("""
                SELECT t.album_id FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id JOIN playlists p ON p.id = pt.playlist_id
                WHERE pt.playlist_id = @id AND (p.public = 1 OR p.user_id = @userId) ORDER BY pt.position LIMIT 1
                """, new { id, userId = call.User.Id }, cancellationToken: call.Ct));
        return albumId;
    }

    private static async Task<SubsonicResult> GetLyrics(SubsonicCall call)
    {
        var artist = call.Params.Get("artist");
        var title = call.Params.Get("title");
        if (artist is null && title is null) return SubsonicResult.Of("lyrics", new Lyrics(null, null, ""));
        await using var c = await call.Service<SubsonicQueries>().OpenAsync(call.Ct);
        var row = await c.QueryFirstOrDefaultAsync<(string Artist, string Title, string Lyrics)>(new CommandDefinition("""
            SELECT display_artist, title, lyrics FROM tracks
            WHERE lyrics IS NOT NULL AND lyrics <> '' AND (@title IS NULL OR title = @title COLLATE NOCASE)
              AND (@artist IS NULL OR display_artist = @artist COLLATE NOCASE OR id IN (
                  SELECT ta.track_id FROM track_artists ta JOIN artists ar ON ar.id = ta.artist_id WHERE ar.name = @artist COLLATE NOCASE))
            ORDER BY id LIMIT 1
            """, new { artist, title }, cancellationToken: call.Ct));
        if (row.Lyrics is null) return SubsonicResult.Of("lyrics", new Lyrics(artist, title, ""));
        var parsed = Sillon.Lyrics.LrcParser.Parse(row.Lyrics);
        return SubsonicResult.Of("lyrics", new Lyrics(row.Artist, row.Title, string.Join('\n', parsed.Lines.Select(l => l.Value))));
    }

    private static async Task<SubsonicResult> GetLyricsBySongId(SubsonicCall call)
    {
        var id = BrowsingHandlers.RequireId(call, CatalogIds.Track, "Song");
        var found = await call.Service<Sillon.Lyrics.LyricsReader>().ForTrackAsync(id, call.Ct) ?? throw SubsonicErrors.NotFoundError("Song");
        return SubsonicResult.Of("lyricsList", new LyricsList([.. found.Lyrics.Select(l => new StructuredLyrics(found.Artist, found.Title, l.Lang,
            l.Offset, l.Synced, [.. l.Lines.Select(line => new LyricsLine(line.Start, line.Value))]))]));
    }
}
