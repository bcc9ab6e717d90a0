using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Streaming.Transcoding;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Streaming;

/// <summary>
/// The encoder scheduler with real ffmpeg: more live transcodes than run slots, paused encoders
/// (SIGSTOP) that must still finish byte-correct, leave when their listener does, count against
/// admission, be spared by the watchdog and never outlive the server.
/// </summary>
public sealed class TranscodeSchedulingTests : IAsyncLifetime
{
    private readonly TestLibrary _lib = new();
    private SillonServer? _server;

    private async Task<(HttpClient Client, string TrackId)> StartAsync(Dictionary<string, string?> settings, int seconds)
    {
        var path = _lib.PathOf("long.flac");
        await AudioFiles.RunAsync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", $"anoisesrc=color=pink:duration={seconds}:amplitude=0.3",
            "-ac", "2", "-ar", "44100", "-c:a", "flac", path]);
        _server = await SillonServer.StartAsync(_lib, settings);
        await _server.WaitForScanAsync();
        var client = await _server.LoginAsync();
        var page = await client.GetFromJsonAsync<JsonElement>("/api/v1/tracks");
        return (client, page.GetProperty("items")[0].GetProperty("id").GetString()!);
    }

    private Transcoder Transcoder => _server!.Services.GetRequiredService<Transcoder>();

    private string CacheDir => Path.Combine(_lib.Data, "cache", "transcodes");

    /// <summary>The process state letter from /proc: R/S running or sleeping, T stopped; null when gone.</summary>
    private static char? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (IOException) { return null; }
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (DateTime.UtcNow < until)
        {
            if (condition()) return true;
            await Task.Delay(20);
        }
        return condition();
    }

    /// <summary>What ffmpeg alone writes for this request, never paused: the bytes a listener must get.</summary>
    private Task<byte[]> ReferenceAsync(int kbps) => ColdTranscode.BytesAsync(
        new SourceTrack(0, _lib.PathOf("long.flac"), "flac", "FLAC", 0, 0, 0, null, null, null, null), new StreamPlan.Transcode(OutputFormat.Mp3, kbps, 0, null));

    [Fact]
    public async Task More_live_transcodes_than_run_slots_all_start_promptly_and_end_byte_correct()
    {
        var (client, id) = await StartAsync(new() { ["Transcoding:RunningProcesses"] = "1" }, seconds: 30);
        int[] bitrates = [64, 80, 96, 112, 128, 160];

        var listeners = bitrates.Select(async kbps =>
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate={kbps}", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("live", response.Headers.GetValues("X-Transcode").Single());
            var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[64 * 1024];
            using var all = new MemoryStream();
            var n = await body.ReadAsync(buffer);
            var firstBytes = clock.Elapsed;
            while (n > 0)
            {
                all.Write(buffer, 0, n);
                n = await body.ReadAsync(buffer);
            }
            return (Kbps: kbps, FirstBytes: firstBytes, Bytes: all.ToArray());
        }).ToList();
        var results = await Task.WhenAll(listeners);

        // With one run slot six encoders took turns: each new one went first, so none waited for
        // another's whole track before its first bytes.
        Assert.True(Transcoder.Scheduler.Pauses > 0, "no encoder was ever paused");
        foreach (var r in results)
        {
            Assert.True(r.FirstBytes < TimeSpan.FromSeconds(3), $"{r.Kbps} kbps: first bytes after {r.FirstBytes.TotalMilliseconds:0} ms");
            Assert.Equal(await ReferenceAsync(r.Kbps), r.Bytes);
            var path = Path.Combine(_lib.Root, $"out-{r.Kbps}.mp3");
            await File.WriteAllBytesAsync(path, r.Bytes);
            var probe = await FFprobe.ProbeAsync(path);
            Assert.Equal("mp3", probe.Codec);
            Assert.InRange(probe.Duration, 29.5, 30.5);
            Assert.InRange(probe.BitRate, r.Kbps * 1000 * 0.9, r.Kbps * 1000 * 1.1);
        }
        Assert.True(await EventuallyAsync(() => Transcoder.ActiveProcesses == 0, TimeSpan.FromSeconds(5)));
        Assert.Equal(bitrates.Length, Directory.GetFiles(CacheDir).Length);
        Assert.DoesNotContain(Directory.GetFiles(CacheDir), f => f.EndsWith(".part", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Paused_encoders_count_against_admission_and_the_next_request_gets_503()
    {
        var (client, id) = await StartAsync(new()
        {
            ["Transcoding:MaxProcesses"] = "2", ["Transcoding:RunningProcesses"] = "1", ["Transcoding:MaxLead"] = "00:00:05", ["Transcoding:SlotWait"] = "00:00:00.3",
        }, seconds: 60);
        using var a = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate=128", HttpCompletionOption.ResponseHeadersRead);
        using var b = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate=96", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.True(await EventuallyAsync(() => Transcoder.Scheduler.Paused == 2, TimeSpan.FromSeconds(10)), "both encoders should pause 5 s ahead");

        var refused = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=opus&maxBitRate=96");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter!.Delta);
        var status = await client.GetFromJsonAsync<JsonElement>("/api/v1/system");
        var transcoding = status.GetProperty("transcoding");
        Assert.Equal(2, transcoding.GetProperty("activeProcesses").GetInt32());
        Assert.Equal(2, transcoding.GetProperty("paused").GetInt32());
        Assert.Equal(0, transcoding.GetProperty("running").GetInt32());
        Assert.Equal(1, transcoding.GetProperty("runSlots").GetInt32());
        Assert.Equal(2, transcoding.GetProperty("maxProcesses").GetInt32());
    }

    [Fact]
    public async Task Last_listener_leaving_a_paused_transcode_kills_it_within_a_second_and_leaves_no_file()
    {
        var (admin, id) = await StartAsync(new() { ["Transcoding:MaxLead"] = "00:00:05" }, seconds: 60);
        // No draining on dispose (HttpClient otherwise waits up to 2 s for the rest of a response):
        // the connection closes at once, as when a player goes away.
        var listener = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = _server!.BaseAddress };
        listener.DefaultRequestHeaders.Authorization = admin.DefaultRequestHeaders.Authorization;
        var response = await listener.GetAsync($"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate=128", HttpCompletionOption.ResponseHeadersRead);
        Assert.True(await (await response.Content.ReadAsStreamAsync()).ReadAsync(new byte[1024]) > 0);
        var pid = Assert.Single(Transcoder.ProcessIds);
        Assert.True(await EventuallyAsync(() => State(pid) == 'T', TimeSpan.FromSeconds(5)), "the encoder should be paused 5 s ahead of its listener");

        var left = Stopwatch.StartNew();
        response.Dispose();
        listener.Dispose();

        // The promise is ffmpeg stopped within a second: dead (a zombie until reaped) or gone. Reaping
        // it and releasing its slot follow, untimed: on a CI machine running other test classes beside
        // this one they once took the whole to 1.2 s.
        Assert.True(await EventuallyAsync(() => State(pid) is null or 'Z', TimeSpan.FromSeconds(3)), "the paused encoder is still running");
        var stopped = left.Elapsed;
        Assert.True(await EventuallyAsync(() => State(pid) is null && Transcoder.ActiveProcesses == 0, TimeSpan.FromSeconds(3)), "the encoder was not reaped or its slot not released");
        Assert.True(stopped < TimeSpan.FromSeconds(1), $"stopped after {stopped.TotalMilliseconds:0} ms");
        Assert.Empty(Directory.GetFiles(CacheDir));
    }

    [Fact]
    public async Task A_paused_encoder_is_not_taken_for_hung()
    {
        var (client, id) = await StartAsync(new() { ["Transcoding:Watchdog"] = "00:00:01", ["Transcoding:MaxLead"] = "00:00:03" }, seconds: 60);
        using var response = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate=320", HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long received = 0;
        var listening = Stopwatch.StartNew();

        // Listen for at least 5 s and until the encoder was paused twice (longer on a busy machine):
        // it runs up to 3 s ahead, then waits about 1.5 s at a time, longer than the watchdog's
        // second, and must come back each time.
        while (listening.Elapsed < TimeSpan.FromSeconds(5) || Transcoder.Scheduler.Pauses < 2 && listening.Elapsed < TimeSpan.FromSeconds(30))
        {
            var n = await body.ReadAsync(buffer);
            Assert.True(n > 0, "the stream ended: the paused encoder was stopped");
            received += n;
        }

        Assert.True(Transcoder.Scheduler.Pauses >= 2, $"paused {Transcoder.Scheduler.Pauses} times in {listening.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(1, Transcoder.ActiveProcesses);
        var seconds = Math.Floor(listening.Elapsed.TotalSeconds);
        Assert.True(received >= seconds * 320_000 / 8, $"only {received} bytes in {seconds} s");
        Assert.DoesNotContain(_server!.Logs, l => l.Contains("watchdog"));
    }

    [Fact]
    public async Task Shutdown_leaves_no_stopped_encoder_behind()
    {
        var (client, id) = await StartAsync(new() { ["Transcoding:MaxLead"] = "00:00:05" }, seconds: 60);
        var responses = new List<HttpResponseMessage>();
        foreach (var kbps in new[] { 96, 128, 160 })
        {
            var response = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate={kbps}", HttpCompletionOption.ResponseHeadersRead);
            Assert.True(await (await response.Content.ReadAsStreamAsync()).ReadAsync(new byte[1024]) > 0);
            responses.Add(response);
        }
        var pids = Transcoder.ProcessIds;
        Assert.Equal(3, pids.Count);
        Assert.True(await EventuallyAsync(() => pids.All(p => State(p) == 'T'), TimeSpan.FromSeconds(5)), "all three encoders should be paused");

        var stopping = Stopwatch.StartNew();
        await _server!.DisposeAsync();
        _server = null;

        // Killed and reaped: no stopped orphan, no zombie, no part file. And the live streams
        // ended with the encoders, so the server did not wait for them to drain.
        Assert.All(pids, p => Assert.Null(State(p)));
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"shutdown took {stopping.Elapsed.TotalSeconds:0.0} s");
        Assert.Empty(Directory.GetFiles(CacheDir));
        foreach (var r in responses) r.Dispose();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        await _lib.DisposeAsync();
    }
}
