using System.Globalization;
using System.Text;

namespace Sillon.Streaming.Transcoding;

/// <summary>
/// Encoders a killed server left behind. When a server dies of SIGKILL (the OOM killer, `kill -9`,
/// a container runtime), an ffmpeg the scheduler had paused with SIGSTOP never gets to read its
/// closed pipe and stays stopped, holding its memory, until the machine restarts. Every encoder
/// carries its server's identity in its environment (<see cref="Variable"/>: the pid and its start
/// time, so that a reused pid is not taken for the owner), and a starting server kills the
/// encoders whose owner is no longer running. Encoders of another live server are left alone.
/// </summary>
public sealed partial class OrphanEncoders(ILogger<OrphanEncoders> log) : IHostedService
{
    public const string Variable = "SILLON_ENCODER_OWNER";
    private static readonly byte[] Prefix = Encoding.ASCII.GetBytes(Variable + "=");

    /// <summary>This process as an encoder's owner: "pid:start time".</summary>
    public static string Owner { get; } = Identity(Environment.ProcessId) ?? Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    public Task StartAsync(CancellationToken ct)
    {
        var killed = Reap();
        if (killed > 0) LogReaped(killed);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Kills the encoders whose server is no longer running; returns how many.</summary>
    internal static int Reap()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        var killed = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId) continue;
            string? owner;
            try { owner = OwnerIn(File.ReadAllBytes(Path.Combine(dir, "environ"))); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; } // gone, or another user's
            if (owner is null || owner == Owner) continue;
            var colon = owner.IndexOf(':');
            if (colon > 0 && int.TryParse(owner.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ownerPid) && Identity(ownerPid) == owner)
                continue; // its server is running
            if (EncoderSignals.KillNow(pid)) killed++;
        }
        return killed;
    }

    /// <summary>The owner named in a process environment (NUL-separated KEY=VALUE), if any.</summary>
    private static string? OwnerIn(byte[] environ)
    {
        foreach (var range in environ.AsSpan().Split((byte)0))
        {
            var entry = environ.AsSpan(range);
            if (entry.StartsWith(Prefix)) return Encoding.ASCII.GetString(entry[Prefix.Length..]);
        }
        return null;
    }

    /// <summary>"pid:start time" of a running process (its start in clock ticks after boot, field 22 of /proc/PID/stat), or null.</summary>
    internal static string? Identity(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Field 2, the command name, is in parentheses and may hold spaces: count from after it (field 3).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? $"{pid}:{fields[19]}" : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killed {Count} ffmpeg encoder(s) left running by a server that was killed")]
    private partial void LogReaped(int count);
}
