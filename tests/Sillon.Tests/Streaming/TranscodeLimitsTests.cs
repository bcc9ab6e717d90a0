using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Streaming.Transcoding;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Streaming;

/// <summary>
/// The transcoder under pressure: shared processes, the process limit, listeners leaving, and
/// encoders that hang, crash or are missing. Slow, hanging and crashing encoders are small shell
/// scripts standing in for ffmpeg via the Transcoding:Ffmpeg setting.
/// </summary>
public sealed class TranscodeLimitsTests : IAsyncLifetime
{
    private readonly TestLibrary _lib = new();
    private SillonServer? _server;

    private async Task<(HttpClient Client, string TrackId)> StartAsync(Dictionary<string, string?> settings, int seconds = 60)
    {
        var path = _lib.PathOf("long.flac");
        await AudioFiles.RunAsync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", $"anoisesrc=color=pink:duration={seconds}:amplitude=0.3", "-ac", "2", "-c:a", "flac", path]);
        _server = await SillonServer.StartAsync(_lib, settings);
        await _server.WaitForScanAsync();
        var client = await _server.LoginAsync();
        var page = await client.GetFromJsonAsync<JsonElement>("/api/v1/tracks");
        return (client, page.GetProperty("items")[0].GetProperty("id").GetString()!);
    }

    /// <summary>A stand-in for ffmpeg: a script with this body, "$@" holding ffmpeg's arguments.</summary>
    private string Script(string name, string body)
    {
        var path = Path.Combine(_lib.Root, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    /// <summary>Real ffmpeg reading its input at native speed, so a transcode stays live for the test.</summary>
    private string SlowFfmpeg(string log) => Script("slow-ffmpeg", $"echo started >> '{log}'\nexec ffmpeg -re \"$@\"");

    private Transcoder Transcoder => _server!.Services.GetRequiredService<Transcoder>();

    private static async Task<HttpResponseMessage> OpenAsync(HttpClient client, string url) =>
        await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);

    [Fact]
    public async Task Two_listeners_of_the_same_transcode_share_one_process()
    {
        var log = Path.Combine(_lib.Root, "starts.log");
        // No warm encoders: the log counts every start, and this test counts transcodes.
        var (client, id) = await StartAsync(new() { ["Transcoding:Ffmpeg"] = SlowFfmpeg(log), ["Transcoding:WarmEncoders"] = "0" });
        var url = $"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate=128";

        using var first = await OpenAsync(client, url);
        using var second = await OpenAsync(client, url);
        var a = await first.Content.ReadAsStreamAsync();
        var b = await second.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        Assert.True(await a.ReadAsync(buffer) > 0);
        Assert.True(await b.ReadAsync(buffer) > 0);

        Assert.Equal("live", second.Headers.GetValues("X-Transcode").Single());
        Assert.Single(await File.ReadAllLinesAsync(log));
        Assert.Single(Transcoder.ProcessIds);
    }

    [Fact]
    public async Task Above_the_process_limit_requests_get_503_with_retry_after()
    {
        var (client, id) = await StartAsync(new() { ["Transcoding:Ffmpeg"] = SlowFfmpeg(Path.Combine(_lib.Root, "l")), ["Transcoding:MaxProcesses"] = "1", ["Transcoding:SlotWait"] = "00:00:00.3" });
        using var busy = await OpenAsync(client, $"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate=128");
        Assert.Equal(HttpStatusCode.OK, busy.StatusCode);

        var started = DateTime.UtcNow;
        var refused = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=opus&maxBitRate=96");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter!.Delta);
        // The wait for a slot is bounded: no queue.
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
        // The original still streams: the limit is on encoders, not listeners.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/tracks/{id}/stream?format=raw")).StatusCode);
    }

    [Fact]
    public async Task A_request_waits_briefly_for_a_slot_freed_by_a_finishing_transcode()
    {
        var (client, id) = await StartAsync(new() { ["Transcoding:MaxProcesses"] = "1", ["Transcoding:SlotWait"] = "00:00:10" }, seconds: 30);
        var first = client.GetByteArrayAsync($"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate=128");
        var second = client.GetAsync($"/api/v1/tracks/{id}/stream?format=opus&maxBitRate=96");
        await first;
        Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
    }

    [Fact]
    public async Task When_the_last_listener_leaves_ffmpeg_stops_and_nothing_is_left_behind()
    {
        var (client, id) = await StartAsync(new() { ["Transcoding:Ffmpeg"] = SlowFfmpeg(Path.Combine(_lib.Root, "l")) });
        var response = await OpenAsync(client, $"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate=128");
        var stream = await response.Content.ReadAsStreamAsync();
        Assert.True(await stream.ReadAsync(new byte[1024]) > 0);
        var pid = Assert.Single(Transcoder.ProcessIds);

        response.Dispose();
        client.Dispose(); // closes the connection: the server sees the listener leave

        var until = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < until && (Transcoder.ActiveProcesses > 0 || Directory.Exists($"/proc/{pid}"))) await Task.Delay(50);
        Assert.Equal(0, Transcoder.ActiveProcesses);
        Assert.False(Directory.Exists($"/proc/{pid}"), "ffmpeg is still running or a zombie");
        Assert.Empty(Directory.GetFiles(Path.Combine(_lib.Data, "cache", "transcodes")));
    }

