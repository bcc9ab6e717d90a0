using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Streaming.Transcoding;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Streaming;

/// <summary>
/// ffmpeg processes started ahead of time with real ffmpeg: a used profile gets warm encoders,
/// the next transcode takes one (offsets, odd paths and damaged sources included, with the same
/// bytes as a cold start), and none outlives its idle time or the server.
/// </summary>
public sealed class WarmEncoderTests : IAsyncLifetime
{
    private const string Odd = "it's \"q\" $(touch pwned) `id` & ; 東京.flac";
    private readonly TestLibrary _lib = new();
    private SillonServer? _server;
    private HttpClient _client = null!;
    private readonly Dictionary<string, string> _ids = new();

    private async Task StartAsync(Dictionary<string, string?>? settings = null)
    {
        foreach (var name in new[] { "first.flac", "second.flac", Odd })
            await AudioFiles.RunAsync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "anoisesrc=color=pink:duration=20:amplitude=0.3",
                "-ac", "2", "-ar", "44100", "-c:a", "flac", _lib.PathOf(name)]);
        _server = await SillonServer.StartAsync(_lib, settings);
        await _server.WaitForScanAsync();
        _client = await _server.LoginAsync();
        var page = await _client.GetFromJsonAsync<JsonElement>("/api/v1/tracks");
        foreach (var t in page.GetProperty("items").EnumerateArray())
            _ids[Path.GetFileName(t.GetProperty("path").GetString()!)] = t.GetProperty("id").GetString()!;
    }

    private WarmEncoders Warm => _server!.Services.GetRequiredService<Transcoder>().Warm;

    private string CacheDir => Path.Combine(_lib.Data, "cache", "transcodes");

    private string Url(string file, string query = "?format=mp3&maxBitRate=128") => $"/api/v1/tracks/{_ids[file]}/stream{query}";

    private async Task<string> DownloadAsync(string url)
    {
        var response = await _client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var path = Path.Combine(_lib.Root, Guid.NewGuid().ToString("N") + ".mp3");
        await File.WriteAllBytesAsync(path, await response.Content.ReadAsByteArrayAsync());
        return path;
    }

    /// <summary>A first transcode of the profile (cold), then its warm encoders, all started.</summary>
    private async Task<IReadOnlyList<int>> WarmUpAsync()
    {
        await DownloadAsync(Url("first.flac"));
        Assert.True(await EventuallyAsync(() => Warm.Count == 2, TimeSpan.FromSeconds(10)), $"expected 2 warm encoders, saw {Warm.Count}");
        return Warm.ProcessIds;
    }

    private static bool Gone(int pid) => !Directory.Exists($"/proc/{pid}");

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

    /// <summary>What a cold ffmpeg (the server's own cold command line) writes for this file and offset.</summary>
    private Task<byte[]> ColdAsync(string file, double offset) => ColdTranscode.BytesAsync(
        new SourceTrack(0, _lib.PathOf(file), "flac", "FLAC", 0, 20, 0, null, null, null, null), new StreamPlan.Transcode(OutputFormat.Mp3, 128, offset, null));

    [Fact]
    public async Task A_warm_encoder_serves_the_next_request_and_is_replaced()
    {
        await StartAsync();
        var before = await WarmUpAsync();

        var path = await DownloadAsync(Url("second.flac"));

        Assert.Equal(1, Warm.Served);
        Assert.InRange((await FFprobe.ProbeAsync(path)).Duration, 19.5, 20.5);
        Assert.Equal(await ColdAsync("second.flac", 0), await File.ReadAllBytesAsync(path));
        // The one taken is gone (it encoded and exited); a new one took its place.
        Assert.True(await EventuallyAsync(() => Warm.Count == 2 && Warm.ProcessIds.Intersect(before).Count() == 1, TimeSpan.FromSeconds(10)));
        Assert.Single(before, Gone);
    }

    [Fact]
    public async Task An_offset_transcode_through_a_warm_encoder_starts_at_the_offset()
    {
        await StartAsync();
        await WarmUpAsync();

        var path = await DownloadAsync(Url("second.flac", "?format=mp3&maxBitRate=128&timeOffset=8.25"));

        Assert.Equal(1, Warm.Served);
        Assert.InRange((await FFprobe.ProbeAsync(path)).Duration, 11.25, 12.25);
        // Byte for byte what ffmpeg's own -ss gives: the audio before the in point is trimmed, not played.
        Assert.Equal(await ColdAsync("second.flac", 8.25), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_path_with_quotes_and_shell_metacharacters_goes_through_a_warm_encoder()
    {
        await StartAsync();
        await WarmUpAsync();

        var path = await DownloadAsync(Url(Odd, "?format=mp3&maxBitRate=128&timeOffset=2"));

        Assert.Equal(1, Warm.Served);
        Assert.InRange((await FFprobe.ProbeAsync(path)).Duration, 17.5, 18.5);
        Assert.False(File.Exists("pwned"));
        Assert.False(File.Exists(_lib.PathOf("pwned")));
        Assert.DoesNotContain(_server!.Logs, l => l.Contains("failed"));
    }

    [Fact]
    public async Task A_corrupt_source_through_a_warm_encoder_ends_cleanly_and_caches_nothing()
    {
        await StartAsync();
        await WarmUpAsync();
        var good = await File.ReadAllBytesAsync(_lib.PathOf("second.flac"));
        await File.WriteAllBytesAsync(_lib.PathOf("broken.flac"), good[..8192].Concat(Enumerable.Repeat((byte)0x5A, 200_000)).ToArray());
        await _server!.Services.GetRequiredService<Sillon.Library.Scanner>().ScanAsync(false, default);
        var id = await Sql.TrackIdAsync(_lib.Data, "broken.flac");
        var cached = Directory.GetFiles(CacheDir).Length;

        var response = await _client.GetAsync($"/api/v1/tracks/tr-{id}/stream?format=mp3&maxBitRate=128");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(1, Warm.Served);
        Assert.True(await EventuallyAsync(() => _server.Logs.Any(l => l.Contains("broken.flac") && l.Contains("failed")), TimeSpan.FromSeconds(5)));
        Assert.Equal(cached, Directory.GetFiles(CacheDir).Length);
        Assert.DoesNotContain(Directory.GetFiles(CacheDir), f => f.EndsWith(".part", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Warm_encoders_are_killed_on_shutdown()
    {
        await StartAsync();
        var pids = await WarmUpAsync();
        Assert.All(pids, p => Assert.False(Gone(p)));

        await _server!.DisposeAsync();
        _server = null;

        // Killed and reaped: not even a zombie's /proc entry is left.
        Assert.All(pids, p => Assert.True(Gone(p), $"warm ffmpeg {p} outlived the server"));
    }

    [Fact]
    public async Task Unused_warm_encoders_are_killed_after_the_idle_time()
    {
        await StartAsync(new() { ["Transcoding:WarmIdle"] = "00:00:01" });
        var pids = await WarmUpAsync();

        Assert.True(await EventuallyAsync(() => Warm.Count == 0 && pids.All(Gone), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task With_the_pool_off_nothing_is_started_ahead()
    {
        await StartAsync(new() { ["Transcoding:WarmEncoders"] = "0" });

        await DownloadAsync(Url("first.flac"));
        await DownloadAsync(Url("second.flac"));

        await Task.Delay(300);
        Assert.Equal(0, Warm.Count);
        Assert.Equal(0, Warm.Served);
        var status = await _client.GetFromJsonAsync<JsonElement>("/api/v1/system");
        Assert.Equal(0, status.GetProperty("transcoding").GetProperty("warmEncoders").GetInt32());
    }

    [Fact]
    public async Task Without_ffmpeg_nothing_is_started_ahead()
    {
        await StartAsync(new() { ["Transcoding:Ffmpeg"] = "/nonexistent/ffmpeg" });

        var response = await _client.GetAsync(Url("first.flac"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        await Task.Delay(300);
        Assert.Equal(0, Warm.Count);
    }

    [Theory]
    [InlineData("/m/a.flac", 0, "ffconcat version 1.0\nfile 'file:/m/a.flac'\n")]
    [InlineData("/m/it's.flac", 12.5, "ffconcat version 1.0\nfile 'file:/m/it'\\''s.flac'\ninpoint 12.5\n")]
    [InlineData("/m/$(x) `y` \"z\" & ; \\ 東京.flac", 0.1234, "ffconcat version 1.0\nfile 'file:/m/$(x) `y` \"z\" & ; \\ 東京.flac'\ninpoint 0.123\n")]
    [InlineData("/m/line\nbreak.flac", 0, null)]
    public void The_concat_script_quotes_the_path(string path, double offset, string? expected) =>
        Assert.Equal(expected, WarmEncoders.ConcatScript(path, offset));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        await _lib.DisposeAsync();
    }
}
