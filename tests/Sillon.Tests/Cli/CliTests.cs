using System.Diagnostics;
using System.Text.Json;
using Sillon.Data;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Cli;

/// <summary>The built `sillon` program, run as a user would run it.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private readonly TestLibrary _lib = new();

    private string[] ScanArgs(params string[] more) => ["scan", "--music", _lib.Music, "--data", _lib.Data, .. more];

    [Fact]
    public async Task Scan_json_prints_one_object_with_the_summary_fields()
    {
        await _lib.AddAsync("a/1.mp3", "mp3", new TagSet { Title = "One", Artists = ["A"], Album = "X" });
        _lib.WriteBytes("a/broken.flac", "nope"u8.ToArray());

        var result = await SillonCli.RunAsync(ScanArgs("--json"));

        Assert.Equal(0, result.ExitCode);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        foreach (var field in new[] { "added", "updated", "removed", "unchanged", "tracks", "albums", "artists", "errors" })
            Assert.True(json.TryGetProperty(field, out _), $"missing {field}");
        Assert.Equal(1, json.GetProperty("added").GetInt32());
        var error = json.GetProperty("errors")[0];
        Assert.EndsWith("broken.flac", error.GetProperty("path").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Scan_prints_a_readable_summary()
    {
        await _lib.AddAsync("a/1.mp3", "mp3", new TagSet { Title = "One", Artists = ["A"], Album = "X" });
        var result = await SillonCli.RunAsync(ScanArgs());
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("1 added", result.Stdout);
        Assert.Contains("Catalog: 1 tracks", result.Stdout);
    }

    [Fact]
    public async Task Scan_of_a_library_that_does_not_exist_exits_non_zero()
    {
        var result = await SillonCli.RunAsync(["scan", "--music", Path.Combine(_lib.Root, "missing"), "--data", _lib.Data]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("does not exist", result.Stdout);
    }

    [Fact]
    public async Task Two_scans_at_once_the_second_says_busy()
    {
        await _lib.AddAsync("a/1.mp3", "mp3", new TagSet { Title = "One", Artists = ["A"], Album = "X" });
        var db = _lib.Database();
        await using (await db.Dialect.TryScanLockAsync(db, default))
        {
            var result = await SillonCli.RunAsync(ScanArgs());
            Assert.Equal(3, result.ExitCode);
            Assert.Contains("another sillon process is scanning", result.Stderr);
        }
    }

    [Trait("Database", "SQLite")]
    [SqliteFact("a process killed while writing the SQLite file; PostgreSQL rolls back the killed session's transaction itself")]
    public async Task Killed_scan_leaves_a_consistent_catalog_that_the_next_scan_completes()
    {
        // Many small files so that the scan is still running when it is killed.
        var template = await _lib.AddAsync("t/template.mp3", "mp3", new TagSet { Title = "T", Artists = ["A"], Album = "Big" });
        for (var i = 0; i < 3000; i++)
        {
            var dir = _lib.PathOf($"big/{i / 100:D3}");
            Directory.CreateDirectory(dir);
            File.Copy(template, Path.Combine(dir, $"{i:D4} - Track.mp3"));
        }
        var psi = SillonCli.StartInfo(ScanArgs(["--full"]));
        psi.Environment["SILLON_LIBRARY__BATCHSIZE"] = "100";
        psi.Environment["SILLON_LIBRARY__READTHREADS"] = "1";
        using (var process = Process.Start(psi)!)
        {
            var until = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < until && !process.HasExited)
            {
                if (File.Exists(Path.Combine(_lib.Data, "sillon.db")) &&
                    await TryCountAsync() > 0) break;
                await Task.Delay(20);
            }
            Assert.False(process.HasExited, "the scan finished before it could be killed: make the library bigger");
            process.Kill(entireProcessTree: true); // SIGKILL: no chance to clean up
            await process.WaitForExitAsync();
        }
        // On a busy machine the kill may land after the last batch of tracks, in the scan's later
        // phases (albums, indexes): still a scan killed before its end.
        var partial = await TryCountAsync();
        Assert.InRange(partial, 1, 3001);
        Assert.Equal("ok", await Sql.ScalarAsync<string>(_lib.Data, "PRAGMA integrity_check"));

        var result = await SillonCli.RunAsync(ScanArgs("--json"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3001, JsonDocument.Parse(result.Stdout).RootElement.GetProperty("tracks").GetInt32());
        Assert.Equal(3001L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT track_count FROM albums"));
        Assert.Contains("interrupted", await Sql.QueryAsync<string>(_lib.Data, "SELECT status FROM scan_runs"));
        // The killed first scan had dropped the secondary indexes of tracks to build them at its end: the next one restored them.
        var indexes = await Sql.QueryAsync<string>(_lib.Data, "SELECT name FROM sqlite_master WHERE type = 'index'");
        Assert.All(SqliteDialect.ScanDeferredIndexes, i => Assert.Contains(i.Name, indexes));
    }

    [Fact]
    public async Task First_scan_of_a_big_library_builds_every_index_it_deferred()
    {
        // SQLite defers the link and track indexes of a big first scan (PostgreSQL keeps them): on
        // both, the scan ends with exactly the indexes the migrations made.
        await Sql.Db(_lib.Data).MigrateAsync(TimeProvider.System);
        var migrated = await Sql.IndexesAsync(_lib.Data, "tracks", "track_artists", "track_genres");
        Assert.NotEmpty(migrated);
        var template = await _lib.AddAsync("t/template.mp3", "mp3", new TagSet { Title = "T", Artists = ["A"], Album = "Big" });
        for (var i = 0; i < 1200; i++)
        {
            var dir = _lib.PathOf($"big/{i / 100:D3}");
            Directory.CreateDirectory(dir);
            File.Copy(template, Path.Combine(dir, $"{i:D4} - Track.mp3"));
        }

        var result = await SillonCli.RunAsync(ScanArgs("--json"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(1201, JsonDocument.Parse(result.Stdout).RootElement.GetProperty("tracks").GetInt32());
        Assert.Equal(migrated, await Sql.IndexesAsync(_lib.Data, "tracks", "track_artists", "track_genres"));
        if (!Sql.OnPostgres) Assert.Equal("ok", await Sql.ScalarAsync<string>(_lib.Data, "PRAGMA integrity_check"));
    }

    private async Task<long> TryCountAsync()
    {
        try { return await Sql.ScalarAsync<long>(_lib.Data, "SELECT COUNT(*) FROM tracks"); }
        catch (Microsoft.Data.Sqlite.SqliteException) { return 0; }
    }

    [Fact]
    public async Task Unreadable_file_is_listed_and_the_scan_still_succeeds()
    {
        await _lib.AddAsync("a/ok.mp3", "mp3", new TagSet { Title = "Ok", Artists = ["A"], Album = "X" });
        var locked = await _lib.AddAsync("a/locked.mp3", "mp3", new TagSet { Title = "Locked", Artists = ["A"], Album = "X" });
        File.SetUnixFileMode(locked, UnixFileMode.None);

        // root reads anything: run the scan as an unprivileged user when the tests run as root.
        var result = await AsUnprivileged(ScanArgs("--json"));

        Assert.Equal(0, result.ExitCode);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal(1, json.GetProperty("added").GetInt32());
        var error = json.GetProperty("errors").EnumerateArray().Single();
        Assert.Equal(locked, error.GetProperty("path").GetString());
        Assert.Contains("permission denied", error.GetProperty("reason").GetString());
    }

    private async Task<CliResult> AsUnprivileged(string[] args)
    {
        if (Environment.UserName != "root") return await SillonCli.RunAsync(args);
        // The unprivileged user needs to reach the test folders and write the data folder.
        foreach (var dir in new[] { _lib.Root, _lib.Music, _lib.Data }) File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
        foreach (var dir in Directory.GetDirectories(_lib.Music, "*", SearchOption.AllDirectories)) File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", SillonCli.Dll }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = _lib.Root;
        psi.Environment["DOTNET_CLI_HOME"] = _lib.Root;
        return await SillonCli.RunAsync(args, psi: psi);
    }

    [Trait("Database", "SQLite")]
    [SqliteFact("a small tmpfs under the SQLite file")]
    public async Task Full_disk_while_writing_the_database_gives_a_clear_error_and_an_intact_database()
    {
        Assert.True(Environment.UserName == "root", "this test mounts a small tmpfs as the data folder: run the suite as root (the test command does)");
        var data = Path.Combine(_lib.Root, "small");
        Directory.CreateDirectory(data);
        // Room for the migrated database and a first scan, not for 60 files with 60 KB of lyrics each.
        var mount = await RunAsync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", data]);
        Assert.True(mount == 0, "mount -t tmpfs failed");
        try
        {
            await _lib.AddAsync("a/first.flac", "flac", new TagSet { Title = "First", Artists = ["A"], Album = "X" });
            var first = await SillonCli.RunAsync(["scan", "--music", _lib.Music, "--data", data]);
            Assert.Equal(0, first.ExitCode);

            // Large lyrics make each row big enough to fill the small disk.
            var template = await _lib.AddAsync("big/template.flac", "flac", new TagSet { Title = "Big", Artists = ["A"], Album = "Y", Lyrics = new string('x', 60_000) });
            for (var i = 0; i < 60; i++) File.Copy(template, _lib.PathOf($"big/{i:D3}.flac"));

            var full = await SillonCli.RunAsync(["scan", "--music", _lib.Music, "--data", data]);

            Assert.Equal(4, full.ExitCode);
            Assert.Contains("disk", full.Stderr);
            Assert.Contains("full", full.Stderr);
            Assert.Equal("ok", await Sql.ScalarAsync<string>(data, "PRAGMA integrity_check"));
            Assert.Contains("First", await Sql.QueryAsync<string>(data, "SELECT title FROM tracks"));
        }
        finally
        {
            // This database's pooled handles only: clearing every pool closed handles that other
            // test classes, running alongside, were checking (ConnectionPragmaTests failed once in CI).
            using (var db = Sql.Db(data))
            using (var pooled = new Microsoft.Data.Sqlite.SqliteConnection(db.ConnectionString)) Microsoft.Data.Sqlite.SqliteConnection.ClearPool(pooled);
            await RunAsync("umount", ["-l", data]);
        }
    }

    private static async Task<int> RunAsync(string program, string[] args)
    {
        var psi = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        await p.WaitForExitAsync();
        return p.ExitCode;
    }

    [Fact]
    public async Task User_commands_add_list_change_and_remove_accounts()
    {
        var add = await SillonCli.RunAsync(["user", "add", "dana", "--admin", "--password-stdin", "--data", _lib.Data], stdin: "first-pass\n");
        Assert.Equal(0, add.ExitCode);
        var duplicate = await SillonCli.RunAsync(["user", "add", "DANA", "--password", "other-pass", "--data", _lib.Data]);
        Assert.NotEqual(0, duplicate.ExitCode);
        Assert.Contains("already exists", duplicate.Stderr);

        var list = await SillonCli.RunAsync(["user", "list", "--data", _lib.Data]);
        Assert.Contains("dana\tadmin", list.Stdout);

        var hash = await Sql.ScalarAsync<string>(_lib.Data, "SELECT password_hash FROM users WHERE name = 'dana'");
        Assert.DoesNotContain("first-pass", hash);
        Assert.True(hash.Length > 40);

        Assert.Equal(0, (await SillonCli.RunAsync(["user", "passwd", "dana", "--password", "second-pass", "--data", _lib.Data])).ExitCode);
        Assert.NotEqual(hash, await Sql.ScalarAsync<string>(_lib.Data, "SELECT password_hash FROM users WHERE name = 'dana'"));

        // The last administrator stays until there is another one.
        var last = await SillonCli.RunAsync(["user", "remove", "dana", "--data", _lib.Data]);
        Assert.NotEqual(0, last.ExitCode);
        Assert.Contains("last enabled administrator", last.Stderr);
        Assert.Equal(0, (await SillonCli.RunAsync(["user", "add", "erin", "--admin", "--password", "erin-pass", "--data", _lib.Data])).ExitCode);
        Assert.Equal(0, (await SillonCli.RunAsync(["user", "remove", "dana", "--data", _lib.Data])).ExitCode);
        var missing = await SillonCli.RunAsync(["user", "remove", "dana", "--data", _lib.Data]);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("no account", missing.Stderr);
    }

    [Theory]
    [InlineData("user add x")]
    [InlineData("user add x --password p1234 --password-stdin")]
    [InlineData("user add x --password ab")]
    public async Task User_add_rejects_missing_or_weak_passwords(string command)
    {
        var result = await SillonCli.RunAsync([.. command.Split(' '), "--data", _lib.Data], stdin: "");
        Assert.NotEqual(0, result.ExitCode);
        Assert.NotEmpty(result.Stderr);
    }

    [Fact]
    public async Task Serve_with_no_user_explains_how_to_create_one_and_env_creates_the_admin()
    {
        var port = FreePort();
        var psi = SillonCli.StartInfo(["serve", "--music", _lib.Music, "--data", _lib.Data, "--urls", $"http://127.0.0.1:{port}"]);
        var output = await RunUntilReadyAsync(psi, port);
        Assert.Contains("sillon user add", output);

        psi.Environment["SILLON_ADMIN_USER"] = "root-admin";
        psi.Environment["SILLON_ADMIN_PASSWORD"] = "admin-pass";
        output = await RunUntilReadyAsync(psi, port);
        Assert.Contains("root-admin", output);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT is_admin FROM users WHERE name = 'root-admin'"));
    }

    [Theory]
    [InlineData("postgres://nobody@127.0.0.1:1/none", 4, "cannot use the database")]
    [InlineData("mysql://db/x", 4, "postgres://user:password@host:port/database")]
    public async Task Serve_with_a_database_it_cannot_use_says_so_and_exits(string database, int exitCode, string message)
    {
        var result = await SillonCli.RunAsync(["serve", "--music", _lib.Music, "--data", _lib.Data, "--urls", $"http://127.0.0.1:{FreePort()}", "--database", database],
            timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // a message, not a stack trace
    }

    [Fact]
    public async Task Serve_reads_sillon_json_from_the_data_folder()
    {
        var port = FreePort();
        await File.WriteAllTextAsync(Path.Combine(_lib.Data, "sillon.json"), $$"""{ "Urls": "http://127.0.0.1:{{port}}", "Music": [ "{{_lib.Music}}" ]{{(_lib.DatabaseUrl is null ? "" : $", \"Database\": \"{_lib.DatabaseUrl}\"")}} }""");
        var output = await RunUntilReadyAsync(SillonCli.StartInfo(["serve", "--data", _lib.Data]), port);
        Assert.Contains($"127.0.0.1:{port}", output);
    }

    private static async Task<string> RunUntilReadyAsync(ProcessStartInfo psi, int port)
    {
        using var process = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient();
        var until = DateTime.UtcNow.AddSeconds(30);
        try
        {
            while (DateTime.UtcNow < until)
            {
                try
                {
                    if ((await http.GetAsync($"http://127.0.0.1:{port}/readyz")).IsSuccessStatusCode) break;
                }
                catch (HttpRequestException) { }
                await Task.Delay(100);
            }
            await Task.Delay(200);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        lock (output) return output.ToString();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _lib.DisposeAsync();
}
