using System.Buffers;
using System.Data.Common;
using System.Globalization;
using System.Numerics;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Sillon.Search;

/// <summary>
/// The search index on PostgreSQL: posting lists of our own, the shape of FTS5's on SQLite.
/// <c>search_postings</c> holds, for each indexed term and each block of 65,536 ids, the ids whose
/// name has the term and those whose context (artist, album) has it, as sorted lists; the terms are
/// each word of a name folded as SQLite folds it (<see cref="SearchIndex.Fold"/>) and each word's first
/// two and three letters as prefix entries (<c>*lo</c>, <c>*lov</c>). <c>search_words</c> lists the terms, for
/// the longer prefixes a user types.
/// </summary>
/// <remarks>
/// Why not tsvector and GIN: a prefix there (<c>'lo':*</c>) makes GIN merge every matching word's
/// list into a bitmap of all the matches before the first row, and gives no order, so every match
/// is fetched to sort it: 0.2–6 s at 13 million tracks (docs/benchmarks.md, sessions 5 and 6). Here
/// a search reads the lists of its terms one block at a time, in id order, and stops when the page
/// is full: a broad prefix is answered from the first block. Ids are numbered by popularity in a
/// generated or delivered catalog, so id order is the order the lazy tiers promise.
/// A scan's changes rebuild the blocks they touched, from the catalog.
/// </remarks>
internal static class PostgresSearch
{
    internal const int BlockBits = 16;
    private const int BlockSize = 1 << BlockBits;

    /// <summary>The migration that created these tables: the migrator fills them after running it.</summary>
    internal const int IndexVersion = 15;

    /// <summary>Marks prefix entries. It sorts before every letter and digit, so a range of words never meets one.</summary>
    private const char PrefixMark = '*';

    // The text each kind is found by: its name, and its context.
    private static string Texts(SearchIndex.Kind kind) => kind switch
    {
        SearchIndex.Kind.Track => "SELECT t.id, t.title, t.display_artist || ' ' || a.name FROM tracks t JOIN albums a ON a.id = t.album_id WHERE t.id >= @from AND t.id < @to ORDER BY t.id",
        SearchIndex.Kind.Album => "SELECT id, name, display_artist FROM albums WHERE id >= @from AND id < @to ORDER BY id",
        _ => "SELECT id, name, '' FROM artists WHERE id >= @from AND id < @to ORDER BY id",
    };

    private static readonly SearchIndex.Kind[] Kinds = [SearchIndex.Kind.Track, SearchIndex.Kind.Album, SearchIndex.Kind.Artist];

    /// <summary>The blocks of each kind, up to the highest id in the catalog.</summary>
    private static async Task<long> LastBlockAsync(DbConnection c, SearchIndex.Kind kind, CancellationToken ct, DbTransaction? tx = null) =>
        (await c.ExecuteScalarAsync<long?>(new CommandDefinition($"SELECT MAX(id) FROM {SearchIndex.Tables(kind).Source}", transaction: tx, cancellationToken: ct)) ?? -1) >> BlockBits;

