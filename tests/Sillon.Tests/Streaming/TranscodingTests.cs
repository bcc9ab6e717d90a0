using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Streaming;

/// <summary>A server with real ffmpeg over a small library of generated noise (sine tones are too easy for VBR encoders).</summary>
public sealed class TranscodingFixture : IAsyncLifetime
{
    public TestLibrary Library { get; } = new();
    public SillonServer Server { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public Dictionary<string, string> Ids { get; } = new();

    public async Task InitializeAsync()
    {
        await Noise("noise.flac", ["-c:a", "flac"], 20);
        await Noise("loud.mp3", ["-c:a", "libmp3lame", "-b:a", "320k"], 10);
        var gained = await Noise("gained.flac", ["-c:a", "flac"], 10);
        await AudioFiles.RunAsync("metaflac", ["--set-tag=TITLE=gained", "--set-tag=REPLAYGAIN_TRACK_GAIN=-6.00 dB", "--set-tag=REPLAYGAIN_TRACK_PEAK=0.5", gained]);
        await Noise("$(touch pwned); echo x `id` 'q'.flac", ["-c:a", "flac"], 3);
        Server = await SillonServer.StartAsync(Library);
        await Server.WaitForScanAsync();
        Client = await Server.LoginAsync();
        var page = await Client.GetFromJsonAsync<JsonElement>("/api/v1/tracks");
        foreach (var t in page.GetProperty("items").EnumerateArray())
            Ids[Path.GetFileName(t.GetProperty("path").GetString()!)] = t.GetProperty("id").GetString()!;
    }

    private async Task<string> Noise(string name, string[] codec, int seconds)
    {
        var path = Library.PathOf(name);
        await AudioFiles.RunAsync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", $"anoisesrc=color=pink:duration={seconds}:amplitude=0.3",
            "-ac", "2", "-ar", "44100", .. codec, path]);
        return path;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        await Library.DisposeAsync();
    }
}

public sealed class TranscodingTests(TranscodingFixture fixture) : IClassFixture<TranscodingFixture>
{
    private readonly HttpClient _client = fixture.Client;

    private string Url(string file, string query = "") => $"/api/v1/tracks/{fixture.Ids[file]}/stream{query}";

    private async Task<(HttpResponseMessage Response, string Path)> DownloadAsync(string url, string suffix)
    {
        var response = await _client.GetAsync(url);
        var path = Path.Combine(fixture.Library.Root, Guid.NewGuid().ToString("N") + "." + suffix);
        await File.WriteAllBytesAsync(path, await response.Content.ReadAsByteArrayAsync());
        return (response, path);
    }

    [Theory]
    [InlineData("mp3", 128, "mp3", "mp3")]
    [InlineData("mp3", 320, "mp3", "mp3")]
    [InlineData("opus", 96, "opus", "ogg")]
    [InlineData("aac", 192, "aac", "aac")]
    [InlineData("m4a", 160, "aac", "mov,mp4,m4a,3gp,3g2,mj2")]
    public async Task Transcodes_to_the_asked_codec_and_bitrate(string format, int kbps, string codec, string container)
    {
        var (response, path) = await DownloadAsync(Url("noise.flac", $"?format={format}&maxBitRate={kbps}"), format);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var probe = await FFprobe.ProbeAsync(path);
        Assert.Equal(codec, probe.Codec);
        Assert.Equal(container, probe.Format);
        Assert.InRange(probe.Duration, 19.5, 20.5);
        Assert.InRange(probe.BitRate, kbps * 1000 * 0.9, kbps * 1000 * 1.1);
    }

    [Fact]
    public async Task Flac_output_is_lossless()
    {
        var (_, path) = await DownloadAsync(Url("loud.mp3", "?format=flac"), "flac");
        var probe = await FFprobe.ProbeAsync(path);
        Assert.Equal("flac", probe.Codec);
        Assert.InRange(probe.Duration, 9.5, 10.5);
    }

