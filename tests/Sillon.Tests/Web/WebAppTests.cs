using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Sillon.Accounts;
using Sillon.Tests.Api;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Web;

/// <summary>The web player's files, and the access_token that lets audio and image elements authenticate.</summary>
public sealed class WebAppTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly SillonServer _server = fixture.Server;
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task App_shell_is_served_anonymously_with_a_strict_policy()
    {
        using var anonymous = _server.Client();
        var index = await anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/js/main.js", await index.Content.ReadAsStringAsync());
        var csp = index.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", csp);
        Assert.Equal("no-referrer", index.Headers.GetValues("Referrer-Policy").Single());
        foreach (var path in new[] { "/app.css", "/js/main.js", "/sw.js", "/manifest.webmanifest", "/icons/icon-192.png" })
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(path)).StatusCode);
        Assert.Equal("application/manifest+json", (await anonymous.GetAsync("/manifest.webmanifest")).Content.Headers.ContentType?.MediaType);
        // The API itself stays closed.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/albums")).StatusCode);
    }

    [Fact]
    public async Task App_files_are_compressed_and_the_first_load_stays_under_budget()
    {
        using var handler = new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None };
        using var raw = new HttpClient(handler) { BaseAddress = _server.BaseAddress };
        raw.DefaultRequestHeaders.AcceptEncoding.ParseAdd("gzip");
        var web = Path.Combine(AppContext.BaseDirectory, "web");
        var files = Directory.GetFiles(web, "*.js", SearchOption.AllDirectories).Where(f => !f.EndsWith("sw.js", StringComparison.Ordinal))
            .Append(Path.Combine(web, "app.css"));
        long compressed = 0;
        foreach (var file in files)
        {
            var url = "/" + Path.GetRelativePath(web, file).Replace('\\', '/');
            var response = await raw.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("gzip", response.Content.Headers.ContentEncoding.Single());
            compressed += (await response.Content.ReadAsByteArrayAsync()).Length;
        }
        Assert.InRange(compressed, 1, 250 * 1024);
    }

    [Fact]
    public async Task Api_json_is_compressed_for_clients_that_take_it_and_audio_is_not()
    {
        using var handler = new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None };
        using var raw = new HttpClient(handler) { BaseAddress = _server.BaseAddress };
        raw.DefaultRequestHeaders.Authorization = _client.DefaultRequestHeaders.Authorization;
        var (plainEncoding, plain) = await Gzip.GetAsync(raw, "/api/v1/tracks?limit=100", null, byMiddleware: true);
        Assert.Empty(plainEncoding);
        var (encoding, gzipped) = await Gzip.GetAsync(raw, "/api/v1/tracks?limit=100", "gzip", byMiddleware: true);
        Assert.Equal("gzip", Assert.Single(encoding));
        Assert.Equal(plain, await Gzip.InflateAsync(gzipped));
        Assert.True(gzipped.Length < plain.Length, $"{gzipped.Length} bytes gzipped, {plain.Length} as they are");
        // A browser asks for br too, and is given it first.
        var (brEncoding, brotli) = await Gzip.GetAsync(raw, "/api/v1/tracks?limit=100", "gzip, deflate, br", byMiddleware: true);
        Assert.Equal("br", Assert.Single(brEncoding));
        await using (var inflate = new System.IO.Compression.BrotliStream(new MemoryStream(brotli), System.IO.Compression.CompressionMode.Decompress))
        {
            using var inflated = new MemoryStream();
            await inflate.CopyToAsync(inflated);
            Assert.Equal(plain, inflated.ToArray());
        }

        // Audio keeps its exact bytes, length and ranges whatever the client accepts.
        var (track, _) = await FirstTrackAsync();
        using var ranged = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/tracks/{track}/stream");
        ranged.Headers.AcceptEncoding.ParseAdd("gzip, br");
        ranged.Headers.Range = new RangeHeaderValue(0, 99);
        using var audio = await raw.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, audio.StatusCode);
        Assert.Empty(audio.Content.Headers.ContentEncoding);
        Assert.Equal(100, audio.Content.Headers.ContentLength);
        Assert.Equal(100, (await audio.Content.ReadAsByteArrayAsync()).Length);
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            using var whole = new HttpRequestMessage(method, $"/api/v1/tracks/{track}/stream");
            whole.Headers.AcceptEncoding.ParseAdd("gzip, br");
            using var answer = await raw.SendAsync(whole);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Empty(answer.Content.Headers.ContentEncoding);
            var body = await answer.Content.ReadAsByteArrayAsync();
            Assert.Equal(method == HttpMethod.Get ? body.Length : 0, method == HttpMethod.Get ? answer.Content.Headers.ContentLength : body.Length);
            Assert.True(answer.Content.Headers.ContentLength > 1000);
        }
    }

    [Fact]
    public void Audio_and_image_endpoints_stay_out_of_the_compression_middleware()
    {
        // Not something a client can see: the middleware would compress nothing there, but its
        // wrapper would copy every byte of audio once more (SendsMedia).
        var media = _server.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Sillon.Streaming.SendsMedia>() is not null)
            .Select(e => e.RoutePattern.RawText).ToHashSet();
        Assert.Equal(["/api/v1/albums/{id}/cover", "/api/v1/podcasts/episodes/{id}/stream", "/api/v1/tracks/{id}/stream", "/share/{token}/{trackId}"],
            media.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Media_accept_an_access_token_in_the_query()
    {
        var token = _client.DefaultRequestHeaders.Authorization!.Parameter!;
        var (track, album) = await FirstTrackAsync();
        using var anonymous = _server.Client();
        var stream = await anonymous.GetAsync($"/api/v1/tracks/{track}/stream?access_token={token}");
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/tracks/{track}/stream?access_token={token}");
        request.Headers.Range = new RangeHeaderValue(0, 9);
        Assert.Equal(HttpStatusCode.PartialContent, (await anonymous.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/v1/albums/{album}/cover?size=64&access_token={token}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/tracks/{track}/stream?access_token=not-a-real-token-at-all")).StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/albums")]
    [InlineData("/api/v1/me")]
    [InlineData("/api/v1/tracks/{track}")]
    [InlineData("/api/v1/albums/{album}")]
    [InlineData("/api/v1/scan")]
    [InlineData("/api/v1/tracks/{track}/stream/x")]
    public async Task Access_token_opens_nothing_but_media(string path)
    {
        var token = _client.DefaultRequestHeaders.Authorization!.Parameter!;
        var (track, album) = await FirstTrackAsync();
        using var anonymous = _server.Client();
        var url = path.Replace("{track}", track).Replace("{album}", album) + $"?access_token={token}";
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task Access_token_is_refused_on_writes()
    {
        var token = _client.DefaultRequestHeaders.Authorization!.Parameter!;
        var (track, _) = await FirstTrackAsync();
        using var anonymous = _server.Client();
        var response = await anonymous.PostAsync($"/api/v1/tracks/{track}/stream?access_token={token}", null);
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"/api/v1/auth/logout?access_token={token}", null)).StatusCode);
    }

    [Fact]
    public async Task Access_token_never_reaches_the_logs()
    {
        var token = _client.DefaultRequestHeaders.Authorization!.Parameter!;
        var (track, album) = await FirstTrackAsync();
        using var anonymous = _server.Client();
        await anonymous.GetAsync($"/api/v1/tracks/{track}/stream?access_token={token}");
        await anonymous.GetAsync($"/api/v1/tracks/{track}/stream?format=nope&access_token={token}");
        await anonymous.GetAsync($"/api/v1/albums/{album}/cover?access_token={token}");
        await anonymous.GetAsync($"/api/v1/albums?access_token={token}");
        await anonymous.GetAsync($"/api/v1/tracks/tr-999999/stream?access_token={token}");
        lock (_server.Logs) Assert.DoesNotContain(_server.Logs, line => line.Contains(token, StringComparison.Ordinal));
    }

    private async Task<(string Track, string Album)> FirstTrackAsync()
    {
        var albums = await _client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/albums?sort=name");
        var album = albums.GetProperty("items").EnumerateArray().First(a => a.GetProperty("coverArt").ValueKind == System.Text.Json.JsonValueKind.String);
        var id = album.GetProperty("id").GetString()!;
        var detail = await _client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/albums/{id}");
        return (detail.GetProperty("tracks")[0].GetProperty("id").GetString()!, id);
    }
}