    /// <summary>
    /// Brings the index in step with one scan: every block holding a track written or removed, or
    /// an album touched, is built again from the catalog. Artists are few: rebuilt whole (emptied
    /// even when no artist is left to index).
    /// </summary>
    public static async Task UpdateAsync(DbConnection connection, long[] tracks, long[] removedTracks, long[] albums, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var (kind, blocks) in new (SearchIndex.Kind, long[])[]
        {
            (SearchIndex.Kind.Track, [.. tracks.Concat(removedTracks).Select(id => id >> BlockBits).Distinct().Order()]),
            (SearchIndex.Kind.Album, [.. albums.Select(id => id >> BlockBits).Distinct().Order()]),
        })
        {
            if (blocks.Length == 0) continue;
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM search_postings WHERE kind = @kind AND block = ANY(@blocks)",
                new { kind = (short)kind, blocks = blocks.Select(b => (int)b).ToArray() }, tx, cancellationToken: ct));
            await BuildAsync(connection, tx, kind, blocks, ct);
        }
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM search_postings WHERE kind = @kind",
            new { kind = (short)SearchIndex.Kind.Artist }, tx, cancellationToken: ct));
        await BuildAsync(connection, tx, SearchIndex.Kind.Artist, Blocks(0, 1, await LastBlockAsync(connection, SearchIndex.Kind.Artist, ct, tx)), ct);
        await tx.CommitAsync(ct);
    }

    public static async Task RebuildAsync(DbConnection connection, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM search_postings; DELETE FROM search_words", transaction: tx, cancellationToken: ct));
        foreach (var kind in Kinds) await BuildAsync(connection, tx, kind, Blocks(0, 1, await LastBlockAsync(connection, kind, ct, tx)), ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The work of filling an empty index, in parts that can run side by side on several connections
    /// (the generator's load): each part builds every <paramref name="parts"/>-th block of each kind.
    /// </summary>
    public static IEnumerable<Func<DbConnection, Task>> FillParts(int parts, CancellationToken ct)
    {
        for (var part = 0; part < parts; part++)
        {
            var first = part;
            yield return async c =>
            {
                foreach (var kind in Kinds) await BuildAsync(c, null, kind, Blocks(first, parts, await LastBlockAsync(c, kind, ct)), ct);
            };
        }
    }

    private static IEnumerable<long> Blocks(long first, int step, long last)
    {
        for (var block = first; block <= last; block += step) yield return block;
    }

    /// <summary>Indexes the items of these blocks, read from the catalog, and lists their terms in search_words.</summary>
    private static async Task BuildAsync(DbConnection c, DbTransaction? tx, SearchIndex.Kind kind, IEnumerable<long> blocks, CancellationToken ct)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        foreach (var block in blocks)
        {
            var from = block << BlockBits;
            var rows = await c.QueryAsync<(long Id, string? Name, string? Context)>(new CommandDefinition(
                Texts(kind), new { from, to = from + BlockSize }, tx, cancellationToken: ct));
            await WriteBlockAsync(c, tx, kind, block, rows, words, ct);
        }
        await AddWordsAsync(c, tx, kind, words, ct);
    }

    /// <summary>The ids of one term in one block: those found by name, and those found only by context.</summary>
    private sealed class Lists
    {
        public readonly List<ushort> Name = [];
        public readonly List<ushort> Context = [];
    }

    /// <summary>Indexes items given with their texts (tests write the index alone this way), in id order.</summary>
    internal static async Task WriteAsync(DbConnection c, SearchIndex.Kind kind, IEnumerable<(long Id, string? Name, string? Context)> items, CancellationToken ct)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        foreach (var block in items.OrderBy(i => i.Id).GroupBy(i => i.Id >> BlockBits))
            await WriteBlockAsync(c, null, kind, block.Key, block, words, ct);
        await AddWordsAsync(c, null, kind, words, ct);
    }

    private static async Task WriteBlockAsync(DbConnection c, DbTransaction? tx, SearchIndex.Kind kind, long block,
        IEnumerable<(long Id, string? Name, string? Context)> rows, HashSet<string> words, CancellationToken ct)
    {
        var from = block << BlockBits;
        var terms = new Dictionary<string, Lists>(StringComparer.Ordinal);
        var lookup = terms.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> prefix = stackalloc char[4];
        foreach (var (id, name, context) in rows)
        {
            var offset = (ushort)(id - from);
            foreach (var (text, isName) in new[] { (name, true), (context, false) })
            {
                if (string.IsNullOrEmpty(text)) continue;
                foreach (var word in SearchIndex.SplitWords(text))
                {
                    var folded = SearchIndex.Fold(word);
                    Add(folded);
                    prefix[0] = PrefixMark;
                    for (var length = 2; length <= 3 && length <= folded.Length; length++)
                    {
                        folded.AsSpan(0, length).CopyTo(prefix[1..]);
                        Add(prefix[..(length + 1)]);
                    }
                }

                void Add(ReadOnlySpan<char> term)
                {
                    if (!lookup.TryGetValue(term, out var lists))
                    {
                        lists = new Lists();
                        lookup[term] = lists;
                    }
                    // Once per item: a name's term is not repeated in its context.
                    if (lists.Name.Count > 0 && lists.Name[^1] == offset) return;
                    var list = isName ? lists.Name : lists.Context;
                    if (list.Count == 0 || list[^1] != offset) list.Add(offset);
                }
            }
        }
        if (terms.Count == 0) return;

        await using var writer = await ((NpgsqlConnection)c).BeginBinaryImportAsync(
            "COPY search_postings (kind, term, block, name, context) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var (term, lists) in terms)
        {
            words.Add(term);
            await writer.StartRowAsync(ct);
            await writer.WriteAsync((short)kind, NpgsqlDbType.Smallint, ct);
            await writer.WriteAsync(term, NpgsqlDbType.Text, ct);
            await writer.WriteAsync((int)block, NpgsqlDbType.Integer, ct);
            foreach (var list in new[] { lists.Name, lists.Context })
            {
                if (list.Count == 0) await writer.WriteNullAsync(ct);
                else await writer.WriteAsync(Encode(list), NpgsqlDbType.Bytea, ct);
            }
        }
        await writer.CompleteAsync(ct);
    }

    private static async Task AddWordsAsync(DbConnection c, DbTransaction? tx, SearchIndex.Kind kind, HashSet<string> words, CancellationToken ct)
    {
        // In order, so that two builders adding the same words side by side cannot wait for each other.
        foreach (var chunk in words.Order(StringComparer.Ordinal).Chunk(50_000))
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO search_words (kind, term) SELECT @kind, t FROM unnest(@chunk) t ON CONFLICT DO NOTHING",
                new { kind = (short)kind, chunk }, tx, commandTimeout: 0, cancellationToken: ct));
    }

    /// <summary>Sorted offsets in a block as the gaps between them, seven bits a byte (one or two bytes for most).</summary>
    internal static byte[] Encode(List<ushort> offsets)
    {
        var bytes = new List<byte>(offsets.Count + 8);
        var previous = 0;
        for (var i = 0; i < offsets.Count; i++)
        {
            var gap = (uint)(offsets[i] - previous);
            previous = offsets[i];
            while (gap >= 0x80)
            {
                bytes.Add((byte)(gap | 0x80));
                gap >>= 7;
            }
            bytes.Add((byte)gap);
        }
        return [.. bytes];
    }

    /// <summary>Sets the bit of each offset of an encoded list.</summary>
    internal static void Decode(ReadOnlySpan<byte> encoded, ulong[] bits)
    {
        var offset = 0;
        var i = 0;
        while (i < encoded.Length)
        {
            var gap = 0;
            var shift = 0;
            byte b;
            do
            {
                b = encoded[i++];
                gap |= (b & 0x7F) << shift;
                shift += 7;
            } while (b >= 0x80 && i < encoded.Length);
            offset += gap;
            if ((uint)offset >= BlockSize) throw new InvalidDataException("a search posting list points past its block");
            bits[offset >> 6] |= 1UL << offset;
        }
    }

    /// <summary>
    /// A search as the index reads it, for each kind: its last block, and for each typed word the
    /// terms it matches as a prefix (null when a word matches nothing of that kind). Two or three
    /// letters: their prefix entry; more, every indexed word that starts with them; one letter (beside
    /// other one-letter words), that word and every two-letter prefix entry it starts.
    /// </summary>
    /// <param name="Exact">By kind, the exact tiers (<see cref="SearchIndex.ExactTiers"/>) read ahead: their ids up to a cap; null for a kind not asked.</param>
    public sealed record Prepared(int[] LastBlocks, string[][]?[] Terms, (long[] Ids, int Cap)[]?[] Exact);

    /// <summary>
    /// Everything a search needs before reading posting lists, for its three kinds, in one round
    /// trip: the last block of each kind, the indexed words each typed word starts, and the exact
    /// tiers (the exact name, the works of the exactly named artist) of each kind asked, as far as
    /// its page reaches (<paramref name="windows"/>, by kind). Those were three to five round trips
    /// of their own, each a wait on the socket for both processes.
    /// </summary>
    private static async Task<Prepared> PrepareAsync(DbConnection c, string match, string key, int[] windows, CancellationToken ct)
    {
        var words = SearchIndex.Words(match).Select(SearchIndex.Fold).ToArray();
        var ranges = words.Select((w, i) => (Word: i, From: w.Length == 1 ? PrefixMark + w : w, Length: w.Length == 1 ? 3 : 0))
            .Where(r => words[r.Word].Length is not (2 or 3)).ToArray();
        var sql = new System.Text.StringBuilder("""
            SELECT (SELECT MAX(block) FROM search_postings WHERE kind = 0), (SELECT MAX(block) FROM search_postings WHERE kind = 1),
                   (SELECT MAX(block) FROM search_postings WHERE kind = 2)
            """);
        var parameters = new DynamicParameters(new { key });
        if (ranges.Length > 0)
        {
            // One parameter per value (PaddedArray): the last range again comes twice and its terms are taken once.
            string Array(string name, Func<(int Word, string From, int Length), object> value) =>
                PaddedArray(name, ranges.Select(value).ToArray(), (parameter, v) => parameters.Add(parameter, v));
            sql.Append($"""
                ;
                SELECT r.word, s.kind, s.term
                FROM unnest({Array("w", r => r.Word)}, {Array("f", r => r.From)}, {Array("l", r => r.Length)}) AS r(word, "from", length)
                JOIN search_words s ON s.kind IN (0, 1, 2) AND s.term >= r."from" AND s.term < r."from" || U&'\+10FFFF'
                                   AND (r.length = 0 OR length(s.term) = r.length)
                """);
        }
        var exact = new (long[] Ids, int Cap)[]?[3];
        foreach (var kind in Kinds)
        {
            if (windows[(int)kind] <= 0) continue;
            var tiers = SearchIndex.ExactTierSql(Data.PostgresDialect.Instance, kind).ToArray();
            exact[(int)kind] = new (long[], int)[tiers.Length];
            for (var i = 0; i < tiers.Length; i++)
            {
                // A later tier is asked for the page plus what earlier tiers gave (at most a page each).
                // The cap is written into the SQL, as keyset pages write theirs: bound, it made PostgreSQL
                // plan the artist tier on every search (0.4 ms of planning for 1 ms of running, at 13 M).
                // A power of two, so that deep pages make a few statements, not one per depth.
                var cap = (int)BitOperations.RoundUpToPowerOf2((uint)(windows[(int)kind] * (i + 1)));
                sql.Append(";\n").Append(tiers[i].Replace("@limit", cap.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
                exact[(int)kind]![i] = ([], cap);
            }
        }
        using var results = await c.QueryMultipleAsync(new CommandDefinition(sql.ToString(), parameters, cancellationToken: ct));
        var (tracks, albums, artists) = await results.ReadSingleAsync<(int?, int?, int?)>();
        var expansions = (ranges.Length == 0 ? [] : await results.ReadAsync<(int Word, short Kind, string Term)>())
            .Distinct().ToLookup(e => (e.Kind, e.Word), e => e.Term);
        foreach (var kind in Kinds)
        {
            if (exact[(int)kind] is not { } tiers) continue;
            for (var i = 0; i < tiers.Length; i++)
                tiers[i] = ((await results.ReadAsync<long>()).ToArray(), tiers[i].Cap);
        }
        var terms = Kinds.Select(kind =>
        {
            var byWord = new string[words.Length][];
            for (var i = 0; i < words.Length; i++)
            {
                if (words[i].Length is 2 or 3)
                {
                    byWord[i] = [PrefixMark + words[i]];
                    continue;
                }
                var found = expansions[((short)kind, i)].ToList();
                if (words[i].Length == 1) found.Add(words[i]);
                if (found.Count == 0) return null;
                byWord[i] = [.. found];
            }
            return byWord;
        }).ToArray();
        return new Prepared([tracks ?? -1, albums ?? -1, artists ?? -1], terms, exact);
    }

    /// <summary>
    /// ARRAY[@name0, @name1, …] of one parameter per value, padded with the last value to 2, 4, 8, …
    /// of them; <paramref name="add"/> binds each. PostgreSQL then knows the array's length in a
    /// prepared statement's generic plan too, and keeps that plan. Given one array parameter it
    /// assumed ten values where a search has one to three, found a plan for each call's values
    /// cheaper, and planned every call: 0.09–0.13 ms, more than reading the posting lists (0.06 ms),
    /// six times a search (docs/benchmarks.md, session 14). The repeats cost nothing: an index scan
    /// drops repeated keys, and repeated rows are taken once.
    /// </summary>
    private static string PaddedArray<T>(string name, T[] values, Action<string, T> add)
    {
        var slots = Math.Max(2, (int)BitOperations.RoundUpToPowerOf2((uint)values.Length));
        for (var i = 0; i < slots; i++) add($"{name}{i}", values[Math.Min(i, values.Length - 1)]);
        return $"ARRAY[{string.Join(", ", Enumerable.Range(0, slots).Select(i => $"@{name}{i}"))}]";
    }

    /// <summary>
    /// The matches of one search in one kind, read lazily in id order: the blocks are read in
    /// windows, one block first, then as many as the matches found so far say the page needs
    /// (<see cref="WindowSize"/>): a broad prefix is answered by the first block, a rare word reads
    /// 13 million tracks in two windows. Each block with a match keeps two bit sets:
    /// the ids found by every word anywhere, and those found by every word in the name.
    /// </summary>
    /// <remarks>
    /// Bit sets rather than lists of ids: a broad prefix matches a third of a block, and lists of
    /// 20,000 ids grew past the large object heap's threshold on every search (a gen-2 collection
    /// every 60 searches at 13 million tracks). The sets and the read buffer are pooled.
    /// </remarks>
    internal sealed class Matches(DbConnection c, SearchIndex.Kind kind, string[][] terms, long lastBlock) : IDisposable
    {
        private const int Words64 = BlockSize / 64;
        private readonly List<(int Block, ulong[] All, ulong[] Name, int Count)> _blocks = [];
        private readonly Dictionary<string, List<int>> _wordsOf = WordsOf(terms);
        private long _next;
        private int _count;

        public enum Tier { Everything, Name, ContextOnly }

        private bool Complete => _next > lastBlock;

        private static Dictionary<string, List<int>> WordsOf(string[][] terms)
        {
            var wordsOf = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            for (var w = 0; w < terms.Length; w++)
                foreach (var term in terms[w])
                    (wordsOf.TryGetValue(term, out var list) ? list : wordsOf[term] = []).Add(w);
            return wordsOf;
        }

        public SearchIndex.Kind Kind => kind;

        /// <summary>How many items match, as far as the blocks read so far tell.</summary>
        public int Count => _count;

        /// <summary>Whether counting up to <paramref name="atLeast"/> needs more blocks read.</summary>
        public bool NeedsBlocks(int atLeast) => _count < atLeast && !Complete;

        /// <summary>
        /// Reads the next window of each of these searches, all in one round trip: the three kinds
        /// of a search3 count their matches side by side instead of one after the other (a broad
        /// prefix: one round trip where it took three; a rare word: the longest kind's windows).
        /// </summary>
        /// <param name="searches">Each search with how many more ids it wants, and how many of those it found in the blocks read so far.</param>
        public static async Task ReadWindowsAsync(DbConnection c, IReadOnlyList<(Matches Search, int Wanted, int Found)> searches, CancellationToken ct)
        {
            await using var command = c.CreateCommand();
            command.CommandText = string.Join(";\n", searches.Select((s, i) => s.Search.NextWindow(command, $"k{i}", s.Wanted, s.Found)));
            await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
            for (var i = 0; i < searches.Count; i++)
            {
                if (i > 0) await reader.NextResultAsync(ct);
                await searches[i].Search.ReadAsync(reader, ct);
            }
        }

        /// <summary>
        /// How many blocks the next window reads to find <paramref name="wanted"/> more ids: the
        /// first block alone; then as many as the wanted ones need at the rate they were found in
        /// the blocks read so far (<paramref name="found"/>; at least one in all of them: a tier
        /// rarer than the whole match, as names are, needs its own rate, or it reads a block a
        /// round trip), and a quarter more, or every block left when they are not expected in all of
        /// them. That last read costs what the terms' lists hold in the blocks left, which a rare
        /// match reads to the end in any case: windows of 1, 8 and 64 blocks took five round trips
        /// over 13 million tracks where this takes two.
        /// </summary>
        /// <param name="read">Blocks read so far (the first <paramref name="read"/> of them).</param>
        /// <param name="left">Blocks left to read.</param>
        internal static long WindowSize(long read, long left, int wanted, int found)
        {
            if (read == 0) return Math.Min(1, left);
            var perBlock = (double)Math.Max(found, 1) / read;
            return perBlock * left <= wanted ? left : Math.Clamp((long)Math.Ceiling(wanted / perBlock * 1.25), 1, left);
        }

        /// <summary>The first <paramref name="limit"/> ids of a tier in id order.</summary>
        public async Task<List<long>> TakeAsync(Tier tier, int limit, CancellationToken ct)
        {
            var ids = new List<long>(Math.Min(limit, 1024));
            var read = 0;
            while (true)
            {
                for (; read < _blocks.Count && ids.Count < limit; read++)
                {
                    var (block, all, name, _) = _blocks[read];
                    var start = (long)block << BlockBits;
                    for (var i = 0; i < Words64 && ids.Count < limit; i++)
                    {
                        var bits = tier switch { Tier.Everything => all[i], Tier.Name => name[i], _ => all[i] & ~name[i] };
                        for (; bits != 0 && ids.Count < limit; bits &= bits - 1) ids.Add(start + i * 64 + BitOperations.TrailingZeroCount(bits));
                    }
                }
                if (ids.Count >= limit || Complete) return ids;
                // Not enough yet: the ids already taken came from whole blocks, so go on after them.
                await ReadWindowsAsync(c, [(this, limit - ids.Count, ids.Count)], ct);
            }
        }

        /// <summary>The terms as <see cref="PaddedArray"/>; more than 32 (a long prefix typed) as one array parameter.</summary>
        private static string TermList(DbCommand command, string p, string[] terms)
        {
            if (terms.Length is 0 or > 32)
            {
                command.Parameters.Add(new NpgsqlParameter<string[]>($"{p}terms", terms));
                return $"@{p}terms";
            }
            return PaddedArray($"{p}t", terms, (name, term) => command.Parameters.Add(new NpgsqlParameter<string>(name, term)));
        }

        /// <summary>The statement reading the next window of blocks, its parameters named after <paramref name="p"/>, added to the command.</summary>
        private string NextWindow(DbCommand command, string p, int wanted, int found)
        {
            var from = _next;
            var to = from + WindowSize(_next, lastBlock - _next + 1, wanted, found) - 1;
            _next = to + 1;
            command.Parameters.Add(new NpgsqlParameter<short>($"{p}kind", (short)kind));
            command.Parameters.Add(new NpgsqlParameter<int>($"{p}from", (int)from));
            command.Parameters.Add(new NpgsqlParameter<int>($"{p}to", (int)to));
            return $"""
                SELECT term, block, name, context FROM search_postings
                WHERE kind = @{p}kind AND term = ANY({TermList(command, p, [.. _wordsOf.Keys])}) AND block BETWEEN @{p}from AND @{p}to ORDER BY block
                """;
        }

        /// <summary>Takes in the rows of one window (<see cref="NextWindow"/>'s result).</summary>
        private async Task ReadAsync(DbDataReader reader, CancellationToken ct)
        {
            var words = terms.Length;
            var name = new ulong[words][];
            var all = new ulong[words][];
            for (var w = 0; w < words; w++) (name[w], all[w]) = (Rent(), Rent());
            var found = new bool[words];
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int? block = null;
                while (await reader.ReadAsync(ct))
                {
                    var term = reader.GetString(0);
                    var rowBlock = reader.GetInt32(1);
                    if (rowBlock != block)
                    {
                        if (block is { } done) Collect(done);
                        block = rowBlock;
                    }
                    var of = _wordsOf[term];
                    foreach (var w in of) found[w] = true;
                    for (var column = 2; column <= 3; column++)
                    {
                        if (await reader.IsDBNullAsync(column, ct)) continue;
                        var length = (int)reader.GetBytes(column, 0, null, 0, 0);
                        if (length > buffer.Length)
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = ArrayPool<byte>.Shared.Rent(length);
                        }
                        reader.GetBytes(column, 0, buffer, 0, length);
                        foreach (var w in of)
                        {
                            if (column == 2) Decode(buffer.AsSpan(0, length), name[w]);
                            Decode(buffer.AsSpan(0, length), all[w]);
                        }
                    }
                }
                if (block is { } last) Collect(last);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                for (var w = 0; w < words; w++)
                {
                    Return(name[w]);
                    Return(all[w]);
                }
            }

            void Collect(int b)
            {
                if (found.All(f => f))
                {
                    var allOfBlock = Intersect(all);
                    var count = 0;
                    foreach (var bits in allOfBlock) count += BitOperations.PopCount(bits);
                    if (count > 0)
                    {
                        _blocks.Add((b, allOfBlock, Intersect(name), count));
                        _count += count;
                    }
                    else Return(allOfBlock);
                }
                for (var w = 0; w < words; w++)
                {
                    Array.Clear(name[w], 0, Words64);
                    Array.Clear(all[w], 0, Words64);
                    found[w] = false;
                }
            }
        }

        private static ulong[] Intersect(ulong[][] sets)
        {
            var into = Rent();
            Array.Copy(sets[0], into, Words64);
            for (var s = 1; s < sets.Length; s++)
                for (var i = 0; i < Words64; i++) into[i] &= sets[s][i];
            return into;
        }

        private static ulong[] Rent()
        {
            var bits = ArrayPool<ulong>.Shared.Rent(Words64);
            Array.Clear(bits, 0, Words64);
            return bits;
        }

        private static void Return(ulong[] bits) => ArrayPool<ulong>.Shared.Return(bits);

        public void Dispose()
        {
            foreach (var (_, all, name, _) in _blocks)
            {
                Return(all);
                Return(name);
            }
            _blocks.Clear();
        }
    }

    /// <summary>A tier read ahead by <see cref="PrepareAsync"/>: its ids while they last, the query beyond its cap.</summary>
    private static Func<int, Task<IEnumerable<long>>> ReadAhead((long[] Ids, int Cap)? ahead, Func<int, Task<IEnumerable<long>>> query) =>
        ahead is not { } tier ? query
        : limit => limit <= tier.Cap || tier.Ids.Length < tier.Cap ? Task.FromResult(tier.Ids.Take(limit)) : query(limit);

    /// <summary>
    /// <see cref="SearchIndex.PageAsync"/> on PostgreSQL, for each kind asked (<paramref name="pages"/>,
    /// by kind: count and offset; a count of 0 for a kind not asked), tier for tier: exact name, by
    /// the exactly named artist, all words in the name, the rest; up to <see cref="SearchIndex.RankedLimit"/>
    /// matches by popularity, then sort name (byte order, as SQLite's BINARY collation), then id;
    /// beyond it the exact tiers from their B-tree indexes, then name and context matches in id order.
    /// </summary>
    /// <remarks>
    /// The kinds go side by side, each step one round trip for all of them: counting (a window of
    /// blocks each), then ranking those with few matches. One after the other they were a round
    /// trip per kind and step, each a wait on the socket and a wake-up for both processes.
    /// </remarks>
    public static async Task<List<long>[]> PagesAsync(DbConnection c, string match, string key, (int Count, int Offset)[] pages, CancellationToken ct)
    {
        var windows = pages.Select(p => SearchIndex.Window(p.Count, p.Offset)).ToArray();
        var prepared = await PrepareAsync(c, match, key, windows, ct);
        var results = new List<long>[Kinds.Length];
        var searches = new List<Matches>(Kinds.Length);
        try
        {
            foreach (var kind in Kinds)
            {
                results[(int)kind] = [];
                if (windows[(int)kind] > 0 && prepared.Terms[(int)kind] is { } terms)
                    searches.Add(new Matches(c, kind, terms, prepared.LastBlocks[(int)kind]));
            }
            while (searches.Where(m => m.NeedsBlocks(SearchIndex.RankedLimit + 1)).ToList() is { Count: > 0 } counting)
                await Matches.ReadWindowsAsync(c, [.. counting.Select(m => (m, SearchIndex.RankedLimit + 1 - m.Count, m.Count))], ct);

            var ranked = searches.Where(m => m.Count is > 0 and <= SearchIndex.RankedLimit).ToList();
            if (ranked.Count > 0)
            {
                var parameters = new DynamicParameters(new { key });
                var sql = new System.Text.StringBuilder();
                foreach (var m in ranked)
                {
                    var (_, source, sortColumn) = SearchIndex.Tables(m.Kind);
                    var byArtist = SearchIndex.ByArtist(m.Kind);
                    var p = $"k{(int)m.Kind}";
                    parameters.Add($"{p}ids", (await m.TakeAsync(Matches.Tier.Everything, m.Count, ct)).ToArray());
                    parameters.Add($"{p}names", (await m.TakeAsync(Matches.Tier.Name, m.Count, ct)).ToArray());
                    parameters.Add($"{p}count", pages[(int)m.Kind].Count);
                    parameters.Add($"{p}offset", pages[(int)m.Kind].Offset);
                    sql.Append(sql.Length == 0 ? "" : ";\n").Append($"""
                        SELECT x.id FROM {source} x WHERE x.id = ANY(@{p}ids)
                        ORDER BY CASE WHEN x.{sortColumn} = @key THEN 0
                                      {(byArtist is null ? "" : $"WHEN x.id IN ({byArtist}) THEN 1")}
                                      WHEN x.id = ANY(@{p}names) THEN 2 ELSE 3 END,
                                 x.popularity DESC, x.{sortColumn} COLLATE "C", x.id
                        LIMIT @{p}count OFFSET @{p}offset
                        """);
                }
                using var grid = await c.QueryMultipleAsync(new CommandDefinition(sql.ToString(), parameters, cancellationToken: ct));
                foreach (var m in ranked) results[(int)m.Kind] = (await grid.ReadAsync<long>()).ToList();
            }

            foreach (var m in searches.Where(m => m.Count > SearchIndex.RankedLimit))
            {
                var (count, offset) = pages[(int)m.Kind];
                results[(int)m.Kind] = await SearchIndex.TiersAsync(
                [
                    .. SearchIndex.ExactTiers(c, m.Kind, key, ct).Select((query, i) => ReadAhead(prepared.Exact[(int)m.Kind]?[i], query)),
                    async limit => await m.TakeAsync(Matches.Tier.Name, limit, ct),
                    async limit => await m.TakeAsync(Matches.Tier.ContextOnly, limit, ct),
                ], count, offset);
            }
            return results;
        }
        finally
        {
            foreach (var m in searches) m.Dispose();
        }
    }
}
