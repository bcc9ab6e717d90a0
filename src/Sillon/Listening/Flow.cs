using System.Data.Common;
using Dapper;
using Sillon.Catalog;
using Sillon.Data;

namespace Sillon.Listening;

public enum FlowSeedKind { Track, Album, Artist }

/// <summary>The item an instant mix starts from.</summary>
public sealed record FlowSeed(FlowSeedKind Kind, long Id)
{
    public static FlowSeed? Parse(string value) =>
        CatalogIds.TryParse(value, CatalogIds.Track, out var id) ? new(FlowSeedKind.Track, id)
        : CatalogIds.TryParse(value, CatalogIds.Album, out id) ? new(FlowSeedKind.Album, id)
        : CatalogIds.TryParse(value, CatalogIds.Artist, out id) ? new(FlowSeedKind.Artist, id)
        : null;
}

/// <summary>
/// Flow, the listener's endless radio, and the instant mix from a track, album or artist.
///
/// Seeds are what the listener loves (starred, rated 4+) and plays (weighted by plays, lowered by
/// skips), or the mix's item. Pools of candidates come from them, each bounded by an index and a
/// LIMIT so that a request never reads the whole history: the seeds themselves; the seed artists'
/// tracks; the artists that listeners of the seed artists also play on this server (co-listening,
/// from per-user artist play counts in annotations); tracks of the seeds' genres and era; tracks
/// credited to the seeds' MusicBrainz artist ids; what was played lately on the server; and tracks
/// never heard. Track and artist skips scale the scores down; <see cref="FlowMixer"/> samples.
/// The last suggestions are remembered per user (flow_suggestions) so an endless stream does not
/// repeat itself within <see cref="SuggestionWindow"/> suggestions or <see cref="PlayWindow"/> plays.
/// </summary>
public sealed class Flow(Database db, TimeProvider time)
{
    public const int MaxCount = 100;
    public const int SuggestionWindow = 100;
    public const int PlayWindow = 50;
    private const int MaxSeeds = 100;
    private const int TopArtists = 12;
    private const int CoArtists = 10;
    private const int CoListeners = 50;
    private const int PerGenre = 120;

