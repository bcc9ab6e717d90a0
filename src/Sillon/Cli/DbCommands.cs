using System.CommandLine;
using Sillon.Data;

namespace Sillon.Cli;

/// <summary>`sillon db …`: moving an installation between databases.</summary>
public static class DbCommands
{
    public static Command Db(Func<Option<string?>> dataOption)
    {
        var data = dataOption();
        var url = new Argument<string>("url") { Description = "The target: postgres://user:password@host:port/database, an empty database" };
        var migrateTo = new Command("migrate-to",
            "Copy this installation's SQLite catalog, accounts, favourites, play counts, playlists… into an empty PostgreSQL database.") { url, data };
        migrateTo.SetAction(async (result, ct) =>
        {
            var options = SillonConfiguration.Bind(SillonConfiguration.Build(result.GetValue(data), [], null));
            var source = new Database(options.Data);
            if (!File.Exists(source.FilePath))
            {
                Console.Error.WriteLine($"sillon: no SQLite database at {source.FilePath}: nothing to migrate (give the data folder with --data).");
                return Commands.ExitCodes.Usage;
            }
            Database target;
            try { target = new Database(options.Data, result.GetValue(url)); }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"sillon: {e.Message}");
                return Commands.ExitCodes.Usage;
            }
            try
            {
                var copied = await SqliteToPostgres.CopyAsync(source, target, TimeProvider.System, ct);
                foreach (var c in copied.Where(c => c.Rows > 0)) Console.WriteLine($"  {c.Table}: {c.Rows} rows");
                Console.WriteLine($"Copied {copied.Sum(c => c.Rows)} rows from {source.FilePath}. Start the server with --database (or SILLON_DATABASE) to use PostgreSQL; the SQLite file is left as it was.");
                return Commands.ExitCodes.Ok;
            }
            catch (SqliteToPostgres.TargetNotEmptyException e)
            {
                Console.Error.WriteLine($"sillon: {e.Message}. Nothing was copied.");
                return Commands.ExitCodes.Failed;
            }
            catch (Exception e) when (Database.IsDatabaseError(e))
            {
                Console.Error.WriteLine($"sillon: cannot use the database: {e.Message}. Nothing was copied.");
                return Commands.ExitCodes.Storage;
            }
        });
        return new Command("db", "Database maintenance.") { migrateTo };
    }
}
