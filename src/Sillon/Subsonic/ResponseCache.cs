using System.Collections.Frozen;
using Microsoft.Extensions.Caching.Memory;
using Sillon.Catalog;
using Sillon.Data;
using Sillon.Observability;

namespace Sillon.Subsonic;

/// <summary>
/// Finished answers of the read-only browsing endpoints, per user and exact request, served again for
/// as long as neither the catalog nor that user's annotations changed. Clients ask the same things over
/// and over (a home screen's album lists on every visit, an album page on every return); building one
/// costs about a millisecond of SQL, mapping and writing, answering it from here a few microseconds.
/// Staleness is ruled out by the change counters (<see cref="CatalogChanges"/>), read from the database
/// on every request: one indexed read, and right on every node of a cluster, whoever wrote.
/// </summary>
public sealed class ResponseCache : IDisposable
{
    public sealed record Entry(long Catalog, long User, byte[] Body, string ContentType)
    {
        private byte[]? _gzipped;

        /// <summary>
        /// The body gzip-compressed, made on the first hit by a client that takes it and kept with the
        /// entry (not counted in the cache's size: a fifth or less of the body); null for an answer
        /// too small to gain from it. Compressed at zlib's fastest level: an entry may be asked for only
        /// once more, and a repeated answer is what a client on a slow link waits for.
        /// </summary>
        public byte[]? Gzipped()
        {
            if (Body.Length < MinCompressedBytes) return null;
            if (Volatile.Read(ref _gzipped) is { } done) return done;
            // Two first hits at once both compress; either result is the same answer.
            var gzipped = SubsonicEndpoints.Gzip(Body);
            return Volatile.Read(ref _gzipped) ?? (_gzipped = gzipped);
        }
    }

    /// <summary>Below this an answer goes as it is: a few packets either way.</summary>
    public const int MinCompressedBytes = 2048;

    // Deterministic answers only: nothing random, nothing that moves with the clock (now playing,
    // podcasts, flow), nothing with side effects. getArtists is not here: ArtistShelf keeps it serialized.
    private static readonly FrozenSet<string> Endpoints = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "getAlbumList", "getAlbumList2", "getAlbum", "getArtist", "getIndexes", "getMusicDirectory",
        "getSong", "getGenres", "getStarred", "getStarred2", "getSongsByGenre", "search2", "search3");

    // Who asks is part of the key (the user id), how they authenticate and which client they use are not.
    private static readonly FrozenSet<string> NotInKey = FrozenSet.Create(StringComparer.Ordinal, "u", "p", "t", "s", "apiKey", "c", "v");

    private readonly Database _db;
    private readonly SillonMetrics _metrics;
    private readonly MemoryCache _entries;
    private readonly int _maxEntryBytes;
    private readonly long _maxFolderIndexBytes;

    public ResponseCache(Database db, SillonMetrics metrics, IConfiguration configuration)
    {
        _db = db;
        _metrics = metrics;
        var megabytes = Math.Max(0, configuration.GetValue("Subsonic:ResponseCacheMegabytes", 32));
        Enabled = megabytes > 0;
        _entries = new MemoryCache(new MemoryCacheOptions { SizeLimit = Math.Max(1, megabytes) * 1024L * 1024L, CompactionPercentage = 0.25 });
        // A sync page of 500 songs is asked once; keeping it would push out the answers asked again.
        _maxEntryBytes = Math.Max(1024, configuration.GetValue("Subsonic:ResponseCacheMaxEntryKilobytes", 256) * 1024);
        // The folder index is the exception: every folder-browsing client asks for it whole at each
        // start, and a library of 50,000 artist folders makes it megabytes. It may take a quarter.
        _maxFolderIndexBytes = Math.Max(1, megabytes) * 1024L * 1024L / 4;
    }

    public bool Enabled { get; }

    public bool Applies(string endpoint, SubsonicParams p) =>
        Enabled && Endpoints.Contains(endpoint) && !(endpoint.StartsWith("getAlbumList", StringComparison.OrdinalIgnoreCase) && p.Get("type") == "random");

    public static string Key(string endpoint, long userId, SubsonicParams p) =>
        $"{endpoint.ToLowerInvariant()}|{userId}|{p.Canonical(NotInKey)}";

    public async Task<(long Catalog, long User)> VersionAsync(long userId, CancellationToken ct)
    {
        await using var c = await _db.OpenAsync(ct);
        return await CatalogChanges.ReadAsync(c, userId, ct);
    }

    public Entry? Find(string key, (long Catalog, long User) version)
    {
        var entry = _entries.Get<Entry>(key);
        var hit = entry is not null && entry.Catalog == version.Catalog && entry.User == version.User;
        _metrics.SubsonicCache(hit);
        return hit ? entry : null;
    }

    /// <summary>
    /// Keeps an answer built after <paramref name="version"/> was read: if anything changed meanwhile,
    /// the counters moved past it and the next request rebuilds. Null when it is too big to keep.
    /// </summary>
    public Entry? Store(string key, (long Catalog, long User) version, byte[] body, string contentType)
    {
        var folderIndex = key.StartsWith("getindexes|", StringComparison.Ordinal);
        if (body.Length > (folderIndex ? _maxFolderIndexBytes : _maxEntryBytes)) return null;
        var entry = new Entry(version.Catalog, version.User, body, contentType);
        _entries.Set(key, entry, new MemoryCacheEntryOptions { Size = body.Length + key.Length * 2 + 64 });
        return entry;
    }

    public void Dispose() => _entries.Dispose();
}
