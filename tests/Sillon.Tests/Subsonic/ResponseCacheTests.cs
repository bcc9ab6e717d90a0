using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Subsonic;

/// <summary>
/// The Subsonic response cache: repeated questions are answered from memory, and no answer is ever
/// stale, whoever changed the catalog or the annotations (this server, another process, another node).
/// </summary>
public sealed class ResponseCacheTests : IAsyncLifetime
{
    private const string Password = "s3cret-pass";
    private readonly TestLibrary _lib = new();
    private SillonServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        await _lib.AddAsync("Ana/First/01.flac", "flac", new TagSet { Title = "Uno", Artists = ["Ana"], AlbumArtists = ["Ana"], Album = "First", Track = 1, Date = "2001" });
        await _lib.AddAsync("Ana/First/02.flac", "flac", new TagSet { Title = "Dos", Artists = ["Ana"], AlbumArtists = ["Ana"], Album = "First", Track = 2, Date = "2001" });
        await _lib.AddAsync("Bo/Second/01.mp3", "mp3", new TagSet { Title = "Ett", Artists = ["Bo"], AlbumArtists = ["Bo"], Album = "Second", Track = 1, Date = "2002" });
        await StartAsync();
    }

    private async Task StartAsync(string? maxEntryKilobytes = null)
    {
        // No watcher: the tests decide when the catalog changes.
        _server = await SillonServer.StartAsync(_lib, new Dictionary<string, string?>
        {
            ["Library:Watch"] = "false",
            ["Subsonic:ResponseCacheMaxEntryKilobytes"] = maxEntryKilobytes,
        });
        await _server.WaitForScanAsync(TimeSpan.FromSeconds(60));
        _http = _server.Client();
        var users = _server.Services.GetRequiredService<Users>();
        // A restarted server finds them there already, which AddAsync answers without harm.
        await users.AddAsync("alice", Password, false, CancellationToken.None);
        await users.AddAsync("bob", Password, false, CancellationToken.None);
        CountCacheLookups();
    }

    [Fact]
    public async Task The_artist_index_is_read_when_the_server_starts_before_anyone_asks_for_it()
    {
        var shelf = _server.Services.GetRequiredService<Sillon.Subsonic.ArtistShelf>();
        for (var waited = 0; !shelf.Holds(null) && waited < 100; waited++) await Task.Delay(100);
        Assert.True(shelf.Holds(null));
        // Read at start, perhaps before the scan: the answer is still today's catalog.
        Assert.Equal(["Ana", "Bo"], (await OkAsync("getArtists", "")).GetProperty("artists").GetProperty("index").EnumerateArray()
            .SelectMany(i => i.GetProperty("artist").EnumerateArray()).Select(a => a.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task The_folder_index_is_kept_when_it_is_larger_than_other_answers_may_be()
    {
        // Entries of at most 1 KB: a search answer is not kept, the folder index (asked by every folder-browsing client at start) is.
        _listener?.Dispose();
        _http.Dispose();
        await _server.DisposeAsync();
        for (var i = 0; i < 20; i++)
            await _lib.AddAsync($"The Artist With A Long Name Number {i}/{i}.mp3", "mp3", new TagSet { Title = $"Song {i}", Artists = [$"The Artist With A Long Name Number {i}"], Album = $"Record {i}" });
        await StartAsync(maxEntryKilobytes: "1");
        var search = await BodyAsync("search3", "query=song");
        var folders = await BodyAsync("getIndexes", "");
        Assert.True(search.Length > 1024 && folders.Length > 1024, $"answers of {search.Length} and {folders.Length} bytes");
        var before = await CountsAsync();
        Assert.Equal(search, await BodyAsync("search3", "query=song"));
        Assert.Equal(folders, await BodyAsync("getIndexes", ""));
        var after = await CountsAsync();
        Assert.Equal((before.Hits + 1, before.Misses + 1), after);
    }

    [Fact]
    public async Task The_artist_index_shows_each_user_their_own_stars_and_ratings_in_every_format()
    {
        var ana = await ArtistIdAsync("Ana");
        var bo = await ArtistIdAsync("Bo");
        var plain = await BodyAsync("getArtists", "");
        await OkAsync("star", $"artistId={ana}");
        await OkAsync("setRating", $"id={bo}&rating=4");

        var mine = await ArtistsAsync("alice");
        Assert.True(mine[ana].TryGetProperty("starred", out _));
        Assert.False(mine[ana].TryGetProperty("userRating", out _));
        Assert.Equal(4, mine[bo].GetProperty("userRating").GetInt32());
        Assert.False(mine[bo].TryGetProperty("starred", out _));
        Assert.Equal(plain, await BodyAsync("getArtists", "", "bob"));

        var xml = System.Xml.Linq.XDocument.Parse(await BodyAsync("getArtists", "", format: "xml"));
        var byId = xml.Descendants().Where(e => e.Name.LocalName == "artist").ToDictionary(e => (string)e.Attribute("id")!);
        Assert.NotNull(byId[ana].Attribute("starred"));
        Assert.Equal("4", (string?)byId[bo].Attribute("userRating"));

        var jsonp = await BodyAsync("getArtists", "callback=show", format: "jsonp");
        Assert.StartsWith("show(", jsonp);
        Assert.EndsWith(");", jsonp);
        Assert.Contains("\"userRating\":4", jsonp);

        await OkAsync("unstar", $"artistId={ana}");
        await OkAsync("setRating", $"id={bo}&rating=0");
        Assert.Equal(plain, await BodyAsync("getArtists", ""));
    }

    [Fact]
    public async Task The_artist_index_goes_gzipped_to_a_client_that_takes_it_with_the_callers_own_stars()
    {
        var ana = await ArtistIdAsync("Ana");
        var plain = await BodyAsync("getArtists", "");
        await OkAsync("star", $"artistId={ana}");
        var starred = await BodyAsync("getArtists", "");
        Assert.Contains("\"starred\"", starred);

        foreach (var (user, expected) in new[] { ("bob", plain), ("alice", starred) })
        {
            var (encoding, gzipped) = await Gzip.GetAsync(_http, $"/rest/getArtists?u={user}&p={Password}&v=1.16.1&c=tests&f=json", "gzip, deflate, br");
            Assert.Equal(["gzip"], encoding);
            Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(await Gzip.InflateAsync(gzipped)));
        }

        // As a client's HTTP library sees it, decompressing by itself.
        using var decompressing = new HttpClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.GZip }) { BaseAddress = _http.BaseAddress };
        Assert.Equal(starred, await decompressing.GetStringAsync($"/rest/getArtists?u=alice&p={Password}&v=1.16.1&c=tests&f=json"));

        // Refused with q=0, or wrapped by a JSONP callback: sent as it is.
        foreach (var (accept, format) in new[] { ("gzip;q=0", "json"), ("identity", "json"), ("gzip", "jsonp&callback=show") })
        {
            var (encoding, body) = await Gzip.GetAsync(_http, $"/rest/getArtists?u=bob&p={Password}&v=1.16.1&c=tests&f={format}", accept);
            Assert.Empty(encoding);
            Assert.Equal(format == "json" ? plain : $"show({plain});", System.Text.Encoding.UTF8.GetString(body));
        }
    }

    [Fact]
    public async Task A_kept_answer_goes_gzipped_to_a_client_that_takes_it_and_a_small_one_as_it_is()
    {
        for (var i = 0; i < 20; i++)
            await _lib.AddAsync($"Cleo/Third/{i:D2}.mp3", "mp3", new TagSet { Title = $"Song {i}", Artists = ["Cleo"], AlbumArtists = ["Cleo"], Album = "Third", Track = i + 1 });
        Assert.Equal(20, (await _lib.ScanAsync()).Added);
        const string query = "query=song&songCount=20";

        Task<(string[] Encoding, byte[] Body)> GetAsync(string endpoint, string parameters, string accept) =>
            Gzip.GetAsync(_http, $"/rest/{endpoint}?u=alice&p={Password}&v=1.16.1&c=tests&f=json&{parameters}", accept);

        // Computed: as it is. Kept, asked again: compressed, and the same answer once inflated.
        var (computed, plain) = await GetAsync("search3", query, "gzip");
        Assert.Empty(computed);
        Assert.True(plain.Length >= Sillon.Subsonic.ResponseCache.MinCompressedBytes, $"{plain.Length} bytes");
        var (kept, gzipped) = await GetAsync("search3", query, "gzip");
        Assert.Equal(["gzip"], kept);
        Assert.True(gzipped.Length < plain.Length / 2, $"{gzipped.Length} bytes compressed from {plain.Length}");
        Assert.Equal(plain, await Gzip.InflateAsync(gzipped));
        Assert.Equal(plain, (await GetAsync("search3", query, "br")).Body);

        // A small kept answer is not worth it.
        await GetAsync("getGenres", "", "gzip");
        var (small, body) = await GetAsync("getGenres", "", "gzip");
        Assert.Empty(small);
        Assert.True(body.Length < Sillon.Subsonic.ResponseCache.MinCompressedBytes);
    }

    [Fact]
    public async Task A_scan_shows_a_new_artist_in_the_artist_index_at_once()
    {
        Assert.DoesNotContain("Cleo", (await ArtistsAsync("alice")).Values.Select(a => a.GetProperty("name").GetString()));
        await _lib.AddAsync("Cleo/Third/01.mp3", "mp3", new TagSet { Title = "Un", Artists = ["Cleo"], AlbumArtists = ["Cleo"], Album = "Third" });
        Assert.Equal(1, (await _lib.ScanAsync()).Added);
        Assert.Contains("Cleo", (await ArtistsAsync("alice")).Values.Select(a => a.GetProperty("name").GetString()));
    }

    private async Task<Dictionary<string, JsonElement>> ArtistsAsync(string user) =>
        (await OkAsync("getArtists", "", user)).GetProperty("artists").GetProperty("index").EnumerateArray()
            .SelectMany(i => i.GetProperty("artist").EnumerateArray()).ToDictionary(a => a.GetProperty("id").GetString()!);

    private async Task<string> ArtistIdAsync(string name) =>
        (await ArtistsAsync("alice")).Values.Single(a => a.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;

    public async Task DisposeAsync()
    {
        _listener?.Dispose();
        _http.Dispose();
        await _server.DisposeAsync();
        await _lib.DisposeAsync();
    }

    private async Task<string> BodyAsync(string endpoint, string query, string user = "alice", string format = "json")
    {
        var auth = $"u={user}&p={Password}&v=1.16.1&c=tests&f={format}";
        return await _http.GetStringAsync($"/rest/{endpoint}?{auth}{(query.Length > 0 ? "&" + query : "")}");
    }

    private async Task<JsonElement> OkAsync(string endpoint, string query, string user = "alice")
    {
        var body = await BodyAsync(endpoint, query, user);
        var r = JsonDocument.Parse(body).RootElement.GetProperty("subsonic-response");
        Assert.True(r.GetProperty("status").GetString() == "ok", body);
        return r.Clone();
    }

    // The cache's hit and miss counter of this server (its own meter factory: other test servers run
    // in the same process), read in-process: the /metrics scrape is itself cached for a moment.
    private long _hits, _misses;
    private MeterListener? _listener;

    private void CountCacheLookups()
    {
        var factory = _server.Services.GetRequiredService<IMeterFactory>();
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "sillon.subsonic.cache" && instrument.Meter.Scope == factory) l.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "result") Interlocked.Add(ref (string?)tag.Value == "hit" ? ref _hits : ref _misses, value);
        });
        _listener.Start();
    }

    private Task<(long Hits, long Misses)> CountsAsync() => Task.FromResult((Interlocked.Read(ref _hits), Interlocked.Read(ref _misses)));

    private async Task<string> AlbumIdAsync(string name) =>
        (await OkAsync("getAlbumList2", "type=alphabeticalByName&size=10")).GetProperty("albumList2").GetProperty("album")
            .EnumerateArray().Single(a => a.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;

    [Fact]
    public async Task The_same_question_twice_is_answered_from_the_cache_byte_for_byte()
    {
        var first = await BodyAsync("getAlbumList2", "type=newest&size=10&offset=0");
        var before = await CountsAsync();
        // Parameters in another order, and the other format, are the same question; xml is a different answer.
        var again = await BodyAsync("getAlbumList2", "offset=0&size=10&type=newest");
        var xml = await BodyAsync("getAlbumList2", "type=newest&size=10&offset=0", format: "xml");
        var after = await CountsAsync();

        Assert.Equal(first, again);
        Assert.StartsWith("<?xml", xml.TrimStart('\uFEFF'));
        Assert.Equal(before.Hits + 1, after.Hits);
        Assert.Equal(before.Misses + 1, after.Misses);
    }

    [Fact]
    public async Task Random_albums_are_never_answered_from_the_cache()
    {
        await OkAsync("getAlbumList2", "type=random&size=2");
        var before = await CountsAsync();
        await OkAsync("getAlbumList2", "type=random&size=2");
        await OkAsync("getRandomSongs", "size=2");
        var after = await CountsAsync();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_star_or_a_rating_shows_at_once_in_answers_cached_before_and_only_for_its_user()
    {
        var album = await AlbumIdAsync("First");
        Assert.False((await OkAsync("getAlbum", $"id={album}")).GetProperty("album").TryGetProperty("starred", out _));
        Assert.False((await OkAsync("getAlbum", $"id={album}", "bob")).GetProperty("album").TryGetProperty("starred", out _));
        Assert.Equal(0, (await OkAsync("getAlbumList2", "type=starred")).GetProperty("albumList2").GetProperty("album").GetArrayLength());

        await OkAsync("star", $"albumId={album}");
        await OkAsync("setRating", $"id={album}&rating=5");

        var mine = (await OkAsync("getAlbum", $"id={album}")).GetProperty("album");
        Assert.True(mine.TryGetProperty("starred", out _));
        Assert.Equal(5, mine.GetProperty("userRating").GetInt32());
        Assert.Equal(["First"], (await OkAsync("getAlbumList2", "type=starred")).GetProperty("albumList2").GetProperty("album")
            .EnumerateArray().Select(a => a.GetProperty("name").GetString()));

        // Bob's cached answer is still his, and still served from the cache.
        var before = await CountsAsync();
        Assert.False((await OkAsync("getAlbum", $"id={album}", "bob")).GetProperty("album").TryGetProperty("starred", out _));
        Assert.Equal(before.Hits + 1, (await CountsAsync()).Hits);
    }

    [Fact]
    public async Task A_play_shows_at_once_in_the_cached_album()
    {
        var album = (await OkAsync("getAlbum", $"id={await AlbumIdAsync("Second")}")).GetProperty("album");
        Assert.Equal(0, album.GetProperty("playCount").GetInt64());
        var song = album.GetProperty("song")[0].GetProperty("id").GetString();

        await OkAsync("scrobble", $"id={song}&submission=true");

        album = (await OkAsync("getAlbum", $"id={album.GetProperty("id").GetString()}")).GetProperty("album");
        Assert.Equal(1, album.GetProperty("song")[0].GetProperty("playCount").GetInt64());
    }

    [Fact]
    public async Task A_scan_by_another_process_shows_at_once_in_cached_answers()
    {
        var id = await AlbumIdAsync("First");
        Assert.Equal(["Uno", "Dos"], (await OkAsync("getAlbum", $"id={id}")).GetProperty("album").GetProperty("song")
            .EnumerateArray().Select(s => s.GetProperty("title").GetString()));
        var found = (await OkAsync("search3", "query=Eins")).GetProperty("searchResult3");
        Assert.False(found.TryGetProperty("song", out var none) && none.GetArrayLength() > 0);

        // Another process (a `sillon scan` beside `sillon serve`, or another node) edits the catalog.
        var path = _lib.PathOf("Ana/First/01.flac");
        await AudioFiles.RunAsync("metaflac", ["--remove-tag=TITLE", "--set-tag=TITLE=Eins", path]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        await _lib.AddAsync("Ana/First/03.flac", "flac", new TagSet { Title = "Tres", Artists = ["Ana"], AlbumArtists = ["Ana"], Album = "First", Track = 3, Date = "2001" });
        var summary = await _lib.ScanAsync();
        Assert.Equal(1, summary.Updated);
        Assert.Equal(1, summary.Added);

        Assert.Equal(["Eins", "Dos", "Tres"], (await OkAsync("getAlbum", $"id={id}")).GetProperty("album").GetProperty("song")
            .EnumerateArray().Select(s => s.GetProperty("title").GetString()));
        Assert.Equal(["Eins"], (await OkAsync("search3", "query=Eins")).GetProperty("searchResult3").GetProperty("song")
            .EnumerateArray().Select(s => s.GetProperty("title").GetString()));
        Assert.Equal(3, (await OkAsync("getAlbumList2", "type=alphabeticalByName&size=10")).GetProperty("albumList2").GetProperty("album")
            .EnumerateArray().Single(a => a.GetProperty("name").GetString() == "First").GetProperty("songCount").GetInt32());
    }

    [Fact]
    public async Task A_deleted_file_leaves_cached_answers_at_once()
    {
        var id = await AlbumIdAsync("Second");
        await OkAsync("getAlbum", $"id={id}");
        File.Delete(_lib.PathOf("Bo/Second/01.mp3"));
        Assert.Equal(1, (await _lib.ScanAsync()).Removed);

        var body = await BodyAsync("getAlbum", $"id={id}");
        Assert.Contains("\"status\":\"failed\"", body);
        Assert.DoesNotContain("Second", string.Join(",", (await OkAsync("getAlbumList2", "type=alphabeticalByName&size=10"))
            .GetProperty("albumList2").GetProperty("album").EnumerateArray().Select(a => a.GetProperty("name").GetString())));
    }

    [Fact]
    public async Task Errors_are_not_kept()
    {
        var before = await CountsAsync();
        Assert.Contains("\"status\":\"failed\"", await BodyAsync("getAlbum", "id=al-999999"));
        Assert.Contains("\"status\":\"failed\"", await BodyAsync("getAlbum", "id=al-999999"));
        var after = await CountsAsync();
        Assert.Equal(before.Hits, after.Hits);
        Assert.Equal(before.Misses + 2, after.Misses);
    }
}