    [Fact]
    public async Task Time_offset_starts_the_transcode_there()
    {
        var (_, path) = await DownloadAsync(Url("noise.flac", "?format=mp3&maxBitRate=128&timeOffset=8"), "mp3");
        Assert.InRange((await FFprobe.ProbeAsync(path)).Duration, 11.5, 12.5);
    }

    [Fact]
    public async Task Second_request_is_served_from_the_cache_byte_identical_and_with_ranges()
    {
        var first = await _client.GetAsync(Url("noise.flac", "?format=opus&maxBitRate=64"));
        var firstBytes = await first.Content.ReadAsByteArrayAsync();
        var second = await _client.GetAsync(Url("noise.flac", "?format=opus&maxBitRate=64"));
        Assert.Equal("cache", second.Headers.GetValues("X-Transcode").Single());
        Assert.Equal(firstBytes, await second.Content.ReadAsByteArrayAsync());

        var range = new HttpRequestMessage(HttpMethod.Get, Url("noise.flac", "?format=opus&maxBitRate=64"));
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(100, 199);
        var partial = await _client.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(firstBytes[100..200], await partial.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("?format=raw&maxBitRate=64")]
    [InlineData("")]
    [InlineData("?maxBitRate=0")]
    [InlineData("?format=mp3")]
    [InlineData("?maxBitRate=320")]
    public async Task Source_within_the_limits_or_raw_is_sent_as_it_is(string query)
    {
        var bytes = await _client.GetByteArrayAsync(Url("loud.mp3", query));
        Assert.Equal(await File.ReadAllBytesAsync(fixture.Library.PathOf("loud.mp3")), bytes);
    }

    [Fact]
    public async Task Source_above_the_limit_is_transcoded_down()
    {
        var (response, path) = await DownloadAsync(Url("loud.mp3", "?maxBitRate=96"), "mp3");
        Assert.Equal("audio/mpeg", response.Content.Headers.ContentType!.MediaType);
        Assert.InRange((await FFprobe.ProbeAsync(path)).BitRate, 86_000, 106_000);
    }

    [Fact]
    public async Task Absurd_bitrate_is_clamped_to_what_the_format_allows()
    {
        var (_, path) = await DownloadAsync(Url("noise.flac", "?format=mp3&maxBitRate=99999"), "mp3");
        Assert.InRange((await FFprobe.ProbeAsync(path)).BitRate, 300_000, 330_000);
    }

    [Theory]
    [InlineData("?format=wav2", "unknown format")]
    [InlineData("?maxBitRate=-1", "maxBitRate")]
    [InlineData("?format=mp3&timeOffset=9999", "past the end")]
    [InlineData("?format=mp3&timeOffset=-3", "timeOffset")]
    public async Task Bad_parameters_get_a_clear_400(string query, string message)
    {
        var response = await _client.GetAsync(Url("noise.flac", query));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Malformed_numbers_get_400()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync(Url("noise.flac", "?timeOffset=abc"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync(Url("noise.flac", "?maxBitRate=1e99"))).StatusCode);
    }

    [Fact]
    public async Task Estimated_content_length_is_announced_and_kept()
    {
        var response = await _client.GetAsync(Url("noise.flac", "?format=mp3&maxBitRate=128&timeOffset=10&estimateContentLength=true"));
        var expected = (long)Math.Ceiling(10.0 * 128 * 1000 / 8);
        Assert.Equal(expected, response.Content.Headers.ContentLength);
        Assert.Equal(expected, (await response.Content.ReadAsByteArrayAsync()).LongLength);
    }

    [Fact]
    public async Task Path_with_shell_metacharacters_is_passed_safely()
    {
        var file = fixture.Ids.Keys.Single(k => k.StartsWith("$(touch"));
        var (response, path) = await DownloadAsync(Url(file, "?format=mp3&maxBitRate=128"), "mp3");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.InRange((await FFprobe.ProbeAsync(path)).Duration, 2.5, 3.5);
        Assert.False(File.Exists("pwned"));
        Assert.False(File.Exists(fixture.Library.PathOf("pwned")));
    }

    [Fact]
    public async Task Per_user_and_per_player_limits_set_by_an_admin_apply()
    {
        using var bob = await fixture.Server.LoginAsync("bob-" + Guid.NewGuid().ToString("N")[..6], "bob-password", admin: false);
        var me = await bob.GetFromJsonAsync<JsonElement>("/api/v1/me");
        var name = me.GetProperty("username").GetString();

        var forbidden = await bob.PutAsJsonAsync($"/api/v1/users/{name}/streaming", new { maxBitRate = 320 });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.PutAsJsonAsync($"/api/v1/users/{name}/streaming", new { maxBitRate = 96 })).StatusCode);
        var userLimited = await bob.GetByteArrayAsync(Url("noise.flac"));
        var path = Path.Combine(fixture.Library.Root, Guid.NewGuid().ToString("N") + ".mp3");
        await File.WriteAllBytesAsync(path, userLimited);
        Assert.InRange((await FFprobe.ProbeAsync(path)).BitRate, 86_000, 106_000);