    [Fact]
    public async Task Hung_encoder_is_ended_by_the_watchdog()
    {
        var hang = Script("hang", "exec sleep 300");
        var (client, id) = await StartAsync(new() { ["Transcoding:Ffmpeg"] = hang, ["Transcoding:Watchdog"] = "00:00:01" });

        var started = DateTime.UtcNow;
        var response = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=mp3");

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Empty(Directory.GetFiles(Path.Combine(_lib.Data, "cache", "transcodes")));
        Assert.Contains(_server!.Logs, l => l.Contains("long.flac") && l.Contains("watchdog"));
        Assert.Equal(0, Transcoder.ActiveProcesses);
    }

    [Fact]
    public async Task Crashing_encoder_ends_the_stream_cleanly_and_caches_nothing()
    {
        var crash = Script("crash", "printf 'partial-bytes'\necho 'Segmentation fault' >&2\nexit 139");
        var (client, id) = await StartAsync(new() { ["Transcoding:Ffmpeg"] = crash });

        var response = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=mp3");

        Assert.Equal("partial-bytes", await response.Content.ReadAsStringAsync());
        Assert.Empty(Directory.GetFiles(Path.Combine(_lib.Data, "cache", "transcodes")));
        Assert.Contains(_server!.Logs, l => l.Contains("long.flac") && l.Contains("Segmentation fault"));
    }

    [Fact]
    public async Task Corrupt_source_ends_the_stream_logs_the_path_and_caches_nothing()
    {
        var (client, _) = await StartAsync(new());
        var good = await File.ReadAllBytesAsync(_lib.PathOf("long.flac"));
        var broken = good[..8192].Concat(Enumerable.Repeat((byte)0x5A, 200_000)).ToArray();
        await File.WriteAllBytesAsync(_lib.PathOf("broken.flac"), broken);
        await _server!.Services.GetRequiredService<Sillon.Library.Scanner>().ScanAsync(false, default);
        var id = await Sql.TrackIdAsync(_lib.Data, "broken.flac");

        var response = await client.GetAsync($"/api/v1/tracks/tr-{id}/stream?format=mp3&maxBitRate=128");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsByteArrayAsync();
        Assert.Empty(Directory.GetFiles(Path.Combine(_lib.Data, "cache", "transcodes")));
        Assert.Contains(_server.Logs, l => l.Contains("broken.flac") && l.Contains("failed"));
    }

    [Fact]
    public async Task Cache_evicts_the_least_recently_used_past_its_limit()
    {
        var (client, id) = await StartAsync(new() { ["Transcoding:CacheBytes"] = "400000" }, seconds: 20);
        foreach (var kbps in new[] { 64, 72, 80 })
            await client.GetByteArrayAsync($"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate={kbps}");
        await Task.Delay(200);

        var cache = Transcoder.Cache;
        Assert.True(cache.Bytes <= 400_000, $"cache holds {cache.Bytes} bytes");
        Assert.Equal(2, cache.Count);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_lib.Data, "cache", "transcodes")).Length);
        // The first (least recently used) went; the newest is a cache hit.
        var newest = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate=80");
        Assert.Equal("cache", newest.Headers.GetValues("X-Transcode").Single());
        var oldest = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=mp3&maxBitRate=64");
        Assert.Equal("live", oldest.Headers.GetValues("X-Transcode").Single());
    }

    [Fact]
    public async Task Without_ffmpeg_originals_stream_and_transcodes_say_what_is_missing()
    {
        var (client, id) = await StartAsync(new() { ["Transcoding:Ffmpeg"] = "/nonexistent/ffmpeg" }, seconds: 2);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/tracks/{id}/stream")).StatusCode);
        var refused = await client.GetAsync($"/api/v1/tracks/{id}/stream?format=mp3");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("ffmpeg", await refused.Content.ReadAsStringAsync());

        var ready = await _server!.Client().GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var text = await ready.Content.ReadAsStringAsync();
        Assert.StartsWith("Degraded", text);
        Assert.Contains("ffmpeg", text);
        var status = await client.GetFromJsonAsync<JsonElement>("/api/v1/system");
        Assert.False(status.GetProperty("transcoding").GetProperty("available").GetBoolean());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        await _lib.DisposeAsync();
    }
}
