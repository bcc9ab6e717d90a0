using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using System.Text.RegularExpressions;
using Sillon.Data;
using Dapper;

namespace Sillon.Catalog;

/// <summary>
/// Deep pages without OFFSET scans. Subsonic clients page with offsets (getAlbumList2, search3), and
/// an OFFSET of 600,000 makes the database step over 600,000 rows. So each page served remembers
/// where it ended: the sort key of its last row, filed under the offset of the next page. When that
/// page is asked for (a client scrolling or syncing asks for exactly that), it starts after the key
/// with an index seek. An offset nobody reached by paging (a client jumping, or resuming after a
/// restart) starts from the nearest anchor below it: the lists keep the sort key of every
/// 250th row (<see cref="AnchorEvery"/>), read in one pass over the index the first time a deep page
/// is asked for, and again after the catalog changes. So no page steps over more than 249 rows.
/// </summary>
/// <remarks>
/// A continuation from a key is also what keeps paging stable while a scan writes: a row added or
/// removed before the key no longer shifts every later page by one.
/// </remarks>
public sealed partial class KeysetPages(Database db, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<KeysetPages> log)
{
    /// <summary>One column of a total order: an SQL expression (never NULL) and its direction.</summary>
    public sealed record Column(string Sql, bool Descending = false);

