using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Listening;

/// <summary>
/// One server over a small library of one-second tracks: nine artists of three tracks each, in
/// genres and eras that tell them apart. Every test makes its own listeners, so no test sees
/// another's history; the artists Pike, Quill and Rune are left to the co-listening test alone.
/// </summary>
public sealed class ListeningFixture : IAsyncLifetime
{
    public const string Password = "s3cret-pass";
    public static readonly (string Artist, string Genre, int Year)[] Artists =
    [
        ("Amber", "Rock", 1990), ("Basalt", "Rock", 1991), ("Cobalt", "Jazz", 1960), ("Dune", "Jazz", 1962), ("Ember", "Pop", 2020),
        ("Flint", "Pop", 2021), ("Pike", "Folk", 1975), ("Quill", "Blues", 2000), ("Rune", "Metal", 1985),
    ];
    public static readonly string[] Numbers = ["One", "Two", "Three"];

    public TestLibrary Library { get; } = new();
    public SillonServer Server { get; private set; } = null!;
    private int _users;

    public async Task InitializeAsync()
    {
        foreach (var (artist, genre, year) in Artists)
            for (var i = 0; i < Numbers.Length; i++)
                await Library.AddAsync($"{artist}/{artist} Album/0{i + 1}.mp3", "mp3", new TagSet
                {
                    Title = $"{artist} {Numbers[i]}", Artists = [artist], AlbumArtists = [artist], Album = $"{artist} Album", Track = i + 1,
                    Date = year.ToString(System.Globalization.CultureInfo.InvariantCulture), Genres = [genre],
                });
        Server = await SillonServer.StartAsync(Library);
        await Server.WaitForScanAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>A fresh listener: its name and a client logged in as it.</summary>
    public async Task<(string Name, HttpClient Http)> ListenerAsync()
    {
        var name = $"listener{Interlocked.Increment(ref _users)}";
        // A session made directly: the log-in endpoint is rate-limited to a few attempts a minute.
        var (result, user) = await Server.Services.GetRequiredService<Users>().AddAsync(name, Password, isAdmin: false, CancellationToken.None);
        Assert.Equal(UserResult.Ok, result);
        var (token, _) = await Server.Services.GetRequiredService<Sessions>().CreateAsync(user!, CancellationToken.None);
        return (name, Server.Client(token));
    }

    public async Task<string> TrackAsync(string title) =>
        "tr-" + await Sql.ScalarAsync<long>(Library.Data, "SELECT id FROM tracks WHERE title = @title", new { title });

    public async Task<string> ArtistAsync(string name) =>
        "ar-" + await Sql.ScalarAsync<long>(Library.Data, "SELECT id FROM artists WHERE name = @name", new { name });

    /// <summary>Reports a play through the REST API: a whole second (counts) or a tenth of it (a skip).</summary>
    public async Task<JsonElement> PlayAsync(HttpClient http, string title, bool skip = false, DateTimeOffset? at = null)
    {
        var response = await http.PostAsJsonAsync("/api/v1/me/plays", new { trackId = await TrackAsync(title), msPlayed = skip ? 100 : 1000, startedAt = at, client = "tests" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<long> UserIdAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/api/v1/me")).GetProperty("id").GetInt64();

    public Task<HttpResponseMessage> SubsonicAsync(string user, string endpoint, string query) =>
        Server.Client().GetAsync($"/rest/{endpoint}?u={user}&p={Password}&v=1.16.1&c=tests&f=json&{query}");

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Library.DisposeAsync();
    }
}
