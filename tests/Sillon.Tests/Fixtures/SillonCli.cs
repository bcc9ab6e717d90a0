using System.Diagnostics;

namespace Sillon.Tests.Fixtures;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the built `sillon` program (sillon.dll beside the tests) as a separate process.</summary>
public static class SillonCli
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "sillon.dll");

    public static ProcessStartInfo StartInfo(IEnumerable<string> args, string? stdin = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        return psi;
    }

    public static async Task<CliResult> RunAsync(IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, ProcessStartInfo? psi = null)
    {
        psi ??= StartInfo(args, stdin);
        using var process = Process.Start(psi)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
