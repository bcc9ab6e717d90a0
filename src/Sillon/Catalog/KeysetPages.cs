using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using Dapper;

namespace Sillon.Catalog;

/// <summary>
/// Deep pages without OFFSET scans. Subsonic clients page with offsets (getAlbumList2, search3), and
/// an OFFSET of 600,000 makes the database step over 600,000 rows. So each page served remembers
/// where it ended: the sort key of its last row, filed under the offset of the next page. When that
/// page is asked for (a client scrolling or syncing asks for exactly that), it starts after the key
/// with an index seek. An offset nobody reached by paging (a client jumping, or resuming after a
/// restart) starts from the nearest anchor below it: the lists keep the sort key of every
/// 1,000th row, read in one pass over the index the first time a deep page is asked for, and again
/// after the catalog changes. So no page steps over more than 999 rows.
/// </summary>
/// <remarks>
/// A continuation from a key is also what keeps paging stable while a scan writes: a row added or
/// removed before the key no longer shifts every later page by one.
/// </remarks>
public sealed class KeysetPages(TimeProvider time)
{
    /// <summary>One column of a total order: an SQL expression (never NULL) and its direction.</summary>
    public sealed record Column(string Sql, bool Descending = false);

    private sealed record Cursor(object?[] Key, DateTimeOffset Expires);

    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);
    private const int MaxCursors = 20_000;
    private readonly ConcurrentDictionary<string, Cursor> _cursors = new();

    /// <summary>Rows between two anchors: the most a cold page steps over.</summary>
    public const int AnchorEvery = 1000;
    private const int MaxAnchoredLists = 64;
    /// <summary>The keys of rows AnchorEvery − 1, 2 × AnchorEvery − 1, …: each ends the block before an anchor.</summary>
    private sealed record Anchors(long Catalog, List<object?[]> Keys, DateTimeOffset Built);
    private readonly ConcurrentDictionary<string, Anchors> _anchors = new();
    private readonly SemaphoreSlim _anchoring = new(1, 1);

    /// <summary>
    /// The ids of one page of <paramref name="from"/> (a FROM … WHERE … clause, always with a WHERE)
    /// in the order of <paramref name="order"/>, whose last column must be unique (the id).
    /// <paramref name="list"/> names the list and its parameters: pages of the same list share cursors.
    /// </summary>
    public async Task<List<long>> PageAsync(DbConnection c, string list, string from, IReadOnlyList<Column> order, object? args,
        int size, int offset, CancellationToken ct)
    {
        if (size <= 0) return [];
        var parameters = new DynamicParameters(args);
        parameters.Add("pageSize", size);
        var orderBy = string.Join(", ", order.Select(o => o.Sql + (o.Descending ? " DESC" : "")));
        var keys = string.Join(", ", order.Select((o, i) => $"{o.Sql} AS k{i}"));
        string sql;
        var now = time.GetUtcNow();
        if (offset == 0)
            sql = $"SELECT {keys} {from} ORDER BY {orderBy} LIMIT @pageSize";
        else if (_cursors.TryGetValue($"{list}|{offset}", out var cursor) && cursor.Expires > now)
        {
            for (var i = 0; i < order.Count; i++) parameters.Add($"c{i}", cursor.Key[i]);
            sql = $"SELECT {keys} {from} AND {After(order)} ORDER BY {orderBy} LIMIT @pageSize";
        }
        else if (offset >= AnchorEvery && await AnchorsAsync(c, list, from, order, args, ct) is { } anchors && anchors.Count > 0)
        {
            var block = Math.Min(offset / AnchorEvery, anchors.Count);
            var before = anchors[block - 1];
            for (var i = 0; i < order.Count; i++) parameters.Add($"c{i}", before[i]);
            parameters.Add("pageOffset", offset - block * AnchorEvery);
            sql = $"SELECT {keys} {from} AND {After(order)} ORDER BY {orderBy} LIMIT @pageSize OFFSET @pageOffset";
        }
        else
        {
            parameters.Add("pageOffset", offset);
            sql = $"SELECT {keys} {from} ORDER BY {orderBy} LIMIT @pageSize OFFSET @pageOffset";
        }

        var rows = (await c.QueryAsync(new CommandDefinition(sql, parameters, cancellationToken: ct))).Cast<IDictionary<string, object?>>().ToList();
        if (rows.Count == size)
        {
            if (_cursors.Count >= MaxCursors) Sweep(now);
            var last = rows[^1];
            _cursors[$"{list}|{offset + size}"] = new Cursor([.. Enumerable.Range(0, order.Count).Select(i => last[$"k{i}"])], now + Lifetime);
        }
        var idKey = $"k{order.Count - 1}";
        return rows.Select(r => Convert.ToInt64(r[idKey], System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>
    /// The anchors of a list for the catalog as it is now: kept ones while the catalog counter has
    /// not moved, else one pass over the list's keys (its index) keeping every 1,000th.
    /// </summary>
    private async Task<List<object?[]>> AnchorsAsync(DbConnection c, string list, string from, IReadOnlyList<Column> order, object? args, CancellationToken ct)
    {
        var catalog = await CatalogChanges.CatalogAsync(c, ct);
        if (_anchors.TryGetValue(list, out var kept) && kept.Catalog == catalog) return kept.Keys;
        await _anchoring.WaitAsync(ct);
        try
        {
            if (_anchors.TryGetValue(list, out kept) && kept.Catalog == catalog) return kept.Keys;
            var keys = new List<object?[]>();
            var sql = $"SELECT {string.Join(", ", order.Select(o => o.Sql))} {from} ORDER BY {string.Join(", ", order.Select(o => o.Sql + (o.Descending ? " DESC" : "")))}";
            await using (var reader = await c.ExecuteReaderAsync(new CommandDefinition(sql, args, commandTimeout: 0, cancellationToken: ct)))
            {
                for (long row = 1; await reader.ReadAsync(ct); row++)
                {
                    if (row % AnchorEvery != 0) continue;
                    var key = new object?[order.Count];
                    reader.GetValues(key!);
                    keys.Add([.. key.Select(v => v is DBNull ? null : v)]);
                }
            }
            if (_anchors.Count >= MaxAnchoredLists)
                foreach (var oldest in _anchors.OrderBy(a => a.Value.Built).Take(_anchors.Count - MaxAnchoredLists + 1)) _anchors.TryRemove(oldest.Key, out _);
            _anchors[list] = new Anchors(catalog, keys, time.GetUtcNow());
            return keys;
        }
        finally
        {
            _anchoring.Release();
        }
    }

    /// <summary>
    /// "Comes after the cursor" in the list's order, written so that the first column bounds an index
    /// range: c0 ≥ v0 AND (c0 > v0 OR (c1 ≥ v1 AND (c1 > v1 OR …))), with ≤/&lt; for descending columns.
    /// </summary>
    public static string After(IReadOnlyList<Column> order)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < order.Count; i++)
        {
            var (sql, desc) = (order[i].Sql, order[i].Descending);
            if (i == order.Count - 1) { sb.Append($"{sql} {(desc ? "<" : ">")} @c{i}"); break; }
            sb.Append($"{sql} {(desc ? "<=" : ">=")} @c{i} AND ({sql} {(desc ? "<" : ">")} @c{i} OR (");
        }
        for (var i = 0; i < order.Count - 1; i++) sb.Append("))");
        return sb.ToString();
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, cursor) in _cursors)
            if (cursor.Expires <= now) _cursors.TryRemove(key, out _);
        // Still full of live cursors (a crawler?): start again rather than grow without bound.
        if (_cursors.Count >= MaxCursors) _cursors.Clear();
    }
}
