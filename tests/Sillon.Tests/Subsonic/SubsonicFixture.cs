using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Subsonic;

/// <summary>
/// One server over a small library made for Subsonic: accents, CJK, synced and plain lyrics,
/// ReplayGain, MusicBrainz ids, a compilation with several artists, a file loose in the music folder
/// and a cover. Tests that change something make their own user, so no test sees another's data.
/// </summary>
public sealed class SubsonicFixture : IAsyncLifetime
{
    public const string Password = "s3cret-pass";
    public TestLibrary Library { get; } = new();
    public SillonServer Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    private int _users;

    public async Task InitializeAsync()
    {
        var lib = Library;
        await lib.AddAsync("Beyoncé/Dangerously in Love/01 - Crazy in Love.mp3", "mp3", new TagSet
        {
            Title = "Crazy in Love", Artists = ["Beyoncé"], AlbumArtists = ["Beyoncé"], Album = "Dangerously in Love", Track = 1, TrackTotal = 2,
            Date = "2003-06-23", Genres = ["R&B"], Bpm = "99", Isrc = "USSM10302721", Lyrics = "[ar:Beyoncé]\n[00:01.00]Uh-oh, uh-oh\n[00:02.50]Crazy right now",
        });
        await lib.AddAsync("Beyoncé/Dangerously in Love/02 - Naughty Girl.mp3", "mp3", new TagSet
        {
            Title = "Naughty Girl", Artists = ["Beyoncé"], AlbumArtists = ["Beyoncé"], Album = "Dangerously in Love", Track = 2, TrackTotal = 2,
            Date = "2003-06-23", Genres = ["R&B"],
        });
        await lib.ImageAsync("Beyoncé/Dangerously in Love/cover.jpg", 400);
        await lib.AddAsync("Sigur Rós/Ágætis byrjun/01 - Svefn-g-englar.flac", "flac", new TagSet
        {
            Title = "Svefn-g-englar", Artists = ["Sigur Rós"], AlbumArtists = ["Sigur Rós"], Album = "Ágætis byrjun", Track = 1, Disc = 1, DiscTotal = 1,
            Date = "1999-06-12", OriginalDate = "1999-06-12", Genres = ["Post-Rock", "Ambient"], DiscSubtitle = "Part One",
            MbTrackId = "11111111-1111-1111-1111-111111111111", MbAlbumId = "22222222-2222-2222-2222-222222222222",
            RgTrackGain = "-6.50 dB", RgTrackPeak = "0.988000", RgAlbumGain = "-7.00 dB", RgAlbumPeak = "0.999000",
        });
        await lib.AddAsync("Sigur Rós/Ágætis byrjun/02 - Starálfur.flac", "flac", new TagSet
        {
            Title = "Starálfur", Artists = ["Sigur Rós"], AlbumArtists = ["Sigur Rós"], Album = "Ágætis byrjun", Track = 2, Disc = 1, DiscTotal = 1,
            Date = "1999-06-12", Genres = ["Post-Rock"], Lyrics = "First line\nSecond line", MbAlbumId = "22222222-2222-2222-2222-222222222222",
        });
        await lib.AddAsync("東京事変/教育/01 - 林檎の唄.ogg", "ogg", new TagSet
        {
            Title = "林檎の唄", Artists = ["東京事変"], AlbumArtists = ["東京事変"], Album = "教育", Track = 1, Date = "2004", Genres = ["J-Pop"],
        });
        await lib.AddAsync("Compilations/Summer Hits/01 - Duet.mp3", "mp3", new TagSet
        {
            Title = "Duet", Artists = ["Alpha", "Beta"], AlbumArtists = ["Various Artists"], Album = "Summer Hits", Track = 1, Date = "2010",
            Compilation = true, Composer = "Gamma", Genres = ["Pop"],
        });
        await lib.AddAsync("loose.mp3", "mp3", new TagSet { Title = "Loose Track", Artists = ["Nobody"], Album = "Singles", Date = "2020" });
        Server = await SillonServer.StartAsync(lib);
        await Server.WaitForScanAsync(TimeSpan.FromSeconds(60));
        Http = Server.Client();
        await AddUserAsync("alice", admin: true);
        await AddUserAsync("bob", admin: false);
    }

    public async Task AddUserAsync(string name, bool admin = false, string password = Password)
    {
        var (result, _) = await Server.Services.GetRequiredService<Users>().AddAsync(name, password, admin, CancellationToken.None);
        Assert.Equal(UserResult.Ok, result);
    }

    /// <summary>A fresh user for a test that changes user data (stars, playlists, queue…).</summary>
    public async Task<string> NewUserAsync(bool admin = false)
    {
        var name = $"user{Interlocked.Increment(ref _users)}";
        await AddUserAsync(name, admin);
        return name;
    }

    public static string Auth(string user = "alice", string password = Password) => $"u={Uri.EscapeDataString(user)}&p={Uri.EscapeDataString(password)}&v=1.16.1&c=tests";

    public Task<HttpResponseMessage> GetAsync(string endpoint, string query = "", string user = "alice", string format = "json") =>
        Http.GetAsync($"/rest/{endpoint}?{Auth(user)}&f={format}{(query.Length > 0 ? "&" + query : "")}");

    /// <summary>The "subsonic-response" object of a JSON call, after checking the HTTP status.</summary>
    public async Task<JsonElement> JsonAsync(string endpoint, string query = "", string user = "alice", HttpStatusCode status = HttpStatusCode.OK)
    {
        using var response = await GetAsync(endpoint, query, user);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{endpoint}: HTTP {(int)response.StatusCode}: {body}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        return JsonDocument.Parse(body).RootElement.GetProperty("subsonic-response").Clone();
    }

    /// <summary>A successful JSON call's response.</summary>
    public async Task<JsonElement> OkAsync(string endpoint, string query = "", string user = "alice")
    {
        var r = await JsonAsync(endpoint, query, user);
        Assert.True(r.GetProperty("status").GetString() == "ok", $"{endpoint}?{query}: {r}");
        return r;
    }

    /// <summary>The Subsonic error code of a JSON call that must fail.</summary>
    public async Task<int> ErrorAsync(string endpoint, string query = "", string user = "alice", HttpStatusCode status = HttpStatusCode.OK)
    {
        var r = await JsonAsync(endpoint, query, user, status);
        Assert.True(r.GetProperty("status").GetString() == "failed", $"{endpoint}?{query} should fail: {r}");
        return r.GetProperty("error").GetProperty("code").GetInt32();
    }

    public async Task<XElement> XmlAsync(string endpoint, string query = "", string user = "alice")
    {
        using var response = await GetAsync(endpoint, query, user, "xml");
        Assert.StartsWith("text/xml", response.Content.Headers.ContentType?.ToString());
        return XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
    }

    public async Task<string> TrackIdAsync(string title) =>
        "tr-" + await Sql.ScalarAsync<long>(Library.Data, "SELECT id FROM tracks WHERE title = @title", new { title });

    public async Task<string> AlbumIdAsync(string name) =>
        "al-" + await Sql.ScalarAsync<long>(Library.Data, "SELECT id FROM albums WHERE name = @name", new { name });

    public async Task<string> ArtistIdAsync(string name) =>
        "ar-" + await Sql.ScalarAsync<long>(Library.Data, "SELECT id FROM artists WHERE name = @name", new { name });

    /// <summary>The server's error log lines, for failure messages.</summary>
    public string ServerErrors()
    {
        lock (Server.Logs) return string.Join("\n", Server.Logs.Where(l => l.StartsWith("Error", StringComparison.Ordinal)).TakeLast(3));
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        await Library.DisposeAsync();
    }
}
