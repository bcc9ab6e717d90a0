using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Sillon.Tests.Fixtures;

/// <summary>
/// A throwaway PostgreSQL server for the test run: Debian's postgresql package, a cluster made by
/// initdb in a temporary folder, started by pg_ctl on a free loopback port, stopped and deleted when
/// the test process exits. Every test gets a database of its own (CREATE DATABASE from template1,
/// a file copy), so tests never see each other's rows. Started on first use only, so a SQLite run
/// never needs PostgreSQL installed.
/// SILLON_TEST_DATABASE=postgres makes every <see cref="TestLibrary"/> use it (see test.sh).
/// </summary>
public static class PostgresServer
{
    public static bool Enabled => Environment.GetEnvironmentVariable("SILLON_TEST_DATABASE") is "postgres" or "postgresql";

    private static readonly Lazy<Instance> Server = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lock CreateLock = new();
    private static int _databases;

    /// <summary>A new, empty database on the shared server, as the URL `--database` takes.</summary>
    /// <param name="options">More of CREATE DATABASE, say another template and collation.</param>
    public static string CreateDatabase(string options = "")
    {
        var server = Server.Value;
        var name = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        // CREATE DATABASE copies template1 and takes a lock on it: one at a time is as fast and never
        // fails with "source database is being accessed by other users".
        lock (CreateLock)
        {
            using var connection = new NpgsqlConnection(server.AdminConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name} {options}", connection);
            command.ExecuteNonQuery();
        }
        return $"postgres://postgres@127.0.0.1:{server.Port}/{name}";
    }

    /// <summary>Drops a test's database (its server's connections too), so a run's clusters stay small.</summary>
    public static void DropDatabase(string url)
    {
        var name = url[(url.LastIndexOf('/') + 1)..];
        using (var pooled = new NpgsqlConnection(Sillon.Data.PostgresDialect.ConnectionString(url))) NpgsqlConnection.ClearPool(pooled);
        lock (CreateLock)
        {
            using var connection = new NpgsqlConnection(Server.Value.AdminConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
            command.ExecuteNonQuery();
        }
    }

    private sealed record Instance(string Folder, int Port, string Bin)
    {
        public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";
    }

    private static Instance Start()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        if (bin is null)
            throw new InvalidOperationException("SILLON_TEST_DATABASE=postgres needs PostgreSQL's server programs: apt-get install postgresql postgresql-contrib (test.sh does it as root)");
        StopOrphans(bin);

        var folder = Path.Combine(Path.GetTempPath(), $"sillon-pg-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(folder);
        // initdb refuses to run as root: as root (CI), the cluster belongs to the postgres system user.
        var asRoot = Environment.UserName == "root";
        if (asRoot) Run("chown", ["postgres:postgres", folder], asRoot: false);
        var data = Path.Combine(folder, "data");
        // C.UTF-8: text sorts by code point, as SQLite's BINARY collation does, while lower() and the
        // text-search parser still know every script.
        Run(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"], asRoot);

        var port = FreePort();
        // Durability is worthless for a throwaway cluster: no fsync makes CREATE DATABASE and commits cheap.
        var settings = $"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400";
        Run(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60", "-o", settings, "start"], asRoot);
        var instance = new Instance(folder, port, bin);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(instance.Bin, folder);
        return instance;
    }

    /// <summary>
    /// Stops the server and deletes its folder from a shell in a session of its own, started and not
    /// awaited: the test runner kills this process (and its children) moments after ProcessExit.
    /// </summary>
    private static void Stop(string bin, string folder)
    {
        var pgCtl = Path.Combine(bin, "pg_ctl");
        var stop = Environment.UserName == "root" ? "runuser -u postgres -- \"$1\"" : "\"$1\"";
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-f", "sh", "-c", $"{stop} -D \"$2/data\" -m immediate stop >/dev/null 2>&1; rm -rf \"$2\"", "sh", pgCtl, folder })
            psi.ArgumentList.Add(a);
        try { Process.Start(psi)?.Dispose(); } catch (System.ComponentModel.Win32Exception) { }
    }

    /// <summary>Clusters left by a test process that was killed (its ProcessExit never ran).</summary>
    private static void StopOrphans(string bin)
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "sillon-pg-*"))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length < 3 || !int.TryParse(parts[2], out var pid) || pid == Environment.ProcessId) continue;
            if (File.Exists($"/proc/{pid}/status")) continue; // its test run is still going
            Stop(bin, dir);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Run(string program, IReadOnlyList<string> args, bool asRoot)
    {
        var psi = new ProcessStartInfo(asRoot ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asRoot) foreach (var a in new[] { "-u", "postgres", "--", program }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) { process.Kill(true); throw new InvalidOperationException($"{program} did not finish"); }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
    }
}
