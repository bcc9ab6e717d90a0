using System.Diagnostics;
using Sillon.Streaming.Transcoding;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Streaming;

/// <summary>
/// Encoders left behind by a server killed with SIGKILL. Stand-ins are `sleep` processes carrying
/// the owner variable an encoder gets, stopped with SIGSTOP as the scheduler leaves a paused one.
/// </summary>
public sealed class OrphanEncodersTests
{
    [Fact]
    public async Task A_paused_encoder_whose_server_was_killed_is_ended_when_a_server_starts()
    {
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await gone.WaitForExitAsync();
        using var orphan = Sleeper($"{gone.Id}:{Environment.TickCount64}");
        try
        {
            Assert.True(EncoderSignals.Stop(orphan.Id));

            await using var lib = new TestLibrary();
            await using var server = await SillonServer.StartAsync(lib);

            Assert.True(orphan.WaitForExit(10_000), "the orphaned encoder is still there");
        }
        finally
        {
            if (!orphan.HasExited) orphan.Kill();
        }
    }

    [Fact]
    public void An_encoder_of_another_running_server_is_left_alone()
    {
        using var otherServer = Sleeper(null);
        using var encoder = Sleeper(OrphanEncoders.Identity(otherServer.Id));
        try
        {
            OrphanEncoders.Reap();
            Assert.False(encoder.WaitForExit(300));
        }
        finally
        {
            encoder.Kill();
            otherServer.Kill();
        }
    }

    [Fact]
    public void Encoders_carry_the_identity_of_their_server()
    {
        var owner = Transcoder.Encoder("ffmpeg", redirectInput: false).Environment[OrphanEncoders.Variable];
        Assert.Equal(OrphanEncoders.Owner, owner);
        Assert.Matches($"^{Environment.ProcessId}:[0-9]+$", owner);
    }

    private static Process Sleeper(string? owner)
    {
        var psi = new ProcessStartInfo("sleep", "300") { UseShellExecute = false };
        if (owner is not null) psi.Environment[OrphanEncoders.Variable] = owner;
        return Process.Start(psi)!;
    }
}
