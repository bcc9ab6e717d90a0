using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Api;

/// <summary>One server over a small library, shared by the tests of a class that only read from it.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestLibrary Library { get; } = new();
    public SillonServer Server { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var _lib = Library;
        await _lib.AddAsync("Artist/Album/01 - One.mp3", "mp3", new TagSet { Title = "One", Artists = ["Artist"], Album = "Album", Track = 1, Genres = ["Rock"] });
        await _lib.AddAsync("Artist/Album/02 - Two.flac", "flac", new TagSet { Title = "Two", Artists = ["Artist"], Album = "Album", Track = 2, Genres = ["Rock"] });
        await _lib.AddAsync("Other/B/01.ogg", "ogg", new TagSet { Title = "Three", Artists = ["Other"], Album = "B", Track = 1 });
        await _lib.ImageAsync("Artist/Album/cover.jpg", 400);
        Server = await SillonServer.StartAsync(_lib);
        await Server.WaitForScanAsync();
        Client = await Server.LoginAsync();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        await Library.DisposeAsync();
    }
}

/// <summary>The real server over HTTP: health, metrics, OpenAPI, login, catalog browsing, hostile input.</summary>
public sealed class HttpTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly TestLibrary _lib = fixture.Library;
    private readonly SillonServer _server = fixture.Server;
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Health_readiness_and_metrics_answer_without_login()
    {
        using var anonymous = _server.Client();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        Assert.Equal("Healthy", await anonymous.GetStringAsync("/readyz"));
        await _client.GetAsync("/api/v1/tracks");
        var metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Contains("sillon_catalog_tracks", metrics);
        Assert.Contains("sillon_scan_runs_total", metrics);
        Assert.Contains("sillon_scan_files_total", metrics);
        Assert.Contains("http_server_request_duration_seconds", metrics);
    }

    [Fact]
    public async Task Stream_metrics_count_requests_and_bytes()
    {
        var id = await FirstTrackIdAsync();
        var bytes = await _client.GetByteArrayAsync($"/api/v1/tracks/{id}/stream");
        using var anonymous = _server.Client();
        var metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Contains("sillon_stream_bytes", metrics);
        Assert.Contains("sillon_stream_active", metrics);
        Assert.NotEmpty(bytes);
    }

    [Fact]
    public async Task OpenApi_document_describes_the_api()
    {
        using var anonymous = _server.Client();
        var doc = JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths");
        foreach (var p in new[] { "/api/v1/auth/login", "/api/v1/scan", "/api/v1/artists", "/api/v1/albums/{id}", "/api/v1/tracks/{id}/stream" })
            Assert.True(paths.TryGetProperty(p, out _), $"missing {p}");
    }

    [Fact]
    public async Task Api_needs_a_valid_token()
    {
        using var anonymous = _server.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/tracks")).StatusCode);
        using var forged = _server.Client("not-a-real-token-at-all-0000000000");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/v1/tracks")).StatusCode);
        var wrong = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = "alice", password = "wrong" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var empty = await anonymous.PostAsync("/api/v1/auth/login", new StringContent("{}", null, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task Browse_artists_albums_and_tracks_with_paging()
    {
        var artists = await _client.GetFromJsonAsync<JsonElement>("/api/v1/artists");
        Assert.Equal(2, artists.GetProperty("total").GetInt32());
        var albums = await _client.GetFromJsonAsync<JsonElement>("/api/v1/albums?limit=1");
        Assert.Equal(2, albums.GetProperty("total").GetInt32());
        Assert.Equal(1, albums.GetProperty("items").GetArrayLength());
        var albumId = albums.GetProperty("items")[0].GetProperty("id").GetString();
        var album = await _client.GetFromJsonAsync<JsonElement>($"/api/v1/albums/{albumId}");
        Assert.Equal("Album", album.GetProperty("album").GetProperty("name").GetString());
        Assert.Equal(["One", "Two"], album.GetProperty("tracks").EnumerateArray().Select(t => t.GetProperty("title").GetString()));
        var track = album.GetProperty("tracks")[0];
        Assert.Equal("Artist/Album/01 - One.mp3", track.GetProperty("path").GetString());
        Assert.Equal(["Rock"], track.GetProperty("genres").EnumerateArray().Select(g => g.GetString()));
        var artistId = album.GetProperty("album").GetProperty("artists")[0].GetProperty("id").GetString();
        var artist = await _client.GetFromJsonAsync<JsonElement>($"/api/v1/artists/{artistId}");
        Assert.Equal(1, artist.GetProperty("albums").GetArrayLength());
    }

    [Theory]
    [InlineData("/api/v1/tracks?limit=-5", 1, 0)]
    [InlineData("/api/v1/tracks?limit=0", 1, 0)]
    [InlineData("/api/v1/tracks?limit=100000000", 500, 0)]
    [InlineData("/api/v1/tracks?offset=-10", 50, 0)]
    [InlineData("/api/v1/tracks?offset=2147483647", 50, 2147483647)]
    public async Task Paging_values_are_clamped(string url, int limit, int offset)
    {
        var page = await _client.GetFromJsonAsync<JsonElement>(url);
        Assert.Equal(limit, page.GetProperty("limit").GetInt32());
        Assert.Equal(offset, page.GetProperty("offset").GetInt32());
    }

    [Theory]
    [InlineData("/api/v1/tracks?limit=abc")]
    [InlineData("/api/v1/tracks?offset=99999999999999999999")]
    [InlineData("/api/v1/albums/al-1/cover?size=huge")]
    [InlineData("/api/v1/tracks/%00")]
    public async Task Malformed_parameters_get_400(string url) =>
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync(url)).StatusCode);

    [Theory]
    [InlineData("/api/v1/tracks/999999")]
    [InlineData("/api/v1/tracks/tr-999999")]
    [InlineData("/api/v1/tracks/tr--1")]
    [InlineData("/api/v1/tracks/tr-99999999999999999999999")]
    [InlineData("/api/v1/tracks/al-1")]
    [InlineData("/api/v1/tracks/..%2F..%2F..%2Fetc%2Fpasswd/stream")]
    [InlineData("/api/v1/tracks/%2Fetc%2Fpasswd/stream")]
    [InlineData("/api/v1/albums/..%2Fal-1")]
    [InlineData("/api/v1/albums/al-1%27%20OR%201=1")]
    [InlineData("/api/v1/artists/ar-0")]
    [InlineData("/api/v1/albums/al-424242/cover")]
    public async Task Bad_ids_and_traversal_attempts_get_404_never_500(string url)
    {
        var response = await _client.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("root:", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Cover_art_is_served_and_resized_with_a_disk_cache()
    {
        var albums = await _client.GetFromJsonAsync<JsonElement>("/api/v1/albums?sort=name");
        var id = albums.GetProperty("items").EnumerateArray().First(a => a.GetProperty("name").GetString() == "Album").GetProperty("id").GetString();
        var original = await _client.GetAsync($"/api/v1/albums/{id}/cover");
        Assert.Equal("image/jpeg", original.Content.Headers.ContentType!.MediaType);
        var small = await _client.GetByteArrayAsync($"/api/v1/albums/{id}/cover?size=100");
        using var bitmap = SkiaSharp.SKBitmap.Decode(small);
        Assert.Equal(100, bitmap.Width);
        Assert.Single(Directory.GetFiles(Path.Combine(_lib.Data, "cache", "covers"), "*-100.jpg"));
        // Absurd sizes are clamped, not obeyed.
        var clamped = await _client.GetByteArrayAsync($"/api/v1/albums/{id}/cover?size=-3");
        using var tiny = SkiaSharp.SKBitmap.Decode(clamped);
        Assert.Equal(16, tiny.Width);
    }

    private async Task<string> FirstTrackIdAsync()
    {
        var page = await _client.GetFromJsonAsync<JsonElement>("/api/v1/tracks?limit=1");
        return page.GetProperty("items")[0].GetProperty("id").GetString()!;
    }
}

/// <summary>Tests that change the library or the accounts: each has its own server.</summary>
public sealed class HttpMutationTests : IAsyncLifetime
{
    private readonly ServerFixture _fixture = new();
    private TestLibrary _lib = null!;
    private SillonServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _fixture.InitializeAsync();
        (_lib, _server, _client) = (_fixture.Library, _fixture.Server, _fixture.Client);
    }

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task Logout_revokes_the_token()
    {
        using var bob = await _server.LoginAsync("bob", "bobs-password", admin: false);
        Assert.Equal(HttpStatusCode.NoContent, (await bob.PostAsync("/api/v1/auth/logout", null)).StatusCode);
        await Task.Delay(10);
        // The token cache may answer for a few seconds; the database no longer knows the token.
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = 'bob'"));
    }

    [Fact]
    public async Task Scan_status_and_start_are_exposed_and_start_needs_an_admin()
    {
        var status = await _client.GetFromJsonAsync<JsonElement>("/api/v1/scan");
        Assert.Equal(3, status.GetProperty("tracks").GetInt32());
        Assert.Equal("completed", status.GetProperty("lastScan").GetProperty("status").GetString());

        using var listener = await _server.LoginAsync("carol", "carols-pass", admin: false);
        Assert.Equal(HttpStatusCode.Forbidden, (await listener.PostAsync("/api/v1/scan", null)).StatusCode);

        await _lib.AddAsync("New/N/01.mp3", "mp3", new TagSet { Title = "Fresh", Artists = ["New"], Album = "N" });
        var start = await _client.PostAsync("/api/v1/scan?full=true", null);
        Assert.True(start.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict);
        // Settled: no scan running, and the new file read with its tags (the watcher may have seen it
        // before it was tagged, as an "[Unknown Album]" that the next scan replaces).
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until)
        {
            var now = await _client.GetFromJsonAsync<JsonElement>("/api/v1/scan");
            if (!now.GetProperty("scanning").GetBoolean() && now.GetProperty("tracks").GetInt32() == 4
                && await Sql.ScalarAsync<long>(_lib.Data, "SELECT COUNT(*) FROM albums") == 3) break;
            await Task.Delay(100);
        }
        Assert.Equal(4, (await _client.GetFromJsonAsync<JsonElement>("/api/v1/scan")).GetProperty("tracks").GetInt32());
        // The lists' totals are kept between catalog changes, and follow this one.
        Assert.Equal(4, (await _client.GetFromJsonAsync<JsonElement>("/api/v1/tracks?limit=1")).GetProperty("total").GetInt32());
        Assert.Equal(3, (await _client.GetFromJsonAsync<JsonElement>("/api/v1/albums?limit=1")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Watcher_keeps_ids_of_a_renamed_folder_and_drops_a_deleted_one()
    {
        var before = await Sql.TrackIdAsync(_lib.Data, "02 - Two.flac");
        Directory.Move(_lib.PathOf("Artist/Album"), _lib.PathOf("Artist/Album (Remaster)"));
        Directory.Delete(_lib.PathOf("Other"), recursive: true);
        var until = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < until)
        {
            var paths = await Sql.QueryAsync<string>(_lib.Data, "SELECT path FROM tracks");
            if (paths.Count == 2 && paths.All(p => p.Contains("(Remaster)"))) break;
            await Task.Delay(100);
        }
        Assert.Equal(before, await Sql.TrackIdAsync(_lib.Data, "02 - Two.flac"));
        Assert.All(await Sql.QueryAsync<string>(_lib.Data, "SELECT path FROM tracks"), p => Assert.Contains("(Remaster)", p));
        Assert.Equal(2L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT COUNT(*) FROM tracks"));
    }

    [Fact]
    public async Task Watcher_adds_new_files_without_a_manual_scan()
    {
        await _lib.AddAsync("Watched/W/01.mp3", "mp3", new TagSet { Title = "Watched", Artists = ["W"], Album = "W" });
        var until = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < until)
        {
            var page = await _client.GetFromJsonAsync<JsonElement>("/api/v1/tracks?limit=500");
            if (page.GetProperty("items").EnumerateArray().Any(t => t.GetProperty("title").GetString() == "Watched")) return;
            await Task.Delay(100);
        }
        Assert.Fail("the new file did not appear");
    }

}