        await bob.GetAsync(Url("loud.mp3", "?client=phone"));
        var players = await _client.GetFromJsonAsync<JsonElement>("/api/v1/players");
        var phone = players.EnumerateArray().Single(p => p.GetProperty("user").GetString() == name && p.GetProperty("client").GetString() == "phone");
        Assert.Equal(HttpStatusCode.NoContent, (await _client.PutAsJsonAsync($"/api/v1/players/{phone.GetProperty("id").GetInt64()}", new { maxBitRate = 64, preferredFormat = "opus" })).StatusCode);
        var (response, playerPath) = await DownloadWith(bob, Url("noise.flac", "?client=phone"), "opus");
        Assert.Equal("audio/ogg", response.Content.Headers.ContentType!.MediaType);
        var probe = await FFprobe.ProbeAsync(playerPath);
        Assert.Equal("opus", probe.Codec);
        Assert.InRange(probe.BitRate, 57_000, 71_000);

        var bad = await _client.PutAsJsonAsync($"/api/v1/users/{name}/streaming", new { maxBitRate = -5 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private async Task<(HttpResponseMessage, string)> DownloadWith(HttpClient client, string url, string suffix)
    {
        var response = await client.GetAsync(url);
        var path = Path.Combine(fixture.Library.Root, Guid.NewGuid().ToString("N") + "." + suffix);
        await File.WriteAllBytesAsync(path, await response.Content.ReadAsByteArrayAsync());
        return (response, path);
    }

    [Fact]
    public async Task ReplayGain_is_applied_when_the_user_turns_it_on()
    {
        using var gina = await fixture.Server.LoginAsync("gina", "gina-password", admin: false);
        var (_, plain) = await DownloadWith(gina, Url("gained.flac", "?format=mp3&maxBitRate=192"), "mp3");
        Assert.Equal(HttpStatusCode.NoContent, (await _client.PutAsJsonAsync("/api/v1/users/gina/streaming", new { replayGain = "track" })).StatusCode);
        var (_, gained) = await DownloadWith(gina, Url("gained.flac", "?format=mp3&maxBitRate=192"), "mp3");
        var difference = await FFprobe.MeanVolumeAsync(gained) - await FFprobe.MeanVolumeAsync(plain);
        Assert.InRange(difference, -7, -5);
    }

    [Fact]
    public async Task Status_reports_transcoding()
    {
        var status = await _client.GetFromJsonAsync<JsonElement>("/api/v1/system");
        Assert.True(status.GetProperty("transcoding").GetProperty("available").GetBoolean());
        Assert.Equal("Healthy", await fixture.Server.Client().GetStringAsync("/readyz"));
    }
}