    /// <summary>Any text is a seed: numbers are used as they are, anything else is hashed (stable across runs, unlike string.GetHashCode).</summary>
    public static int SeedFrom(string text)
    {
        if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n)) return n;
        var hash = 2166136261u;
        foreach (var ch in text.Length > 200 ? text[..200] : text) hash = (hash ^ ch) * 16777619u;
        return (int)(hash & 0x7fffffff);
    }

    /// <summary>The next tracks; null when the mix's item does not exist.</summary>
    public async Task<IReadOnlyList<FlowPick>?> NextAsync(long userId, int count, int seed, FlowSeed? mix, bool remember, CancellationToken ct)
    {
        count = Math.Clamp(count, 1, 500);
        await using var c = await db.OpenAsync(ct);
        var state = await CandidatesAsync(c, userId, seed, mix, ct);
        if (state is null) return null;
        var picks = FlowMixer.Pick(state.Value.Candidates.Values, state.Value.Window, count, new Random(seed));
        if (remember && picks.Count > 0) await RememberAsync(c, userId, picks, ct);
        return picks;
    }

    /// <summary>Every candidate with its score, for tests and the benchmark to look inside.</summary>
    internal async Task<IReadOnlyDictionary<long, FlowCandidate>?> ScoresAsync(long userId, int seed, FlowSeed? mix, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await CandidatesAsync(c, userId, seed, mix, ct))?.Candidates;
    }

    private sealed record Annotation(long Id, long Plays, long Skips, bool Loved);

    private async Task<(Dictionary<long, FlowCandidate> Candidates, HashSet<long> Window)?> CandidatesAsync(
        DbConnection c, long userId, int seed, FlowSeed? mix, CancellationToken ct)
    {
        var tracks = await AnnotationsAsync(c, userId, "track", ct);
        var artists = await AnnotationsAsync(c, userId, "artist", ct);
        var candidates = new Dictionary<long, FlowCandidate>();
        FlowCandidate Candidate(long id) => candidates.TryGetValue(id, out var x) ? x : candidates[id] = new FlowCandidate(id);

        // ---- seeds: (track → weight, reason)
        var seeds = new Dictionary<long, (double Weight, FlowReason Reason)>();
        string? mixName = null;
        if (mix is not null)
        {
            var (name, ids) = await MixSeedAsync(c, mix, ct);
            if (ids.Count == 0) return null;
            mixName = name;
            foreach (var id in ids) seeds[id] = (1.0, new FlowReason("mix", name, null, false));
        }
        else
        {
            foreach (var a in tracks.Values)
            {
                var played = Math.Min(1.0, Math.Log2(1 + a.Plays) / 4) * FlowMixer.SkipFactor(a.Plays, a.Skips);
                if (a.Loved) seeds[a.Id] = (Math.Max(1.0, played), new FlowReason("loved", null, null, false));
                else if (played > 0) seeds[a.Id] = (played, new FlowReason("played", null, null, false));
            }
            foreach (var id in await LovedAlbumTracksAsync(c, userId, ct))
                if (!seeds.ContainsKey(id)) seeds[id] = (0.8, new FlowReason("loved", null, null, false));
        }
        var seedIds = seeds.OrderByDescending(s => s.Value.Weight).ThenBy(s => s.Key).Take(MaxSeeds).Select(s => s.Key).ToList();
        var info = await TrackInfoAsync(c, seedIds, ct);
        // Reasons name the seed track (a mix names its item).
        var seedReasons = seedIds.ToDictionary(id => id, id => seeds[id].Reason with { Name = mixName ?? info.Titles.GetValueOrDefault(id) });

        // ---- the seeds themselves (Flow only: a mix is about what is near its item, and a track mix never returns the track)
        if (mix is null)
            foreach (var id in seedIds) Candidate(id).Add(0.7 * seeds[id].Weight, seedReasons[id]);
        else if (mix.Kind != FlowSeedKind.Track)
            foreach (var id in seedIds) Candidate(id).Add(0.5, seedReasons[id]);

        // ---- artist affinity: seeds by the artist, the artist's own plays and stars, less its skips
        var affinity = new Dictionary<long, (double Weight, FlowReason Reason, double Best)>();
        void Affine(long artist, double weight, FlowReason reason)
        {
            var (w, r, best) = affinity.GetValueOrDefault(artist);
            affinity[artist] = weight > best ? (w + weight, reason, weight) : (w + weight, r ?? reason, best);
        }
        foreach (var id in seedIds)
            foreach (var artist in info.Artists[id]) Affine(artist, seeds[id].Weight, seedReasons[id]);
        if (mix is null)
        {
            var names = await ArtistNamesAsync(c, artists.Values.Where(a => a.Loved).Select(a => a.Id), ct);
            foreach (var a in artists.Values)
            {
                var weight = (a.Loved ? 1.0 : 0) + Math.Min(1.0, Math.Log2(1 + a.Plays) / 5);
                if (weight > 0 && (affinity.ContainsKey(a.Id) || a.Loved))
                    Affine(a.Id, weight, a.Loved ? new FlowReason("loved", names.GetValueOrDefault(a.Id), null, false) : affinity[a.Id].Reason);
            }
        }
        var topArtists = affinity
            .Select(a => (Id: a.Key, Weight: a.Value.Weight * (artists.TryGetValue(a.Key, out var an) ? FlowMixer.SkipFactor(an.Plays, an.Skips) : 1), a.Value.Reason))
            .OrderByDescending(a => a.Weight).ThenBy(a => a.Id).Take(TopArtists).ToList();
        var maxAffinity = topArtists.Count > 0 ? topArtists[0].Weight : 1;
        var artistTracks = await ArtistTracksAsync(c, topArtists.Select(a => a.Id), ct);
        foreach (var a in topArtists)
            foreach (var id in artistTracks[a.Id]) Candidate(id).Add(a.Weight / maxAffinity, a.Reason);

        // ---- co-listening: what the other listeners of my top artists also play
        var co = await CoListenedAsync(c, userId, topArtists.Take(5).ToDictionary(a => a.Id, a => a.Weight / maxAffinity), ct);
        if (co.Count > 0)
        {
            var coNames = await ArtistNamesAsync(c, co.Select(x => x.Because), ct);
            var coTracks = await ArtistTracksAsync(c, co.Select(x => x.Artist), ct);
            var maxCo = co[0].Weight;
            foreach (var x in co)
                foreach (var id in coTracks[x.Artist]) Candidate(id).Add(0.8 * x.Weight / maxCo, new FlowReason("listeners", coNames.GetValueOrDefault(x.Because), null, false));
        }

        // ---- genres and era of the seeds
        var genreWeights = seedIds.SelectMany(id => info.Genres[id].Select(g => (Genre: g, Track: id, seeds[id].Weight)))
            .GroupBy(g => g.Genre)
            .Select(g => (Genre: g.Key, Weight: g.Sum(x => x.Weight), Best: g.OrderByDescending(x => x.Weight).ThenBy(x => x.Track).First().Track))
            .OrderByDescending(g => g.Weight).ThenBy(g => g.Genre.Id).Take(3).ToList();
        foreach (var g in genreWeights)
        {
            // The era is that of the genre's strongest seed: a listener of 60s jazz and 2020s pop wants neither 90s jazz nor 60s pop.
            int? era = info.Years.TryGetValue(g.Best, out var y) ? y : null;
            var name = mixName ?? info.Titles.GetValueOrDefault(g.Best);
            foreach (var id in await GenreTracksAsync(c, g.Genre.Id, era, new Random(seed ^ (int)g.Genre.Id), ct))
                Candidate(id).Add(0.25 + 0.25 * g.Weight / genreWeights[0].Weight, new FlowReason("genre", name, g.Genre.Name, false));
        }

        // ---- MusicBrainz: tracks credited to the seeds' MusicBrainz artist ids
        var mbz = seedIds.Where(id => info.Mbz.ContainsKey(id)).GroupBy(id => info.Mbz[id]).Take(10).ToDictionary(g => g.Key, g => g.First());
        if (mbz.Count > 0)
            foreach (var (id, artistMbz) in await c.QueryAsync<(long, string)>(new CommandDefinition(
                "SELECT id, mbz_artist_id FROM tracks WHERE mbz_artist_id IN @keys LIMIT 500", new { keys = mbz.Keys.ToList() }, cancellationToken: ct)))
                Candidate(id).Add(0.6, new FlowReason("related", mixName ?? info.Titles.GetValueOrDefault(mbz[artistMbz]), null, false));

        if (mix is null)
        {
            // ---- lately on this server (also what a listener with no history starts from)
            var popular = (await c.QueryAsync<long>(new CommandDefinition(
                "SELECT track_id FROM play_events WHERE skipped = 0 ORDER BY played_at DESC LIMIT 300", cancellationToken: ct)))
                .GroupBy(id => id).Select(g => (Id: g.Key, Plays: g.Count())).ToList();
            var maxPopular = popular.Count > 0 ? popular.Max(p => p.Plays) : 1;
            foreach (var p in popular) Candidate(p.Id).Add(0.2 * p.Plays / maxPopular, new FlowReason("popular", null, null, false));
            // ---- never heard: a window of the catalog at a seeded place
            foreach (var id in await DiscoveryAsync(c, new Random(seed ^ 0x5f3759df), ct))
                if (!tracks.ContainsKey(id)) Candidate(id).Add(0.1, new FlowReason("new", null, null, true));
        }
        if (mix?.Kind == FlowSeedKind.Track) candidates.Remove(mix.Id);

        // ---- skips, primary artists, what is new to the listener
        var primary = await PrimaryArtistsAsync(c, candidates.Keys, ct);
        foreach (var x in candidates.Values)
        {
            x.ArtistId = primary.GetValueOrDefault(x.TrackId);
            if (tracks.TryGetValue(x.TrackId, out var t)) { x.Heard = t.Plays + t.Skips > 0; x.Scale(FlowMixer.SkipFactor(t.Plays, t.Skips)); }
            if (artists.TryGetValue(x.ArtistId, out var a)) x.Scale(FlowMixer.SkipFactor(a.Plays, a.Skips));
            if (!x.Heard) x.MarkNew();
        }
        var window = mix is null ? await WindowAsync(c, userId, ct) : [];
        return (candidates, window);
    }

    private static async Task<Dictionary<long, Annotation>> AnnotationsAsync(DbConnection c, long userId, string kind, CancellationToken ct) =>
        (await c.QueryAsync<(long Id, long Plays, long Skips, long Loved)>(new CommandDefinition("""
            SELECT item_id, play_count, skip_count, CASE WHEN starred_at IS NOT NULL OR rating >= 4 THEN 1 ELSE 0 END
            FROM annotations WHERE user_id = @userId AND item_kind = @kind AND (play_count > 0 OR skip_count > 0 OR starred_at IS NOT NULL OR rating >= 4)
            """, new { userId, kind }, cancellationToken: ct)))
            .ToDictionary(a => a.Id, a => new Annotation(a.Id, a.Plays, a.Skips, a.Loved == 1));

    private static async Task<IEnumerable<long>> LovedAlbumTracksAsync(DbConnection c, long userId, CancellationToken ct) =>
        await c.QueryAsync<long>(new CommandDefinition("""
            SELECT t.id FROM annotations an JOIN tracks t ON t.album_id = an.item_id
            WHERE an.user_id = @userId AND an.item_kind = 'album' AND (an.starred_at IS NOT NULL OR an.rating >= 4)
            ORDER BY t.id LIMIT 300
            """, new { userId }, cancellationToken: ct));

    private static async Task<(string? Name, List<long> Tracks)> MixSeedAsync(DbConnection c, FlowSeed mix, CancellationToken ct)
    {
        var (name, tracks) = mix.Kind switch
        {
            FlowSeedKind.Track => ("SELECT title FROM tracks WHERE id = @id", "SELECT id FROM tracks WHERE id = @id"),
            FlowSeedKind.Album => ("SELECT name FROM albums WHERE id = @id", "SELECT id FROM tracks WHERE album_id = @id ORDER BY id LIMIT 200"),
            _ => ("SELECT name FROM artists WHERE id = @id",
                "SELECT track_id FROM track_artists WHERE artist_id = @id AND role IN ('artist', 'albumartist') GROUP BY track_id ORDER BY track_id LIMIT 200"),
        };
        var args = new { id = mix.Id };
        return (await c.ExecuteScalarAsync<string?>(new CommandDefinition(name, args, cancellationToken: ct)),
            (await c.QueryAsync<long>(new CommandDefinition(tracks, args, cancellationToken: ct))).ToList());
    }

    private sealed record SeedInfo(Dictionary<long, string> Titles, Dictionary<long, int> Years, Dictionary<long, string> Mbz,
        ILookup<long, long> Artists, ILookup<long, (long Id, string Name)> Genres);

    private static async Task<SeedInfo> TrackInfoAsync(DbConnection c, List<long> ids, CancellationToken ct)
    {
        var args = new { ids = c.Dialect().Ids(ids) };
        var rows = (await c.QueryAsync<(long Id, string Title, long? Year, string? Mbz)>(new CommandDefinition(
            $"SELECT id, title, year, mbz_artist_id FROM tracks WHERE id IN ({c.Dialect().IdList("@ids")})", args, cancellationToken: ct))).ToList();
        var artists = (await c.QueryAsync<(long Track, long Artist)>(new CommandDefinition(
            $"SELECT track_id, artist_id FROM track_artists WHERE role = 'artist' AND track_id IN ({c.Dialect().IdList("@ids")}) ORDER BY track_id, position",
            args, cancellationToken: ct))).ToLookup(a => a.Track, a => a.Artist);
        var genres = (await c.QueryAsync<(long Track, long Id, string Name)>(new CommandDefinition($"""
            SELECT tg.track_id, g.id, g.name FROM track_genres tg JOIN genres g ON g.id = tg.genre_id
            WHERE tg.track_id IN ({c.Dialect().IdList("@ids")}) ORDER BY tg.track_id, tg.position
            """, args, cancellationToken: ct))).ToLookup(g => g.Track, g => (g.Id, g.Name));
        return new SeedInfo(rows.ToDictionary(r => r.Id, r => r.Title),
            rows.Where(r => r.Year is > 0).ToDictionary(r => r.Id, r => (int)r.Year!.Value),
            rows.Where(r => !string.IsNullOrEmpty(r.Mbz)).ToDictionary(r => r.Id, r => r.Mbz!), artists, genres);
    }

    private static async Task<Dictionary<long, string>> ArtistNamesAsync(DbConnection c, IEnumerable<long> ids, CancellationToken ct) =>
        (await c.QueryAsync<(long Id, string Name)>(new CommandDefinition(
            $"SELECT id, name FROM artists WHERE id IN ({c.Dialect().IdList("@ids")})", new { ids = c.Dialect().Ids(ids.Distinct()) }, cancellationToken: ct)))
            .ToDictionary(a => a.Id, a => a.Name);

    private static async Task<ILookup<long, long>> ArtistTracksAsync(DbConnection c, IEnumerable<long> artistIds, CancellationToken ct) =>
        (await c.QueryAsync<(long Artist, long Track)>(new CommandDefinition($"""
            SELECT artist_id, track_id FROM track_artists WHERE role = 'artist' AND artist_id IN ({c.Dialect().IdList("@ids")}) LIMIT 5000
            """, new { ids = c.Dialect().Ids(artistIds) }, cancellationToken: ct))).ToLookup(x => x.Artist, x => x.Track);

    /// <summary>
    /// Artists that co-occur with the given ones in other listeners' plays: each listener of a seed
    /// artist (the heaviest first, bounded) votes for the artists they play, in proportion to the
    /// share of their plays, weighted by how much the seed artist counts for me.
    /// </summary>
    private static async Task<List<(long Artist, double Weight, long Because)>> CoListenedAsync(
        DbConnection c, long userId, Dictionary<long, double> seedArtists, CancellationToken ct)
    {
        if (seedArtists.Count == 0) return [];
        // Per artist, its heaviest listeners straight off the (item_kind, item_id, play_count) index: no sort of all its listeners.
        var listeners = new List<(long User, long Artist, long Plays)>();
        foreach (var artist in seedArtists.Keys.Order())
            listeners.AddRange(await c.QueryAsync<(long User, long Artist, long Plays)>(new CommandDefinition($"""
                SELECT user_id, item_id, play_count FROM annotations
                WHERE item_kind = 'artist' AND item_id = @artist AND play_count > 0 AND user_id <> @userId
                ORDER BY play_count DESC, user_id LIMIT {CoListeners / seedArtists.Count + 1}
                """, new { artist, userId }, cancellationToken: ct)));
        if (listeners.Count == 0) return [];
        var users = listeners.Select(l => l.User).Distinct().ToList();
        var plays = (await c.QueryAsync<(long User, long Artist, long Plays)>(new CommandDefinition($"""
            SELECT user_id, item_id, play_count FROM annotations
            WHERE user_id IN ({c.Dialect().IdList("@users")}) AND item_kind = 'artist' AND play_count > 0
            """, new { users = c.Dialect().Ids(users) }, cancellationToken: ct))).ToLookup(p => p.User);
        var votes = new Dictionary<long, (double Weight, long Because, double Best)>();
        foreach (var (user, seedArtist, _) in listeners)
        {
            var total = (double)plays[user].Sum(p => p.Plays);
            foreach (var p in plays[user])
            {
                if (seedArtists.ContainsKey(p.Artist)) continue;
                var vote = seedArtists[seedArtist] * p.Plays / total;
                var (w, because, best) = votes.GetValueOrDefault(p.Artist);
                votes[p.Artist] = vote > best ? (w + vote, seedArtist, vote) : (w + vote, because, best);
            }
        }
        return votes.Select(v => (v.Key, v.Value.Weight, v.Value.Because))
            .OrderByDescending(v => v.Weight).ThenBy(v => v.Key).Take(CoArtists).ToList();
    }

    /// <summary>
    /// A seeded sample of a genre's tracks within three years of the era (any year when the seeds
    /// have none): the tracks from a seeded place in the genre's id range onwards, wrapping around.
    /// A range of the (genre_id, track_id) index, never a sort of the whole genre.
    /// </summary>
    private static async Task<List<long>> GenreTracksAsync(DbConnection c, long genreId, int? era, Random random, CancellationToken ct)
    {
        var range = await c.QuerySingleAsync<(long? Min, long? Max)>(new CommandDefinition("""
            SELECT (SELECT MIN(track_id) FROM track_genres WHERE genre_id = @genreId), (SELECT MAX(track_id) FROM track_genres WHERE genre_id = @genreId)
            """, new { genreId }, cancellationToken: ct));
        if (range.Min is null || range.Max is null) return [];
        var pivot = range.Min.Value + (long)(random.NextDouble() * (range.Max.Value - range.Min.Value + 1));
        string Sql(string op) => $"""
            SELECT tg.track_id FROM track_genres tg JOIN tracks t ON t.id = tg.track_id
            WHERE tg.genre_id = @genreId AND tg.track_id {op} @pivot {(era is null ? "" : "AND t.year BETWEEN @from AND @to")}
            ORDER BY tg.track_id LIMIT @n
            """;
        var args = new { genreId, pivot, from = era - 3, to = era + 3, n = PerGenre };
        var ids = (await c.QueryAsync<long>(new CommandDefinition(Sql(">="), args, cancellationToken: ct))).ToList();
        if (ids.Count < PerGenre)
            ids.AddRange(await c.QueryAsync<long>(new CommandDefinition(Sql("<"), args with { n = PerGenre - ids.Count }, cancellationToken: ct)));
        return ids;
    }

    /// <summary>200 consecutive ids from a seeded place in the catalog, wrapping around: cheap (one index range), different per seed.</summary>
    private static async Task<List<long>> DiscoveryAsync(DbConnection c, Random random, CancellationToken ct)
    {
        var (min, max) = await c.QuerySingleAsync<(long? Min, long? Max)>(new CommandDefinition("SELECT (SELECT MIN(id) FROM tracks), (SELECT MAX(id) FROM tracks)", cancellationToken: ct));
        if (min is null || max is null) return [];
        var pivot = min.Value + (long)(random.NextDouble() * (max.Value - min.Value + 1));
        var ids = (await c.QueryAsync<long>(new CommandDefinition("SELECT id FROM tracks WHERE id >= @pivot ORDER BY id LIMIT 200", new { pivot }, cancellationToken: ct))).ToList();
        if (ids.Count < 200)
            ids.AddRange(await c.QueryAsync<long>(new CommandDefinition("SELECT id FROM tracks WHERE id < @pivot ORDER BY id LIMIT @n",
                new { pivot, n = 200 - ids.Count }, cancellationToken: ct)));
        return ids;
    }

    private static async Task<Dictionary<long, long>> PrimaryArtistsAsync(DbConnection c, IEnumerable<long> trackIds, CancellationToken ct) =>
        (await c.QueryAsync<(long Track, long Artist)>(new CommandDefinition($"""
            SELECT track_id, artist_id FROM track_artists WHERE role = 'artist' AND position = 0 AND track_id IN ({c.Dialect().IdList("@ids")})
            """, new { ids = c.Dialect().Ids(trackIds) }, cancellationToken: ct)))
            .GroupBy(x => x.Track).ToDictionary(g => g.Key, g => g.First().Artist);

    private static async Task<HashSet<long>> WindowAsync(DbConnection c, long userId, CancellationToken ct)
    {
        var args = new { userId };
        var played = await c.QueryAsync<long>(new CommandDefinition(
            $"SELECT track_id FROM play_events WHERE user_id = @userId ORDER BY played_at DESC, id DESC LIMIT {PlayWindow}", args, cancellationToken: ct));
        var suggested = await c.QueryAsync<long>(new CommandDefinition(
            $"SELECT track_id FROM flow_suggestions WHERE user_id = @userId ORDER BY id DESC LIMIT {SuggestionWindow}", args, cancellationToken: ct));
        return [.. played, .. suggested];
    }

    private async Task RememberAsync(DbConnection c, long userId, IReadOnlyList<FlowPick> picks, CancellationToken ct)
    {
        var now = PlayHistory.Iso(time.GetUtcNow());
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("INSERT INTO flow_suggestions (user_id, track_id, suggested_at) VALUES (@userId, @trackId, @now)",
            picks.Select(p => new { userId, trackId = p.TrackId, now }), tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition($"""
            DELETE FROM flow_suggestions WHERE user_id = @userId AND id <= (
                SELECT id FROM flow_suggestions WHERE user_id = @userId ORDER BY id DESC LIMIT 1 OFFSET {SuggestionWindow})
            """, new { userId }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }
}
