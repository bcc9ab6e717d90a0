using System.Text;
using Dapper;
using Sillon.Catalog;
using Sillon.Data;

namespace Sillon.Subsonic;

/// <summary>
/// The artist list of getArtists, for libraries of any size. Clients fetch it whole at start-up;
/// a personal library gets every artist, but a catalog of a million artists cannot be one
/// response, so past <c>Subsonic:ArtistIndexLimit</c> (default 50,000) it holds the most popular
/// ones (search reaches the rest). The list is read once per catalog change and kept, serialized,
/// per format (<see cref="ArtistIndexDocument"/>); each call only splices in the caller's own stars
/// and ratings. Built per request, 50,000 artists cost a third of a second and 30–40 MB of garbage.
/// </summary>
public sealed partial class ArtistShelf(Database db, TimeProvider time, IConfiguration configuration, ILogger<ArtistShelf> log)
{
    // Settable properties, not a positional record: SQLite reports no type for a computed column of an
    // empty result, which Dapper's constructor matching needs.
    private sealed record Row
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public string SortName { get; init; } = "";
        public string? Mbz { get; init; }
        public long AlbumCount { get; init; }
    }

    private sealed class Shelf(long version, DateTimeOffset until, ArtistsID3 index)
    {
        public long Version { get; } = version;
        public DateTimeOffset Until { get; } = until;
        public ArtistsID3 Index { get; } = index;
        private ArtistIndexDocument? _xml, _json;

        public ArtistIndexDocument? Document(bool json) => json ? _json : _xml;

        /// <summary>The shelf serialized in one format, once; the caller holds <see cref="_building"/>.</summary>
        public ArtistIndexDocument Serialize(bool json) =>
            Document(json) ?? (json ? _json = ArtistIndexDocument.Build(Index, json: true) : _xml = ArtistIndexDocument.Build(Index, json: false));
    }

    // Plays move popularity without changing the catalog, so a shelf is read again after a while; the
    // old one is served meanwhile, since it is right about which artists exist.
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    // One per music folder and one for all (SubsonicCall.MusicFolderAsync refuses ids of no music folder).
    private readonly Dictionary<long, Shelf> _shelves = [];
    private readonly SemaphoreSlim _building = new(1, 1);
    private int _refreshing;

    public int Limit { get; } = Math.Max(1, configuration.GetValue("Subsonic:ArtistIndexLimit", 50_000));

    /// <summary>Writes the getArtists answer for <paramref name="call"/>'s user, of one music folder or all.</summary>
    public async Task WriteAsync(SubsonicCall call, long? folder)
    {
        var ct = call.Ct;
        var json = SubsonicEndpoints.WantsJson(call.Params);
        ArtistIndexDocument document;
        List<(long Id, string? StarredAt, long Rating)> notes;
        await using (var c = await db.OpenAsync(ct))
        {
            var shelf = await ShelfAsync(c, folder, ct);
            document = await DocumentAsync(shelf, json, ct);
            notes = (await c.QueryAsync<(long, string?, long)>(new CommandDefinition(
                """
                SELECT item_id, starred_at, rating FROM annotations
                WHERE user_id = @userId AND item_kind = 'artist' AND (starred_at IS NOT NULL OR rating > 0)
                """,
                new { userId = call.User.Id }, cancellationToken: ct))).ToList();
        }
        var mine = new List<ArtistID3>(notes.Count);
        foreach (var (id, starredAt, rating) in notes)
            if (document.Artist(CatalogIds.Format(CatalogIds.Artist, id)) is { } artist)
                mine.Add(artist with { Starred = SubsonicQueries.Time(starredAt), UserRating = rating > 0 ? (int)rating : null });
        if (SubsonicEndpoints.TakesGzip(call.Http, call.Params))
            await SubsonicEndpoints.SendGzippedAsync(call.Http, call.Params, document.GzippedWith(mine));
        else
            await SubsonicEndpoints.SendAsync(call.Http, call.Params, document.With(mine));
    }

    private async Task<Shelf> ShelfAsync(System.Data.Common.DbConnection c, long? folder, CancellationToken ct)
    {
        var version = await CatalogChanges.CatalogAsync(c, ct);
        var key = folder ?? 0;
        Shelf? shelf;
        lock (_shelves) _shelves.TryGetValue(key, out shelf);
        if (shelf is not null && shelf.Version == version)
        {
            if (shelf.Until <= time.GetUtcNow()) RefreshLater(folder);
            return shelf;
        }
        await _building.WaitAsync(ct);
        try
        {
            lock (_shelves) _shelves.TryGetValue(key, out shelf);
            if (shelf is not null && shelf.Version == version) return shelf;
            shelf = await ReadAsync(c, folder, version, ct);
            lock (_shelves) _shelves[key] = shelf;
            return shelf;
        }
        finally
        {
            _building.Release();
        }
    }

    private void RefreshLater(long? folder)
    {
        if (Interlocked.Exchange(ref _refreshing, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await _building.WaitAsync();
                try
                {
                    await using var c = await db.OpenAsync(CancellationToken.None);
                    var shelf = await ReadAsync(c, folder, await CatalogChanges.CatalogAsync(c, CancellationToken.None), CancellationToken.None);
                    // Put in place ready to send, in the formats clients asked of the old one.
                    Shelf? old;
                    lock (_shelves) _shelves.TryGetValue(folder ?? 0, out old);
                    foreach (var json in new[] { true, false })
                        if (old?.Document(json) is { } was && shelf.Serialize(json) is var now && was.IsCompressed) now.Compress();
                    lock (_shelves) _shelves[folder ?? 0] = shelf;
                }
                finally
                {
                    _building.Release();
                }
            }
            catch (Exception e)
            {
                // The shelf in place keeps being served; the next request after the lifetime tries again.
                LogRefreshFailed(log, e);
            }
            finally
            {
                Volatile.Write(ref _refreshing, 0);
            }
        });
    }

    /// <summary>Reads the shelf of a catalog version; the caller holds <see cref="_building"/> and puts it in place.</summary>
    private async Task<Shelf> ReadAsync(System.Data.Common.DbConnection c, long? folder, long version, CancellationToken ct)
    {
        var inFolder = folder is null ? "" : "AND EXISTS (SELECT 1 FROM track_artists ta JOIN tracks t ON t.id = ta.track_id WHERE ta.artist_id = x.id AND t.root_id = @folder)";
        var rows = (await c.QueryAsync<Row>(new CommandDefinition($"""
            SELECT ar.id AS Id, ar.name AS Name, ar.sort_name AS SortName, ar.mbz_id AS Mbz,
                   ar.album_count AS AlbumCount
            FROM (SELECT x.id FROM artists x WHERE {ArtistAlbums.Has("x")} {inFolder}
                  ORDER BY x.popularity DESC, x.id LIMIT @limit) top
            JOIN artists ar ON ar.id = top.id
            """, new { limit = Limit, folder }, commandTimeout: 0, cancellationToken: ct))).ToList();
        rows.Sort((a, b) => string.CompareOrdinal(a.SortName, b.SortName) is var byName && byName != 0 ? byName : a.Id.CompareTo(b.Id));
        var index = rows.Select(Artist)
            .GroupBy(a => BrowsingHandlers.IndexLetter(a.SortName ?? a.Name))
            .OrderBy(g => g.Key == "#" ? "\uffff" : g.Key, StringComparer.Ordinal)
            .Select(g => new IndexID3(g.Key, g.ToList())).ToList();
        return new Shelf(version, time.GetUtcNow() + Lifetime, new ArtistsID3(BrowsingHandlers.IgnoredArticles, index));
    }

    private static ArtistID3 Artist(Row r)
    {
        var id = CatalogIds.Format(CatalogIds.Artist, r.Id);
        return new ArtistID3 { Id = id, Name = r.Name, CoverArt = id, AlbumCount = (int)r.AlbumCount, MusicBrainzId = r.Mbz ?? "", SortName = r.SortName };
    }

    private async Task<ArtistIndexDocument> DocumentAsync(Shelf shelf, bool json, CancellationToken ct)
    {
        if (shelf.Document(json) is { } ready) return ready;
        await _building.WaitAsync(ct);
        try
        {
            return shelf.Serialize(json);
        }
        finally
        {
            _building.Release();
        }
    }

    /// <summary>
    /// Reads the shelf of all folders once the server is up, so that the first getArtists after a
    /// restart does not wait for it (0.7 s at 13 million tracks, 10 s with the database cold). A
    /// failure is only logged: the first request reads it again.
    /// </summary>
    public async Task WarmAsync(CancellationToken ct)
    {
        try
        {
            await using var c = await db.OpenAsync(ct);
            await ShelfAsync(c, null, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogWarmFailed(log, e);
        }
        catch (OperationCanceledException)
        {
            // The server stops before the shelf was read: nothing to keep.
        }
    }

    /// <summary>Whether a shelf of that folder (null: all) has been read, whatever its version.</summary>
    internal bool Holds(long? folder)
    {
        lock (_shelves) return _shelves.ContainsKey(folder ?? 0);
    }

    /// <summary>Runs <see cref="WarmAsync"/> as the server starts; the host waits for it (or cancels it) when it stops.</summary>
    public sealed class Warmup(ArtistShelf shelf) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => shelf.WarmAsync(stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the artist index; the previous one is still served")]
    private static partial void LogRefreshFailed(ILogger log, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the artist index at start; the first getArtists will")]
    private static partial void LogWarmFailed(ILogger log, Exception e);
}

/// <summary>
/// A getArtists answer serialized once, as a caller with no stars or ratings among its artists gets
/// it, with where each artist lies in it. A caller's own annotated artists are spliced in by
/// writing just those again, so a request costs the bytes sent, not the whole answer rebuilt.
/// </summary>
public sealed class ArtistIndexDocument
{
    private readonly bool _json;
    private readonly byte[] _body;
    private readonly ArtistID3[] _artists;
    private readonly int[] _starts;
    private readonly int[] _lengths;
    private readonly Dictionary<string, int> _positions;

    private ArtistIndexDocument(bool json, byte[] body, ArtistID3[] artists, int[] starts, int[] lengths)
    {
        _json = json;
        _body = body;
        _artists = artists;
        _starts = starts;
        _lengths = lengths;
        _positions = new Dictionary<string, int>(artists.Length, StringComparer.Ordinal);
        for (var i = 0; i < artists.Length; i++) _positions[artists[i].Id] = i;
    }

    /// <summary>The answer in JSON or XML, written by <see cref="SubsonicWriter"/> like any other, then each artist found in it in order.</summary>
    public static ArtistIndexDocument Build(ArtistsID3 index, bool json)
    {
        var response = new SubsonicResponse(null, "artists", index);
        var body = json ? SubsonicWriter.Json(response) : Encoding.UTF8.GetBytes(SubsonicWriter.Xml(response));
        var artists = index.Index.SelectMany(i => i.Artist).ToArray();
        var starts = new int[artists.Length];
        var lengths = new int[artists.Length];
        var at = 0;
        for (var i = 0; i < artists.Length; i++)
        {
            // Each element holds its artist's unique id, and they come in this order: the first match
            // after the previous artist is this one.
            var element = Element(artists[i], json);
            var found = body.AsSpan(at).IndexOf(element);
            if (found < 0) throw new InvalidOperationException($"Artist {artists[i].Id} is not where the writer put it");
            starts[i] = at + found;
            lengths[i] = element.Length;
            at = starts[i] + element.Length;
        }
        return new ArtistIndexDocument(json, body, artists, starts, lengths);
    }

    /// <summary>The artist as stored (no stars, no rating), or null when it is not in this index.</summary>
    public ArtistID3? Artist(string id) => _positions.TryGetValue(id, out var i) ? _artists[i] : null;

    /// <summary>The answer with these artists written as given in place of the stored ones; artists not in the index are ignored.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> With(IEnumerable<ArtistID3> changed) => Splice(0, _body.Length, Edits(changed));

    private List<(int Position, byte[] Element)> Edits(IEnumerable<ArtistID3> changed)
    {
        var edits = new List<(int Position, byte[] Element)>();
        foreach (var artist in changed)
            if (_positions.TryGetValue(artist.Id, out var i)) edits.Add((i, Element(artist, _json)));
        edits.Sort((a, b) => a.Position.CompareTo(b.Position));
        return edits;
    }

    /// <summary>Bytes <paramref name="from"/> to <paramref name="to"/> of the answer with the edits of artists that lie in them.</summary>
    private List<ReadOnlyMemory<byte>> Splice(int from, int to, IEnumerable<(int Position, byte[] Element)> edits)
    {
        var parts = new List<ReadOnlyMemory<byte>>();
        var at = from;
        foreach (var (i, element) in edits)
        {
            if (_starts[i] < at || _starts[i] >= to) continue; // the same artist twice: the first wins
            parts.Add(_body.AsMemory(at, _starts[i] - at));
            parts.Add(element);
            at = _starts[i] + _lengths[i];
        }
        parts.Add(_body.AsMemory(at, to - at));
        return parts;
    }

    /// <summary>
    /// The answer gzip-compressed (HTTP Content-Encoding: gzip), with these artists in place of the
    /// stored ones. The stored answer is compressed once, in pieces of about
    /// <see cref="CompressedPiece"/> bytes that end between two artists, each a run of deflate blocks
    /// ending on a byte boundary (a sync flush) and none the last: pieces joined one after the other
    /// make one deflate stream. A caller's own artists cost the compression of the pieces that hold
    /// them, and a checksum of the whole answer. At 13 million tracks the index of the 50,000 most
    /// popular artists is 6.7 MB, which a phone on a mobile network would otherwise fetch whole
    /// every time a client starts.
    /// </summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> GzippedWith(IEnumerable<ArtistID3> changed)
    {
        var compressed = Compressed();
        var edits = Edits(changed);
        var parts = new List<ReadOnlyMemory<byte>>(compressed.Pieces.Length + 3) { GzipHeader };
        uint crc;
        if (edits.Count == 0)
        {
            parts.AddRange(compressed.Pieces.Select(piece => (ReadOnlyMemory<byte>)piece));
            crc = compressed.Crc;
            parts.Add(Trailer(crc, _body.Length));
            return parts;
        }
        var checksum = new System.IO.Hashing.Crc32();
        long length = 0;
        for (var p = 0; p < compressed.Pieces.Length; p++)
        {
            var (from, to) = (compressed.Bounds[p], compressed.Bounds[p + 1]);
            var mine = edits.Where(e => _starts[e.Position] >= from && _starts[e.Position] < to).ToList();
            var plain = mine.Count == 0 ? [_body.AsMemory(from, to - from)] : Splice(from, to, mine);
            foreach (var part in plain)
            {
                checksum.Append(part.Span);
                length += part.Length;
            }
            parts.Add(mine.Count == 0 ? compressed.Pieces[p] : Deflate(plain, System.IO.Compression.CompressionLevel.Fastest));
        }
        parts.Add(Trailer(checksum.GetCurrentHashAsUInt32(), length));
        return parts;
    }

    /// <summary>Whether the compressed pieces are made (a refresh makes them ahead for the next document).</summary>
    public bool IsCompressed => Volatile.Read(ref _compressed) is not null;

    /// <summary>Makes the compressed pieces now, rather than on the first request that accepts gzip.</summary>
    public void Compress() => Compressed();

    /// <summary>About how many bytes of the answer each compressed piece holds.</summary>
    internal const int CompressedPiece = 64 * 1024;

    private sealed record CompressedPieces(int[] Bounds, byte[][] Pieces, uint Crc);
    private CompressedPieces? _compressed;
    private readonly Lock _compressing = new();

    // Compressed on the first request that accepts gzip, or ahead by a refresh, then kept with the document.
    private CompressedPieces Compressed()
    {
        lock (_compressing)
        {
            if (_compressed is { } done) return done;
            var bounds = new List<int> { 0 };
            foreach (var start in _starts)
                if (start - bounds[^1] >= CompressedPiece) bounds.Add(start);
            bounds.Add(_body.Length);
            var pieces = new byte[bounds.Count - 1][];
            for (var p = 0; p < pieces.Length; p++)
                pieces[p] = Deflate([_body.AsMemory(bounds[p], bounds[p + 1] - bounds[p])], System.IO.Compression.CompressionLevel.Optimal);
            return _compressed = new CompressedPieces([.. bounds], pieces, System.IO.Hashing.Crc32.HashToUInt32(_body));
        }
    }

    /// <summary>
    /// Raw deflate blocks of these bytes, ending with a sync flush and not marked last, so that more
    /// can follow. The stored pieces are made once at zlib's default level (0.5 s for 6.7 MB, to a
    /// sixth); a caller's own pieces at its fastest, per request (about a millisecond a piece).
    /// </summary>
    private static byte[] Deflate(IEnumerable<ReadOnlyMemory<byte>> plain, System.IO.Compression.CompressionLevel level)
    {
        using var output = new MemoryStream();
        var deflate = new System.IO.Compression.DeflateStream(output, level, leaveOpen: true);
        foreach (var part in plain) deflate.Write(part.Span);
        // Flush is zlib's Z_SYNC_FLUSH: all input out, ending on a byte boundary with an empty stored block.
        deflate.Flush();
        var bytes = output.ToArray();
        // Disposing writes the last block, which a piece must not hold: it is left out of the bytes taken above.
        deflate.Dispose();
        return bytes;
    }

    // RFC 1952: magic, deflate, no flags, no time, no extra flags, unknown OS.
    private static readonly byte[] GzipHeader = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

    /// <summary>An empty last deflate block (fixed codes: 0x03 0x00), then the CRC-32 and the length of the answer, little-endian.</summary>
    private static byte[] Trailer(uint crc, long length)
    {
        var trailer = new byte[10];
        trailer[0] = 0x03;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(2), crc);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(6), (uint)length);
        return trailer;
    }

    private static byte[] Element(ArtistID3 artist, bool json) =>
        json ? SubsonicWriter.JsonElement(artist) : Encoding.UTF8.GetBytes(SubsonicWriter.XmlElement("artist", artist));
}
