using System.Globalization;
using System.Text.Json;
using Dapper;
using Sillon.Catalog;
using Sillon.Data;

namespace Sillon.Playlists;

public sealed record PlaylistSummary(string Id, string Name, string? Comment, string Owner, bool Public, bool Smart, bool Imported,
    int SongCount, double Duration, bool Readonly, string Changed);

/// <summary>A playlist with what the REST API adds to Subsonic's view: its rules, the file it mirrors, and the entries of that file no track matched.</summary>
public sealed record PlaylistDetail(PlaylistSummary Playlist, SmartRuleSet? Rules, string? Source, IReadOnlyList<string> Missing);

public sealed record SmartPlaylistRequest(string? Name, string? Comment, bool? Public, SmartRuleSet? Rules);

public sealed record ExportTrack(string Path, string RootPath, string Title, string Artist, double Duration);

/// <summary>The REST side of playlists: listing with kinds, smart playlist CRUD, and what an M3U8 export needs.</summary>
public sealed class PlaylistStore(Database db, SmartPlaylists smart, TimeProvider time)
{
    public const int MaxName = 500;

    private sealed record Row
    {
        public long Id { get; init; }
        public long UserId { get; init; }
        public string Name { get; init; } = "";
        public string? Comment { get; init; }
        public string Owner { get; init; } = "";
        public long Public { get; init; }
        public string? Rules { get; init; }
        public string? SourcePath { get; init; }
        public string? Missing { get; init; }
        public long SongCount { get; init; }
        public double Duration { get; init; }
        public string UpdatedAt { get; init; } = "";
    }

    private const string Select = """
        SELECT p.id AS Id, p.user_id AS UserId, p.name AS Name, p.comment AS Comment, u.name AS Owner, p.public AS Public, p.rules AS Rules,
            p.source_path AS SourcePath, p.missing AS Missing, p.updated_at AS UpdatedAt,
            (SELECT COUNT(*) FROM playlist_tracks pt WHERE pt.playlist_id = p.id) AS SongCount,
            (SELECT COALESCE(SUM(t.duration), 0.0) FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id WHERE pt.playlist_id = p.id) AS Duration
        FROM playlists p JOIN users u ON u.id = p.user_id
        """;

    private static PlaylistSummary Summary(Row r, long viewer) => new(CatalogIds.Format(CatalogIds.Playlist, r.Id), r.Name, r.Comment, r.Owner,
        r.Public != 0, r.Rules is not null, r.SourcePath is not null, (int)r.SongCount, Math.Round(r.Duration),
        Readonly: r.UserId != viewer || r.Rules is not null || r.SourcePath is not null, r.UpdatedAt);

    public async Task<List<PlaylistSummary>> ListAsync(long viewer, CancellationToken ct)
    {
        await smart.RefreshAsync(viewer, null, ct);
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition($"{Select} WHERE p.user_id = @viewer OR p.public = 1 ORDER BY p.name, p.id",
            new { viewer }, cancellationToken: ct));
        return rows.Select(r => Summary(r, viewer)).ToList();
    }

    /// <summary>A playlist the viewer may see (their own, a public one, or any for an administrator); null otherwise.</summary>
    public async Task<PlaylistDetail?> GetAsync(long id, long viewer, bool admin, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var owner = await c.QuerySingleOrDefaultAsync<(long UserId, long Public)?>(new CommandDefinition(
            "SELECT user_id, public FROM playlists WHERE id = @id", new { id }, cancellationToken: ct));
        if (owner is not { } o || (o.UserId != viewer && o.Public == 0 && !admin)) return null;
        await smart.RefreshAsync(c, viewer, id, ct);
        var r = await c.QuerySingleAsync<Row>(new CommandDefinition($"{Select} WHERE p.id = @id", new { id }, cancellationToken: ct));
        var missing = r.Missing is null ? [] : JsonSerializer.Deserialize<List<string>>(r.Missing) ?? [];
        // The server's file layout is an administrator's business.
        var source = r.SourcePath is null ? null : admin ? r.SourcePath : Path.GetFileName(r.SourcePath);
        return new PlaylistDetail(Summary(r, viewer), r.Rules is null ? null : SmartRules.Parse(r.Rules), source, missing);
    }

    public async Task<long> CreateSmartAsync(long owner, string name, string? comment, bool isPublic, SmartRuleSet rules, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var now = Now();
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO playlists (user_id, name, comment, public, rules, created_at, updated_at) VALUES (@owner, @name, @comment, @isPublic, @rules, @now, @now)
            RETURNING id
            """, new { owner, name, comment, isPublic = isPublic ? 1 : 0, rules = SmartRules.Serialize(rules), now }, cancellationToken: ct));
    }

    public enum Change { Ok, NotFound, NotSmart }

    /// <summary>Changes the owner's smart playlist; what the request leaves out stays as it was.</summary>
    public async Task<Change> UpdateSmartAsync(long id, long owner, SmartPlaylistRequest request, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rules = await c.QuerySingleOrDefaultAsync<(long Found, string? Rules)>(new CommandDefinition(
            "SELECT 1, rules FROM playlists WHERE id = @id AND user_id = @owner", new { id, owner }, cancellationToken: ct));
        if (rules.Found == 0) return Change.NotFound;
        if (rules.Rules is null) return Change.NotSmart;
        await c.ExecuteAsync(new CommandDefinition("""
            UPDATE playlists SET name = COALESCE(@Name, name), comment = COALESCE(@Comment, comment), public = COALESCE(@isPublic, public),
                rules = COALESCE(@rules, rules), updated_at = @now WHERE id = @id
            """, new { request.Name, request.Comment, isPublic = request.Public is { } p ? (p ? 1 : 0) : (int?)null,
                rules = request.Rules is null ? null : SmartRules.Serialize(request.Rules), now = Now(), id }, cancellationToken: ct));
        return Change.Ok;
    }

    public async Task<bool> DeleteAsync(long id, long viewer, bool admin, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition("DELETE FROM playlists WHERE id = @id AND (user_id = @viewer OR @admin = 1)",
            new { id, viewer, admin = admin ? 1 : 0 }, cancellationToken: ct)) > 0;
    }

    public async Task<List<ExportTrack>> ExportTracksAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<ExportTrack>(new CommandDefinition("""
            SELECT t.path AS Path, r.path AS RootPath, t.title AS Title, t.display_artist AS Artist, t.duration AS Duration
            FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id JOIN library_roots r ON r.id = t.root_id
            WHERE pt.playlist_id = @id ORDER BY pt.position
            """, new { id }, cancellationToken: ct))).ToList();
    }

    private string Now() => time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