    private sealed record Cursor(object?[] Key, DateTimeOffset Expires);

    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);
    private const int MaxCursors = 20_000;
    private readonly ConcurrentDictionary<string, Cursor> _cursors = new();

    /// <summary>Rows between two anchors: the most a cold page steps over.</summary>
    /// <remarks>
    /// A page on an index that does not cover the list (albums by artist on PostgreSQL) reads each
    /// row it steps over from the table: 500 of them took 4 ms at 13 M. Every 250th row keeps a list
    /// of 1.4 M albums at 5,700 keys (under a megabyte) and one of 13 M tracks by id at 52,000.
    /// </remarks>
    public const int AnchorEvery = 250;
    private const int MaxAnchoredLists = 64;
    /// <summary>The keys of rows AnchorEvery − 1, 2 × AnchorEvery − 1, …: each ends the block before an anchor.</summary>
    private sealed record Anchors(long Catalog, List<object?[]> Keys, DateTimeOffset Built);
    private readonly ConcurrentDictionary<string, Anchors> _anchors = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _building = new();
    private readonly ConcurrentDictionary<string, byte> _refreshing = new();

    /// <summary>
    /// The ids of one page of the rows of <paramref name="from"/> (tables with their aliases) that
    /// meet <paramref name="where"/>, in the order of <paramref name="order"/>, whose last column must
    /// be unique (the id). <paramref name="list"/> names the list and its parameters: pages of the
    /// same list share cursors and anchors.
    /// </summary>
    public async Task<KeysetPage> PageAsync(DbConnection c, string list, string from, string where, IReadOnlyList<Column> order, object? args,
        int size, int offset, CancellationToken ct)
    {
        if (size <= 0) return new([], false);
        var page = await PlanAsync(c, list, from, where, order, args, size, offset, ct);
        // `using`, not `await using`: Dapper's reader disposes its command only in Dispose (SqliteStatementCache.cs, ReleaseAbandoned).
        using var reader = await c.ExecuteReaderAsync(new CommandDefinition(page.Keys, page.Parameters, cancellationToken: ct));
        return new(await page.SeenAsync(reader, ct), page.Provisional);
    }

    /// <summary>
    /// One page planned but not read, for a caller that reads the page's rows and what belongs to
    /// them in the same batch (<see cref="KeysetQuery"/>): one round trip for the whole page.
    /// Arguments as for <see cref="PageAsync"/>.
    /// </summary>
    public async Task<KeysetQuery> PlanAsync(DbConnection c, string list, string from, string where, IReadOnlyList<Column> order, object? args,
        int size, int offset, CancellationToken ct)
    {
        var parameters = new DynamicParameters(args);
        // The page's size is written into the SQL, not bound: with LIMIT a parameter, PostgreSQL's
        // generic plan of a prepared statement assumes a tenth of the table is read, finds that dearer
        // than planning each call for its values, and so plans every page again (0.2–0.4 ms a
        // statement at 1 M tracks, more than running it). Clients ask for a handful of sizes.
        var limit = $"LIMIT {Math.Max(size, 0)}";
        string AfterKey(object?[] key)
        {
            for (var i = 0; i < order.Count; i++) parameters.Add($"c{i}", key[i]);
            // The continuation comes first in the WHERE: of two lower bounds on one column (the key's
            // and a list's own, such as byYear's fromYear), SQLite seeks on the first it reads. On the
            // list's own, a deep page in the 160,000 albums of one year stepped over all of them.
            return $"{After(order, c.Dialect())} AND ({where})";
        }
        string condition;
        var provisional = false;
        var now = time.GetUtcNow();
        if (offset == 0 || size <= 0)
            condition = where;
        else if (_cursors.TryGetValue($"{list}|{offset}", out var cursor) && cursor.Expires > now)
            condition = AfterKey(cursor.Key);
        else if (offset >= AnchorEvery && await AnchorsAsync(c, list, from, where, order, args, ct) is ({ Count: > 0 } anchors, var stale))
        {
            provisional = stale;
            var block = Math.Min(offset / AnchorEvery, anchors.Count);
            parameters.Add("pageOffset", offset - block * AnchorEvery);
            (condition, limit) = (AfterKey(anchors[block - 1]), $"{limit} OFFSET @pageOffset");
        }
        else
        {
            parameters.Add("pageOffset", offset);
            (condition, limit) = (where, $"{limit} OFFSET @pageOffset");
        }
        return new KeysetQuery(this, list, offset, size, order, from, condition, limit, parameters, provisional);
    }

    /// <summary>Files the key of a page's last row under the offset of the page after it.</summary>
    internal void Remember(string list, int nextOffset, object?[] key)
    {
        var now = time.GetUtcNow();
        if (_cursors.Count >= MaxCursors) Sweep(now);
        _cursors[$"{list}|{nextOffset}"] = new Cursor(key, now + Lifetime);
    }

    /// <summary>Builds a list's anchors now, ahead of its first deep page (start-up warm-up).</summary>
    public Task PrepareAsync(DbConnection c, string list, string from, string where, IReadOnlyList<Column> order, object? args, CancellationToken ct) =>
        AnchorsAsync(c, list, from, where, order, args, ct);

    /// <summary>The order's columns named k0, k1, … (the id last), as pages and anchors read them.</summary>
    internal static string KeyColumns(IReadOnlyList<Column> order) => string.Join(", ", order.Select((o, i) => $"{o.Sql} AS k{i}"));

    internal static string OrderBy(IReadOnlyList<Column> order) => string.Join(", ", order.Select(o => o.Sql + (o.Descending ? " DESC" : "")));

    /// <summary>
    /// The anchors of a list: kept ones, else one pass over the list's keys (its index) keeping every
    /// AnchorEvery-th, while other requests for that list wait (lists are built side by side).
    /// </summary>
    /// <remarks>
    /// Once the catalog has changed, the kept anchors are still served while a new pass runs in the
    /// background: at 13 M a pass takes a second or more, and a library being scanned or a catalog
    /// taking deliveries changes every few seconds. Meanwhile a jump to a deep page can land as many
    /// rows off as were added or removed before it; paging on from a page (a cursor) stays exact.
    /// </remarks>
    private async Task<(List<object?[]> Keys, bool Stale)> AnchorsAsync(DbConnection c, string list, string from, string where, IReadOnlyList<Column> order, object? args, CancellationToken ct)
    {
        var catalog = await CatalogChanges.CatalogAsync(c, ct);
        if (_anchors.TryGetValue(list, out var kept))
        {
            var stale = kept.Catalog != catalog;
            if (stale && _refreshing.TryAdd(list, 0))
                // Out of this request's execution context: the pass opens a connection of its own,
                // which Database refuses to a request that holds one; nobody waits for it.
                using (ExecutionContext.SuppressFlow()) _ = Task.Run(() => RefreshAsync(list, from, where, order, args));
            return (kept.Keys, stale);
        }
        if (_building.Count > MaxAnchoredLists * 4)
            foreach (var (name, idle) in _building)
                if (idle.CurrentCount == 1 && !_anchors.ContainsKey(name)) _building.TryRemove(name, out _);
        var gate = _building.GetOrAdd(list, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            return (_anchors.TryGetValue(list, out kept) ? kept.Keys : await BuildAsync(c, catalog, list, from, where, order, args, ct), false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task RefreshAsync(string list, string from, string where, IReadOnlyList<Column> order, object? args)
    {
        var ct = lifetime.ApplicationStopping;
        try
        {
            await using var c = await db.OpenAsync(ct);
            await BuildAsync(c, await CatalogChanges.CatalogAsync(c, ct), list, from, where, order, args, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.LogWarning(e, "Could not anchor the list {List} again; its anchors before the last catalog change stay in use", list);
        }
        catch (Exception)
        {
            // Stopping: the anchors die with the process.
        }
        finally
        {
            _refreshing.TryRemove(list, out _);
        }
    }

    private async Task<List<object?[]>> BuildAsync(DbConnection c, long catalog, string list, string from, string where, IReadOnlyList<Column> order,
        object? args, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var keys = new List<object?[]>();
        var columns = KeyColumns(order);
        var numbered = c.Dialect().NumbersRowsInDatabase;
        var sql = numbered
            ? $"""
              SELECT {string.Join(", ", order.Select((_, i) => $"k{i}"))}
              FROM (SELECT {columns}, row_number() OVER (ORDER BY {OrderBy(order)}) AS anchor_row FROM {from} WHERE {where}) numbered
              WHERE anchor_row % {AnchorEvery} = 0 ORDER BY anchor_row
              """
            : $"SELECT {columns} FROM {from} WHERE {where} ORDER BY {OrderBy(order)}";
        // `await using`: a sync Dispose would drain a PostgreSQL scan left half read; the statement it
        // abandons on SQLite is given back when the lease ends (SqliteStatementCache.cs, ReleaseAbandoned).
        await using (var reader = await c.ExecuteReaderAsync(new CommandDefinition(sql, args, commandTimeout: 0, cancellationToken: ct)))
        {
            for (long row = 1; await reader.ReadAsync(ct); row++)
            {
                if (!numbered && row % AnchorEvery != 0) continue;
                var key = new object?[order.Count];
                reader.GetValues(key!);
                keys.Add([.. key.Select(v => v is DBNull ? null : v)]);
            }
        }
        if (_anchors.Count >= MaxAnchoredLists)
            foreach (var oldest in _anchors.OrderBy(a => a.Value.Built).Take(_anchors.Count - MaxAnchoredLists + 1)) _anchors.TryRemove(oldest.Key, out _);
        _anchors[list] = new Anchors(catalog, keys, time.GetUtcNow());
        log.LogInformation("Anchored the list {List}: {Anchors} keys in {Milliseconds:F0} ms", list, keys.Count, time.GetElapsedTime(started).TotalMilliseconds);
        return keys;
    }

    /// <summary>
    /// "Comes after the cursor" in the list's order, as an index range. When every column goes the
    /// same way, a row value: (c0, c1, …) &gt; (@c0, @c1, …), which both databases seek in one step
    /// (SQLite only on plain columns). Otherwise c0 ≥ v0 AND (c0 &gt; v0 OR (c1 ≥ v1 AND (c1 &gt; v1 OR …))),
    /// with ≤/&lt; for descending columns: only its first column bounds the range, so a deep page
    /// steps over the rows that share the cursor's first key and come before it.
    /// </summary>
    public static string After(IReadOnlyList<Column> order, ISqlDialect dialect)
    {
        var desc = order[0].Descending;
        if (order.All(o => o.Descending == desc) && (dialect.SeeksRowValuesOnExpressions || order.All(o => PlainColumn().IsMatch(o.Sql))))
            return $"({string.Join(", ", order.Select(o => o.Sql))}) {(desc ? "<" : ">")} ({string.Join(", ", order.Select((_, i) => $"@c{i}"))})";
        var sb = new StringBuilder();
        for (var i = 0; i < order.Count; i++)
        {
            var (sql, down) = (order[i].Sql, order[i].Descending);
            if (i == order.Count - 1) { sb.Append($"{sql} {(down ? "<" : ">")} @c{i}"); break; }
            sb.Append($"{sql} {(down ? "<=" : ">=")} @c{i} AND ({sql} {(down ? "<" : ">")} @c{i} OR (");
        }
        for (var i = 0; i < order.Count - 1; i++) sb.Append("))");
        return sb.ToString();
    }

    [GeneratedRegex(@"^\w+(\.\w+)?$")]
    private static partial Regex PlainColumn();

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, cursor) in _cursors)
            if (cursor.Expires <= now) _cursors.TryRemove(key, out _);
        // Still full of live cursors (a crawler?): start again rather than grow without bound.
        if (_cursors.Count >= MaxCursors) _cursors.Clear();
    }
}

