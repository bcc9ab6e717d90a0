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
/// with an index seek. An offset nobody reached by paging falls back to OFFSET once.
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
