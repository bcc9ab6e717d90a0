using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sillon.Accounts;
using Sillon.Data;
using Sillon.Library;

namespace Sillon.Cli;

/// <summary>The `sillon` command line: serve, scan and user.</summary>
public static class Commands
{
    public static class ExitCodes
    {
        public const int Ok = 0, Failed = 1, Usage = 2, Busy = 3, Storage = 4;
    }

    private static Option<string[]> MusicOption() => new("--music", "-m")
    {
        Description = "A music folder (repeat for several)",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static Option<string?> DataOption() => new("--data", "-d")
    {
        Description = "Folder for the database, caches and keys (default ./sillon-data, or SILLON_DATA)",
    };

    internal static Option<string?> DatabaseOption() => new("--database")
    {
        Description = "PostgreSQL instead of SQLite: postgres://user:password@host:port/database (or SILLON_DATABASE)",
    };

    /// <summary>The --database value as a configuration layer (only when given, so sillon.json and SILLON_DATABASE still apply).</summary>
    internal static Dictionary<string, string?>? DatabaseSetting(string? database) =>
        database is null ? null : new() { ["Database"] = database };

    public static RootCommand Root()
    {
        var root = new RootCommand("Sillon: a music streaming server for one person or many.");
        root.Subcommands.Add(Serve());
        root.Subcommands.Add(Scan());
        root.Subcommands.Add(User());
        root.Subcommands.Add(DbCommands.Db(DataOption));
        root.Subcommands.Add(CatalogCommands.Catalog());
        return root;
    }

    private static Command Serve()
    {
        var music = MusicOption();
        var data = DataOption();
        var urls = new Option<string?>("--urls") { Description = "Addresses to listen on (default http://localhost:4747)" };
        var database = DatabaseOption();
        var command = new Command("serve", "Run the server: scans and watches the music folders, serves the API and the player.") { music, data, urls, database };
        command.SetAction(async (result, ct) =>
        {
            var configuration = SillonConfiguration.Build(result.GetValue(data), result.GetValue(music) ?? [], result.GetValue(urls), DatabaseSetting(result.GetValue(database)));
            return await DatabaseGuard(async () =>
            {
                await using var app = SillonApp.Build(configuration);
                return await SillonApp.ServeAsync(app, ct);
            });
        });
        return command;
    }

    private static Command Scan()
    {
        var music = MusicOption();
        var data = DataOption();
        var full = new Option<bool>("--full") { Description = "Re-read every file, not only new and changed ones" };
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object" };
        var database = DatabaseOption();
        var command = new Command("scan", "Scan the music folders once into the catalog and print a summary.") { music, data, full, json, database };
        command.SetAction(async (result, ct) =>
        {
            var configuration = SillonConfiguration.Build(result.GetValue(data), result.GetValue(music) ?? [], null, DatabaseSetting(result.GetValue(database)));
            var asJson = result.GetValue(json);
            try
            {
                await using var services = Services(configuration);
                await services.GetRequiredService<Database>().MigrateAsync(TimeProvider.System, ct);
                var scanner = services.GetRequiredService<Scanner>();
                var state = services.GetRequiredService<ScanState>();
                using var bar = ProgressBar.StartIfTerminal(state);
                var summary = await scanner.ScanAsync(result.GetValue(full), ct);
                bar?.Finish();
                if (asJson) Console.Out.WriteLine(JsonSerializer.Serialize(summary, JsonOptions));
                else PrintSummary(summary);
                return summary.Status switch
                {
                    ScanStatus.Completed => ExitCodes.Ok,
                    ScanStatus.Busy => ExitCodes.Busy,
                    _ => ExitCodes.Failed,
                };
            }
            catch (Exception e) when (Database.IsDiskFull(e))
            {
                Console.Error.WriteLine("sillon: the disk holding the database is full; the scan stopped and the catalog is unchanged since the last committed batch. Free some space and scan again.");
                return ExitCodes.Storage;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException || Database.IsDatabaseError(e))
            {
                Console.Error.WriteLine($"sillon: cannot use the database: {e.Message}");
                return ExitCodes.Storage;
            }
        });
        return command;
    }

    private static Command User()
    {
        var command = new Command("user", "Manage accounts.");
        var data = DataOption();
        var database = DatabaseOption();
        var name = new Argument<string>("name") { Description = "The account name" };
        var admin = new Option<bool>("--admin") { Description = "Give the account administrator rights" };
        var password = new Option<string?>("--password", "-p") { Description = "The password (visible in the process list: prefer --password-stdin)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input" };

        var add = new Command("add", "Create an account.") { name, admin, password, passwordStdin, data, database };
        add.SetAction((result, ct) => DatabaseGuard(async () =>
        {
            var secret = ReadPassword(result.GetValue(password), result.GetValue(passwordStdin));
            if (secret is null) return ExitCodes.Usage;
            await using var services = await MigratedServices(result.GetValue(data), result.GetValue(database), ct);
            var (outcome, user) = await services.GetRequiredService<Users>().AddAsync(result.GetValue(name)!, secret, result.GetValue(admin), ct);
            return Report(outcome, outcome == UserResult.Ok ? $"Created {(user!.IsAdmin ? "administrator" : "user")} '{user.Name}'." : null, result.GetValue(name)!);
        }));

        var list = new Command("list", "List accounts.") { data, database };
        list.SetAction(async (result, ct) =>
        {
            await using var services = await MigratedServices(result.GetValue(data), result.GetValue(database), ct);
            foreach (var u in await services.GetRequiredService<Users>().ListAsync(ct))
                Console.WriteLine($"{u.Name}\t{(u.IsAdmin ? "admin" : "user")}\t{u.CreatedAt}");
            return ExitCodes.Ok;
        });

        var passwd = new Command("passwd", "Change an account's password (and end its sessions).") { name, password, passwordStdin, data, database };
        passwd.SetAction(async (result, ct) =>
        {
            var secret = ReadPassword(result.GetValue(password), result.GetValue(passwordStdin));
            if (secret is null) return ExitCodes.Usage;
            await using var services = await MigratedServices(result.GetValue(data), result.GetValue(database), ct);
            var outcome = await services.GetRequiredService<Users>().SetPasswordAsync(result.GetValue(name)!, secret, ct);
            return Report(outcome, "Password changed.", result.GetValue(name)!);
        });

        var remove = new Command("remove", "Delete an account.") { name, data, database };
        remove.SetAction(async (result, ct) =>
        {
            await using var services = await MigratedServices(result.GetValue(data), result.GetValue(database), ct);
            var outcome = await services.GetRequiredService<Users>().RemoveAsync(result.GetValue(name)!, ct);
            return Report(outcome, "Account removed.", result.GetValue(name)!);
        });

        command.Subcommands.Add(add);
        command.Subcommands.Add(list);
        command.Subcommands.Add(passwd);
        command.Subcommands.Add(remove);
        return command;
    }

    /// <summary>A database that cannot be reached or used (a wrong URL, a server down, bad credentials) is a message and exit code 4, not a stack trace.</summary>
    internal static async Task<int> DatabaseGuard(Func<Task<int>> action)
    {
        try { return await action(); }
        catch (Exception e) when (Database.IsDatabaseError(e))
        {
            Console.Error.WriteLine($"sillon: cannot use the database: {e.Message}");
            return ExitCodes.Storage;
        }
    }

    private static int Report(UserResult outcome, string? success, string name)
    {
        var message = outcome switch
        {
            UserResult.Ok => success,
            UserResult.NotFound => $"sillon: no account named '{name}'.",
            UserResult.AlreadyExists => $"sillon: an account named '{name}' already exists.",
            UserResult.InvalidName => "sillon: a name is 1–64 characters, without control characters, ':', '/' or '\\'.",
            UserResult.InvalidPassword => $"sillon: a password is {Users.MinPasswordLength}–1024 characters.",
            UserResult.LastAdmin => $"sillon: '{name}' is the last enabled administrator; make another one first.",
            _ => outcome.ToString(),
        };
        if (outcome == UserResult.Ok) Console.WriteLine(message);
        else Console.Error.WriteLine(message);
        return outcome == UserResult.Ok ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static string? ReadPassword(string? password, bool fromStdin)
    {
        if (fromStdin == (password is not null))
        {
            Console.Error.WriteLine("sillon: give the password with exactly one of --password-stdin or --password.");
            return null;
        }
        return fromStdin ? Console.In.ReadLine() ?? "" : password;
    }

    internal static ServiceProvider Services(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            // The summary lists unreadable files; per-file warnings would only repeat it.
            .SetMinimumLevel(LogLevel.Error));
        services.AddSillonCore(configuration);
        return services.BuildServiceProvider();
    }

    private static async Task<ServiceProvider> MigratedServices(string? data, string? database, CancellationToken ct)
    {
        var services = Services(SillonConfiguration.Build(data, [], null, DatabaseSetting(database)));
        await services.GetRequiredService<Database>().MigrateAsync(TimeProvider.System, ct);
        return services;
    }

    private static void PrintSummary(ScanSummary s)
    {
        if (s.Status == ScanStatus.Busy)
        {
            Console.Error.WriteLine($"sillon: {s.Errors[0].Reason}; try again when it has finished.");
            return;
        }
        var moved = s.Moved > 0 ? $", {s.Moved} moved" : "";
        Console.WriteLine($"Scan {s.Status} in {s.Seconds:0.0} s: {s.Added} added, {s.Updated} updated, {s.Removed} removed, {s.Unchanged} unchanged{moved}.");
        Console.WriteLine($"Catalog: {s.Tracks} tracks, {s.Albums} albums, {s.Artists} artists.");
        if (s.Errors.Count == 0) return;
        Console.WriteLine($"{s.Errors.Count} problem(s):");
        foreach (var e in s.Errors) Console.WriteLine($"  {e.Path}: {e.Reason}");
    }

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