/// <summary>
/// A page of a list, planned (<see cref="KeysetPages.PlanAsync"/>): SQL for its keys alone
/// (<see cref="Keys"/>, read by <see cref="Seen"/>; <see cref="Ids"/> finds the page again in a
/// statement after it), or for its rows behind their keys (<see cref="Rows"/>, read by
/// <see cref="ReadAsync{T}"/>). Either reader remembers where the page ended, for the next one.
/// </summary>
public sealed class KeysetQuery
{
    private readonly KeysetPages _pages;
    private readonly string _list;
    private readonly int _offset, _size;
    private readonly IReadOnlyList<KeysetPages.Column> _order;

    internal KeysetQuery(KeysetPages pages, string list, int offset, int size, IReadOnlyList<KeysetPages.Column> order, string from, string condition,
        string limit, DynamicParameters parameters, bool provisional)
    {
        (_pages, _list, _offset, _size, _order) = (pages, list, offset, size, order);
        Keys = $"SELECT {KeysetPages.KeyColumns(order)} FROM {from} WHERE {condition} ORDER BY {KeysetPages.OrderBy(order)} {limit}";
        Parameters = parameters;
        Provisional = provisional;
    }

    /// <summary>The statement's parameters; add the caller's own to them.</summary>
    public DynamicParameters Parameters { get; }

