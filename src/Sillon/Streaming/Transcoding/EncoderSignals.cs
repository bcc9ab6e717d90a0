using System.Runtime.InteropServices;

namespace Sillon.Streaming.Transcoding;

/// <summary>
/// Pausing and resuming an encoder with SIGSTOP/SIGCONT. Linux only (the signal numbers differ
/// elsewhere); on other systems <see cref="Supported"/> is false and every admitted encoder runs.
/// </summary>
internal static partial class EncoderSignals
{
    private const int SigKill = 9, SigCont = 18, SigStop = 19;

    public static bool Supported => OperatingSystem.IsLinux();

    public static bool Stop(int pid) => Supported && Kill(pid, SigStop) == 0;

    public static bool Continue(int pid) => Supported && Kill(pid, SigCont) == 0;

    /// <summary>SIGKILL, which also ends a stopped process.</summary>
    public static bool KillNow(int pid) => Supported && Kill(pid, SigKill) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
