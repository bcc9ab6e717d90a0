using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using Sillon.Data;

namespace Sillon.Search;

/// <summary>
/// The full-text indexes (PostgreSQL: <see cref="PostgresSearch"/>; SQLite: FTS5 tables search_tracks, search_albums, search_artists; unicode61
/// with remove_diacritics 2; rowid = the item's id): case- and accent-insensitive word-prefix
/// matching. "beyonce crazy" matches "Crazy in Love" by Beyoncé, "sigur ros" matches Sigur Rós.
/// Kept in step by each scan: the tracks and albums it touched (UpdateAsync), or everything after a full or interrupted scan.
/// </summary>
public static class SearchIndex
{
    public enum Kind { Track, Album, Artist }

    /// <summary>Up to this many matches are ranked whole (each match read for its name and popularity); a broader query is paged in lazy tiers instead.</summary>
    public const int RankedLimit = 300;

    public const int MaxOffset = 100_000;

    /// <summary>
    /// Brings the index in step with what one scan changed: the tracks written and removed, the
    /// albums touched. Artists are few: their index is rebuilt whole. The cost follows the change,
    /// so a new album appears in search as fast as in the catalog, whatever the library's size.
    /// </summary>
    public static async Task UpdateAsync(DbConnection connection, IReadOnlyCollection<long> tracks, IReadOnlyCollection<long> removedTracks,
        IReadOnlyCollection<long> albums, CancellationToken ct)
    {
        if (connection.Dialect() is PostgresDialect)
        {
            await PostgresSearch.UpdateAsync(connection, [.. tracks], [.. removedTracks], [.. albums], ct);
            return;
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        var sqlite = SqliteDialect.Instance;
        var args = new { tracks = sqlite.Ids(tracks), gone = sqlite.Ids(removedTracks), albums = sqlite.Ids(albums) };
        await connection.ExecuteAsync(new CommandDefinition($"""
            DELETE FROM search_tracks WHERE rowid IN ({sqlite.IdList("@tracks")}) OR rowid IN ({sqlite.IdList("@gone")});
            INSERT INTO search_tracks (rowid, name, context)
                SELECT t.id, t.title, t.display_artist || ' ' || a.name FROM tracks t JOIN albums a ON a.id = t.album_id
                WHERE t.id IN ({sqlite.IdList("@tracks")});
            DELETE FROM search_albums WHERE rowid IN ({sqlite.IdList("@albums")});
            INSERT INTO search_albums (rowid, name, context) SELECT id, name, display_artist FROM albums WHERE id IN ({sqlite.IdList("@albums")});
            INSERT INTO search_artists (search_artists) VALUES ('delete-all');
            INSERT INTO search_artists (rowid, name, context) SELECT id, name, '' FROM artists;
            {TermsScratch}
            INSERT INTO temp.search_scratch (words)
                SELECT t.title || ' ' || t.display_artist || ' ' || a.name FROM tracks t JOIN albums a ON a.id = t.album_id
                WHERE t.id IN ({sqlite.IdList("@tracks")});
            INSERT INTO temp.search_scratch (words) SELECT name || ' ' || display_artist FROM albums WHERE id IN ({sqlite.IdList("@albums")});
            INSERT INTO temp.search_scratch (words)
                SELECT name FROM artists WHERE id IN (SELECT artist_id FROM track_artists WHERE track_id IN ({sqlite.IdList("@tracks")}));
            INSERT INTO search_terms (term) SELECT term FROM temp.search_scratch_terms WHERE true ON CONFLICT (term) DO NOTHING;
            INSERT INTO temp.search_scratch (search_scratch) VALUES ('delete-all');
            """, args, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// A scratch index with the tokenizer of the real ones, on this connection only: the words of new
    /// rows go in, and its vocabulary gives them back folded exactly as the real indexes fold them.
    /// </summary>
    private const string TermsScratch = """
        CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_scratch USING fts5(words, content = '', detail = none, tokenize = 'unicode61 remove_diacritics 2');
        CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_scratch_terms USING fts5vocab(temp, search_scratch, row);
        INSERT INTO temp.search_scratch (search_scratch) VALUES ('delete-all');
        """;

    /// <summary>FTS5's own default for the words it holds in memory before writing a segment (1 MB).</summary>
    internal const long DefaultFlushBytes = 1 << 20;

    /// <summary>What a rebuild holds in memory before writing a segment: see <see cref="RebuildAsync"/>.</summary>
    internal const long RebuildFlushBytes = 64 << 20;

    /// <summary>
    /// Builds the search index anew from the catalog (a first or full scan, a generated catalog).
    /// </summary>
    /// <remarks>
    /// FTS5 writes a segment each time the words it holds in memory pass its hash size (1 MB by
    /// default), merging them as they pile up; a query then looks every word up in every segment.
    /// At 1 M tracks the default left 11 segments of tracks; 64 MB leaves one and takes 6.7 s
    /// instead of 9.7. 'optimize' then merges what is left into one segment (at 13 M: five, 21 s).
    /// Searching one segment costs about 5 % less CPU at 1 M (docs/benchmarks.md, session 18).
    /// The size goes back to the default before the commit: it is stored with the index, and a
    /// scan's small updates have no use for a big buffer.
    /// </remarks>
    public static async Task RebuildAsync(DbConnection connection, CancellationToken ct)
    {
        if (connection.Dialect() is PostgresDialect)
        {
            await PostgresSearch.RebuildAsync(connection, ct);
            return;
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition($"""
            {EachIndex("hashsize", RebuildFlushBytes)}
            {EachIndex("delete-all")}
            INSERT INTO search_artists (rowid, name, context) SELECT id, name, '' FROM artists;
            INSERT INTO search_albums (rowid, name, context) SELECT id, name, display_artist FROM albums;
            INSERT INTO search_tracks (rowid, name, context)
                SELECT t.id, t.title, t.display_artist || ' ' || a.name FROM tracks t JOIN albums a ON a.id = t.album_id;
            {EachIndex("optimize")}
            {EachIndex("hashsize", DefaultFlushBytes)}
            DELETE FROM search_terms;
            CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_tracks_vocabulary USING fts5vocab(main, search_tracks, row);
            CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_albums_vocabulary USING fts5vocab(main, search_albums, row);
            CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_artists_vocabulary USING fts5vocab(main, search_artists, row);
            INSERT INTO search_terms (term)
                SELECT term FROM temp.search_tracks_vocabulary
                UNION SELECT term FROM temp.search_albums_vocabulary
                UNION SELECT term FROM temp.search_artists_vocabulary;
            """, transaction: tx, commandTimeout: 0, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>One FTS5 command ('delete-all', 'optimize') or setting with its value ('hashsize'), to each of the three index tables.</summary>
    private static string EachIndex(string command, long? value = null) => string.Join('\n', Enum.GetValues<Kind>().Select(kind => Tables(kind).Table)
        .Select(t => value is null ? $"INSERT INTO {t} ({t}) VALUES ('{command}');" : $"INSERT INTO {t} ({t}, rank) VALUES ('{command}', {value});"));

    /// <summary>
    /// The FTS5 MATCH expression for what a user typed: every word must match as a prefix, in the
    /// item's name or its context. Null when nothing searchable is left. Words are quoted, so FTS5
    /// syntax typed by the user (AND, *, quotes, column filters) is just text.
    /// </summary>
    public static string? MatchExpression(string? query)
    {
        if (string.IsNullOrWhiteSpace(query)) return null;
        var words = SplitWords(query);
        if (words.Count == 0) return null;
        // A word of one letter beside longer ones narrows nothing until the next key: as a prefix it
        // would merge every indexed word with that initial (300 ms at 13 million tracks on SQLite).
        if (words.Any(w => w.Length > 1)) words.RemoveAll(w => w.Length == 1);
        return string.Join(' ', words.Take(16).Select(w => $"\"{w}\"*"));
    }

    /// <summary>
    /// The words of a text: runs of letters, digits and combining marks, as FTS5's unicode61
    /// tokenizer cuts them (PostgreSQL's index cuts names with this too).
    /// </summary>
    internal static List<string> SplitWords(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || char.GetUnicodeCategory(text[i]) is UnicodeCategory.NonSpacingMark);
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                words.Add(text[start..i]);
                start = -1;
            }
        }
        return words;
    }

    /// <summary>
    /// One page of matching ids, best first, in an order that is total and the same for every page
    /// (so paging never repeats or skips an item):
    /// <list type="number">
    /// <item>the name is exactly the query (case, accents and a leading article aside);</item>
    /// <item>for tracks and albums: by an artist whose name is exactly the query;</item>
    /// <item>every query word matches the name;</item>
    /// <item>the rest match through their context (artist, album).</item>
    /// </list>
    /// Up to <see cref="RankedLimit"/> matches, each tier is ordered by popularity, then by name (a
    /// library nobody has played yet reads alphabetically, whatever order the scan numbered it in). Beyond that (a
    /// two-letter prefix over millions of tracks) the exact tiers still come first, from their B-tree
    /// indexes, and the name and context tiers follow in id order straight from the posting lists,
    /// which FTS5 walks lazily and stops after one page: ranking every match would cost seconds. A
    /// generated or delivered catalog numbers its items by popularity, so id order is popularity order there.
    /// </summary>
    public static async Task<List<long>> PageAsync(DbConnection c, Kind kind, string match, string query, int count, int offset, CancellationToken ct)
    {
        var pages = new (int Count, int Offset)[3];
        pages[(int)kind] = (count, offset);
        return (await PagesAsync(c, match, query, pages, ct))[(int)kind];
    }

    /// <summary>One page of each kind for the same query (search3, the REST search): the match is prepared once for the three.</summary>
    public static async Task<(List<long> Artists, List<long> Albums, List<long> Tracks)> PagesAsync(DbConnection c, string match, string query,
        (int Count, int Offset) artists, (int Count, int Offset) albums, (int Count, int Offset) tracks, CancellationToken ct)
    {
        var pages = await PagesAsync(c, match, query, [tracks, albums, artists], ct);
        return (pages[(int)Kind.Artist], pages[(int)Kind.Album], pages[(int)Kind.Track]);
    }

    /// <summary>
    /// A page of each kind (<paramref name="pages"/>, by <see cref="Kind"/>; a count of 0 for a kind
    /// not asked). PostgreSQL runs the kinds side by side on its own index (<see cref="PostgresSearch.PagesAsync"/>);
    /// SQLite runs the match as FTS5 runs it (<see cref="ExpandAsync"/>, expanded once for the kinds).
    /// One letter alone reads the sort index instead, on both.
    /// </summary>
    private static async Task<List<long>[]> PagesAsync(DbConnection c, string match, string query, (int Count, int Offset)[] pages, CancellationToken ct)
    {
        var oneLetter = Words(match) is [{ Length: 1 }];
        if (!oneLetter && c.Dialect() is PostgresDialect)
            return await PostgresSearch.PagesAsync(c, match, Library.Names.SortKey(query), pages, ct);
        var expanded = oneLetter ? null : await ExpandAsync(c, match, ct);
        var results = new List<long>[3];
        foreach (var kind in Enum.GetValues<Kind>())
            results[(int)kind] = await PageAsync(c, kind, match, expanded, query, pages[(int)kind].Count, pages[(int)kind].Offset, ct);
        return results;
    }

    /// <summary>How far a page reaches (offset + count); 0 when nothing is to be read.</summary>
    /// <remarks>Nobody reads a search past its 100,000th hit; an offset beyond is a crawler or an attack.</remarks>
    internal static int Window(int count, int offset) => count <= 0 || offset > MaxOffset ? 0 : count + offset;

    /// <summary>The works of the few most popular artists with exactly the name searched (there may be hundreds of "Love"s).</summary>
    internal static string? ByArtist(Kind kind)
    {
        const string namedArtists = "SELECT id FROM artists WHERE sort_name = @key ORDER BY popularity DESC LIMIT 20";
        return kind switch
        {
            Kind.Track => $"SELECT ta.track_id FROM track_artists ta WHERE ta.artist_id IN ({namedArtists}) AND ta.role = 'artist'",
            Kind.Album => $"SELECT aa.album_id FROM album_artists aa WHERE aa.artist_id IN ({namedArtists})",
            _ => null,
        };
    }

    /// <param name="expanded">The match as FTS5 runs it (<see cref="ExpandAsync"/>); null for one letter alone.</param>
    private static async Task<List<long>> PageAsync(DbConnection c, Kind kind, string match, string? expanded,
        string query, int count, int offset, CancellationToken ct)
    {
        if (Window(count, offset) == 0) return [];
        var (table, source, sortColumn) = Tables(kind);
        var byArtist = ByArtist(kind);
        var key = Library.Names.SortKey(query);
        if (expanded is null)
        {
            // One letter typed: names that start with it, from the sort index. As an FTS5 prefix it
            // would merge every indexed word with that initial (300–500 ms at 13 million tracks).
            // Equal names in the order of each database's sort index, (name, popularity) on SQLite and
            // (name, popularity DESC, id) on PostgreSQL: the other order sorts a whole group of equal
            // names first (350 ms at 13 million tracks on PostgreSQL, where one name holds 17,000 tracks).
            var from = Library.Names.SortKey(Words(match)[0]);
            var equalNames = c.Dialect() is PostgresDialect ? "popularity DESC, id" : "popularity, id";
            return await TiersAsync([Tier(c, $"SELECT id FROM {source} WHERE {sortColumn} >= @from AND {sortColumn} < @to ORDER BY {sortColumn}, {equalNames} LIMIT @limit",
                new { from, to = from + "\U0010FFFF" }, ct)], count, offset);
        }
        var args = new
        {
            match = expanded, key, count, offset,
            nameMatch = $"name : ({expanded})", contextOnly = $"({expanded}) NOT (name : ({expanded}))",
        };
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH @match LIMIT {RankedLimit + 1})", args, cancellationToken: ct));
        if (total == 0) return [];
        if (total <= RankedLimit)
        {
            return (await c.QueryAsync<long>(new CommandDefinition($"""
                SELECT f.rowid FROM {table} f JOIN {source} x ON x.id = f.rowid WHERE {table} MATCH @match
                ORDER BY CASE WHEN x.{sortColumn} = @key THEN 0
                              {(byArtist is null ? "" : $"WHEN x.id IN ({byArtist}) THEN 1")}
                              WHEN f.rowid IN (SELECT rowid FROM {table} WHERE {table} MATCH @nameMatch) THEN 2 ELSE 3 END,
                         x.popularity DESC, x.{sortColumn}, x.id
                LIMIT @count OFFSET @offset
                """, args, cancellationToken: ct))).ToList();
        }

        // Each tier is read only as far as the page needs, after the ids earlier tiers already gave.
        var tierArgs = new { args.nameMatch, args.contextOnly };
        return await TiersAsync(
        [
            .. ExactTiers(c, kind, key, ct),
            Tier(c, $"SELECT rowid FROM {table} WHERE {table} MATCH @nameMatch ORDER BY rowid LIMIT @limit", tierArgs, ct),
            Tier(c, $"SELECT rowid FROM {table} WHERE {table} MATCH @contextOnly ORDER BY rowid LIMIT @limit", tierArgs, ct),
        ], count, offset);
    }

    /// <summary>The SQLite index table, the catalog table and its sort column of each kind.</summary>
    internal static (string Table, string Source, string SortColumn) Tables(Kind kind) => kind switch
    {
        Kind.Track => ("search_tracks", "tracks", "sort_title"),
        Kind.Album => ("search_albums", "albums", "sort_name"),
        _ => ("search_artists", "artists", "sort_name"),
    };

    /// <summary>
    /// The first two tiers of a broad search on both databases, from B-tree indexes: the exact name,
    /// then the works of the exactly named artists. Sort names compare in byte order on both (SQLite's
    /// BINARY, PostgreSQL's "C"), so the two give the same order.
    /// </summary>
    internal static IEnumerable<Func<int, Task<IEnumerable<long>>>> ExactTiers(DbConnection c, Kind kind, string key, CancellationToken ct) =>
        ExactTierSql(c.Dialect(), kind).Select(sql => Tier(c, sql, new { key }, ct));

    /// <summary>The statements of <see cref="ExactTiers"/>, each taking @key and @limit.</summary>
    internal static IEnumerable<string> ExactTierSql(ISqlDialect dialect, Kind kind)
    {
        var (_, source, sortColumn) = Tables(kind);
        yield return $"SELECT id FROM {source} WHERE {sortColumn} = @key ORDER BY popularity DESC, id LIMIT @limit";
        var bytes = dialect is PostgresDialect ? " COLLATE \"C\"" : "";
        if (ByArtist(kind) is { } byArtist)
            yield return $"SELECT x.id FROM {source} x WHERE x.id IN ({byArtist}) ORDER BY x.popularity DESC, x.{sortColumn}{bytes}, x.id LIMIT @limit";
    }

    /// <summary>Words that expand to more indexed words than this stay a prefix query.</summary>
    private const int MaxExpansion = 64;

    /// <summary>
    /// The SQLite form of a match expression. FTS5 has posting lists of its own for prefixes of two
    /// and three letters (migration 0008), which it walks lazily. A longer prefix it answers by
    /// merging the whole list of every word that starts with it, before the first row: so such a
    /// word becomes an OR of the indexed words it starts (search_terms), which FTS5 walks lazily too.
    /// </summary>
    internal static async Task<string> ExpandAsync(DbConnection c, string match, CancellationToken ct)
    {
        var words = Words(match);
        var parts = new List<string>(words.Count);
        foreach (var word in words)
        {
            var folded = Fold(word);
            if (folded.Length >= 4)
            {
                var terms = (await c.QueryAsync<string>(new CommandDefinition(
                    "SELECT term FROM search_terms WHERE term >= @from AND term < @to ORDER BY term LIMIT @limit",
                    new { from = folded, to = folded + "\U0010FFFF", limit = MaxExpansion + 1 }, cancellationToken: ct))).ToList();
                // None: the tokenizer folded the word otherwise than Fold did, so let FTS5 fold it.
                if (terms.Count is > 0 and <= MaxExpansion)
                {
                    parts.Add($"({string.Join(" OR ", terms.Select(t => $"\"{t.Replace("\"", "\"\"")}\""))})");
                    continue;
                }
            }
            parts.Add($"\"{word}\"*");
        }
        return string.Join(" AND ", parts);
    }

    /// <summary>The words of a match expression in MatchExpression's form: "word"* "word"*…, words of letters, digits and marks only.</summary>
    internal static List<string> Words(string match) =>
        System.Text.RegularExpressions.Regex.Matches(match, "\"([^\"]+)\"\\*").Select(m => m.Groups[1].Value).ToList();

    /// <summary>
    /// A word as the unicode61 tokenizer with remove_diacritics 2 stores it: lower case, and accents
    /// off Latin letters only (it keeps Greek tonos, Cyrillic й and ё, kana voicing marks). A word it
    /// folds otherwise finds no indexed word and is left to FTS5.
    /// </summary>
    internal static string Fold(string word)
    {
        // Most words of most catalogs: no accent to take off (PostgreSQL's index folds every word of 13 million tracks).
        if (System.Text.Ascii.IsValid(word)) return word.ToLowerInvariant();
        var decomposed = word.Normalize(NormalizationForm.FormD);
        var folded = new StringBuilder(decomposed.Length);
        var baseLetter = '\0';
        foreach (var ch in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.NonSpacingMark)
            {
                if (baseLetter < '\u0250' || baseLetter is >= '\u1E00' and <= '\u1EFF') continue;
                folded.Append(ch);
                continue;
            }
            baseLetter = ch;
            folded.Append(char.ToLowerInvariant(ch));
        }
        return folded.ToString().Normalize(NormalizationForm.FormC);
    }

    /// <summary>
    /// A page of the lazy order beyond <see cref="RankedLimit"/>: the tiers' ids one after the other,
    /// each tier asked only for as many ids as the page still needs, an id given by an earlier tier
    /// skipped. Shared by both databases, whose tiers differ only in how they match.
    /// </summary>
    internal static async Task<List<long>> TiersAsync(IReadOnlyList<Func<int, Task<IEnumerable<long>>>> tiers, int count, int offset)
    {
        var window = offset + count;
        var seen = new HashSet<long>();
        var ordered = new List<long>(Math.Min(window, 1024));
        foreach (var tier in tiers)
        {
            foreach (var id in await tier(window + seen.Count))
                if (seen.Add(id) && ordered.Count < window) ordered.Add(id);
            if (ordered.Count >= window) break;
        }
        return ordered.Skip(offset).Take(count).ToList();
    }

    /// <summary>A tier read by one statement, which takes its length as @limit.</summary>
    internal static Func<int, Task<IEnumerable<long>>> Tier(DbConnection c, string sql, object args, CancellationToken ct) => async limit =>
    {
        var parameters = new DynamicParameters(args);
        parameters.Add("limit", limit);
        return await c.QueryAsync<long>(new CommandDefinition(sql, parameters, cancellationToken: ct));
    };

    /// <summary>The parameter value for <c>IN ({dialect.IdList("@ids")})</c> on this connection's database.</summary>
    public static object IdList(DbConnection c, IEnumerable<long> ids) => c.Dialect().Ids(ids);
}