    /// <summary>Found from anchors of before the catalog's last change: serve it, keep it not (<see cref="KeysetPage"/>).</summary>
    public bool Provisional { get; }

    /// <summary>The page's sort keys k0, k1, …, in order, the id last: read them with <see cref="Seen"/>.</summary>
    public string Keys { get; }

    /// <summary>The page's ids, as a sub-select for <c>IN (…)</c> in a statement after <see cref="Keys"/> (see <see cref="ISqlDialect.JoinsPageRows"/>).</summary>
    public string Ids => $"SELECT page.k{_order.Count - 1} FROM ({Keys}) page";

    /// <summary>
    /// The page's ids from the rows of <see cref="Keys"/> (the reader's current result); a full page
    /// leaves its last key as the cursor of the next.
    /// </summary>
    public async Task<List<long>> SeenAsync(DbDataReader reader, CancellationToken ct)
    {
        var ids = new List<long>(_size);
        var id = _order.Count - 1;
        while (await reader.ReadAsync(ct))
        {
            ids.Add(reader.GetInt64(id));
            if (ids.Count == _size) _pages.Remember(_list, _offset + _size, LastKey(reader));
        }
        return ids;
    }

    /// <summary>
    /// The page's rows in one statement: its keys (k0, k1, …) and then <paramref name="columns"/>,
    /// from <paramref name="table"/> (alias <paramref name="alias"/>) joined on the page's ids and
    /// <paramref name="joins"/>, in the list's order. Read it with <see cref="ReadAsync{T}"/>.
    /// </summary>
    /// <remarks>
    /// One statement rather than the keys and then the rows <c>IN (</c>the page's ids<c>)</c>: the
    /// second found the page again from its key and the rows came in no order. At 13 M albums on
    /// PostgreSQL the pair ran at 6,700–7,700 pages/s (pgbench, 4 clients) and this at 8,100–9,400.
    /// The rows are looked up by id rather than read along the list's index range with their
    /// columns: for a range from a key PostgreSQL judged its own estimate too uncertain and planned
    /// every page again, which cost more than the 50 lookups.
    /// </remarks>
    public string Rows(string columns, string table, string alias, string joins = "") => $"""
        SELECT page.*, {columns} FROM ({Keys}) page JOIN {table} {alias} ON {alias}.id = page.k{_order.Count - 1} {joins}
        ORDER BY {string.Join(", ", _order.Select((o, i) => $"page.k{i}" + (o.Descending ? " DESC" : "")))}
        """;

    /// <summary>
    /// The rows of <see cref="Rows"/>, each made by <paramref name="read"/> from its columns after
    /// the keys (the index of the first given); a full page leaves its last key as the cursor of the next.
    /// </summary>
    public async Task<List<T>> ReadAsync<T>(DbDataReader reader, Func<DbDataReader, int, T> read, CancellationToken ct)
    {
        var rows = new List<T>(_size);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(read(reader, _order.Count));
            if (rows.Count == _size) _pages.Remember(_list, _offset + _size, LastKey(reader));
        }
        return rows;
    }

    // Only a full page's last row is read for its key: every row's keys through GetValue cost a
    // tenth of the page's reading.
    private object?[] LastKey(DbDataReader reader)
    {
        var key = new object?[_order.Count];
        for (var i = 0; i < key.Length; i++) key[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        return key;
    }
}

/// <summary>
/// A page's ids in order. <paramref name="Provisional"/>: found from anchors read before the catalog's
/// last change (new ones are on their way), so possibly a few rows off its offset: serve it, keep it not.
/// </summary>
public readonly record struct KeysetPage(List<long> Ids, bool Provisional);
