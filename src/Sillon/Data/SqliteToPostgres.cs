using System.Data.Common;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Sillon.Data;

/// <summary>
/// `sillon db migrate-to postgres://…`: copies a SQLite installation, every table (catalog, accounts,
/// annotations with their play counts, play events, playlists, …), into an empty PostgreSQL
/// database in one transaction, by binary COPY. Ids are copied as they are, so everything that
/// points at them (favourites, playlists, shares) still does; each identity sequence then starts
/// past the highest id SQLite ever handed out (sqlite_sequence), so a deleted id is never reused.
/// </summary>
public static class SqliteToPostgres
{
    public sealed class TargetNotEmptyException(IReadOnlyList<string> tables)
        : Exception($"the target database is not empty (rows in {string.Join(", ", tables)}): migrate-to only fills an empty database");

    public sealed record Copied(string Table, long Rows);

    public static async Task<List<Copied>> CopyAsync(Database source, Database target, TimeProvider time, CancellationToken ct)
    {
        if (source.IsPostgres || !target.IsPostgres) throw new ArgumentException("migrate-to copies a SQLite database into a PostgreSQL one");
        var version = await source.MigrateAsync(time, ct);
        var targetVersion = await target.MigrateAsync(time, ct);
        if (version != targetVersion) throw new InvalidOperationException($"schema versions differ: SQLite {version}, PostgreSQL {targetVersion}");

        await using var from = await source.OpenAsync(ct);
        await using var to = (NpgsqlConnection)await target.OpenAsync(ct);
        var columns = (await to.QueryAsync<(string Table, string Column, string Type, string Identity)>(new CommandDefinition("""
            SELECT c.table_name, c.column_name, c.data_type, c.is_identity FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
            ORDER BY c.table_name, c.ordinal_position
            """, cancellationToken: ct))).ToLookup(c => c.Table);
        // The search index is derived data, rebuilt at the end; schema_migrations is already filled.
        var tables = columns.Select(g => g.Key).Where(t => t != "schema_migrations" && !t.StartsWith("search_", StringComparison.Ordinal)).ToList();

        var notEmpty = new List<string>();
        foreach (var table in tables)
            if (await to.ExecuteScalarAsync<bool>(new CommandDefinition($"SELECT EXISTS (SELECT 1 FROM {table})", cancellationToken: ct))) notEmpty.Add(table);
        if (notEmpty.Count > 0) throw new TargetNotEmptyException(notEmpty);

        var references = await to.QueryAsync<(string From, string To)>(new CommandDefinition("""
            SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
            WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
            """, cancellationToken: ct));
        var sequences = (await from.QueryAsync<(string Name, long Seq)>(new CommandDefinition("SELECT name, seq FROM sqlite_sequence", cancellationToken: ct)))
            .ToDictionary(s => s.Name, s => s.Seq);

        var copied = new List<Copied>();
        await using var tx = await to.BeginTransactionAsync(ct);
        // Rows are copied as they are, derived ones included (a trigger's bookkeeping, such as
        // listening_changes): the tables' own triggers must not fire again. Foreign keys (system
        // triggers) still hold. ALTER TABLE is transactional: nothing stays disabled on failure.
        foreach (var table in tables)
            await to.ExecuteAsync(new CommandDefinition($"ALTER TABLE {table} DISABLE TRIGGER USER", transaction: tx, cancellationToken: ct));
        foreach (var table in ReferencedFirst(tables, references))
        {
            var cols = columns[table].ToList();
            var names = string.Join(", ", cols.Select(c => c.Column));
            await using var read = from.CreateCommand();
            read.CommandText = $"SELECT {names} FROM {table}";
            await using var reader = await read.ExecuteReaderAsync(ct);
            long rows = 0;
            await using (var writer = await to.BeginBinaryImportAsync($"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)", ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    await writer.StartRowAsync(ct);
                    for (var i = 0; i < cols.Count; i++)
                    {
                        if (await reader.IsDBNullAsync(i, ct)) await writer.WriteNullAsync(ct);
                        else await WriteAsync(writer, reader.GetValue(i), cols[i].Type, $"{table}.{cols[i].Column}", ct);
                    }
                    rows++;
                }
                await writer.CompleteAsync(ct);
            }
            copied.Add(new Copied(table, rows));

            foreach (var identity in cols.Where(c => c.Identity == "YES"))
            {
                var max = await to.ExecuteScalarAsync<long?>(new CommandDefinition($"SELECT MAX({identity.Column}) FROM {table}", transaction: tx, cancellationToken: ct)) ?? 0;
                var next = Math.Max(max, sequences.GetValueOrDefault(table));
                if (next > 0)
                    await to.ExecuteAsync(new CommandDefinition("SELECT setval(pg_get_serial_sequence(@table, @column), @next)",
                        new { table, column = identity.Column, next }, tx, cancellationToken: ct));
            }
        }
        foreach (var table in tables)
            await to.ExecuteAsync(new CommandDefinition($"ALTER TABLE {table} ENABLE TRIGGER USER", transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        await Search.SearchIndex.RebuildAsync(to, ct);
        return copied;
    }

    private static ValueTask WriteAsync(NpgsqlBinaryImporter writer, object value, string type, string column, CancellationToken ct) => type switch
    {
        "bigint" => new ValueTask(writer.WriteAsync(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType.Bigint, ct)),
        "integer" => new ValueTask(writer.WriteAsync(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType.Integer, ct)),
        "double precision" => new ValueTask(writer.WriteAsync(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType.Double, ct)),
        "text" => new ValueTask(writer.WriteAsync(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!, NpgsqlDbType.Text, ct)),
        "boolean" => new ValueTask(writer.WriteAsync(Convert.ToBoolean(value, System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType.Boolean, ct)),
        "bytea" => new ValueTask(writer.WriteAsync((byte[])value, NpgsqlDbType.Bytea, ct)),
        _ => throw new NotSupportedException($"{column}: no copy rule for PostgreSQL type {type}"),
    };

    /// <summary>Tables in an order where every table comes after those its foreign keys point at (self-references aside).</summary>
    internal static List<string> ReferencedFirst(IReadOnlyList<string> tables, IEnumerable<(string From, string To)> references)
    {
        var needs = tables.ToDictionary(t => t, _ => new HashSet<string>());
        foreach (var (f, t) in references)
            if (f != t && needs.ContainsKey(f) && needs.ContainsKey(t)) needs[f].Add(t);
        var order = new List<string>();
        var done = new HashSet<string>();
        while (order.Count < tables.Count)
        {
            var ready = tables.Where(t => !done.Contains(t) && needs[t].All(done.Contains)).ToList();
            if (ready.Count == 0) throw new InvalidOperationException("foreign keys form a cycle: " + string.Join(", ", tables.Where(t => !done.Contains(t))));
            foreach (var t in ready) { order.Add(t); done.Add(t); }
        }
        return order;
    }
}
