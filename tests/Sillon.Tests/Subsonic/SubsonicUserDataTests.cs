using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Sillon.Tests.Fixtures;
using SkiaSharp;

namespace Sillon.Tests.Subsonic;

/// <summary>What users change: annotations, plays, playlists, queues, bookmarks, shares, radio, accounts; and media retrieval.</summary>
public sealed class SubsonicUserDataTests(SubsonicFixture fx) : IClassFixture<SubsonicFixture>
{
    private async Task<JsonElement> ValidAsync(string endpoint, string query, string user)
    {
        using var response = await fx.GetAsync(endpoint, query, user);
        var body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        var errors = SchemaValidator.Validate(endpoint, doc.RootElement);
        Assert.True(errors is null, $"{endpoint}?{query} does not match its schema:\n{errors}\n{body}");
        var r = doc.RootElement.GetProperty("subsonic-response").Clone();
        Assert.True(r.GetProperty("status").GetString() == "ok", body + "\n" + fx.ServerErrors());
        return r;
    }

    [Fact]
    public async Task Stars_and_ratings_show_up_in_lists_for_their_user_only()
    {
        var user = await fx.NewUserAsync();
        var track = await fx.TrackIdAsync("Starálfur");
        var album = await fx.AlbumIdAsync("教育");
        var artist = await fx.ArtistIdAsync("Beyoncé");
        await ValidAsync("star", $"id={track}&albumId={album}&artistId={artist}", user);
        await ValidAsync("setRating", $"id={album}&rating=4", user);
        var starred = (await ValidAsync("getStarred2", "", user)).GetProperty("starred2");
        Assert.Equal("Starálfur", starred.GetProperty("song")[0].GetProperty("title").GetString());
        Assert.True(starred.GetProperty("song")[0].TryGetProperty("starred", out _));
        Assert.Equal("教育", starred.GetProperty("album")[0].GetProperty("name").GetString());
        Assert.Equal(4, starred.GetProperty("album")[0].GetProperty("userRating").GetInt32());
        Assert.Equal("Beyoncé", starred.GetProperty("artist")[0].GetProperty("name").GetString());
        await ValidAsync("getStarred", "", user);
        Assert.Equal(["教育"], (await ValidAsync("getAlbumList2", "type=highest", user)).GetProperty("albumList2").GetProperty("album").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        Assert.Equal(["教育"], (await ValidAsync("getAlbumList2", "type=starred", user)).GetProperty("albumList2").GetProperty("album").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        // A keyset page (its rows read by position, not by Dapper) carries the same annotations.
        var listed = await AlbumInAlphabeticalPageAsync("教育", user);
        Assert.True(listed.TryGetProperty("starred", out _));
        Assert.Equal(4, listed.GetProperty("userRating").GetInt32());

        var other = await fx.NewUserAsync();
        Assert.False((await AlbumInAlphabeticalPageAsync("教育", other)).TryGetProperty("starred", out _));
        Assert.Equal(0, (await ValidAsync("getStarred2", "", other)).GetProperty("starred2").GetProperty("song").GetArrayLength());

        await ValidAsync("unstar", $"id={track}", user);
        Assert.Equal(0, (await ValidAsync("getStarred2", "", user)).GetProperty("starred2").GetProperty("song").GetArrayLength());
        await ValidAsync("setRating", $"id={album}&rating=0", user);
        Assert.Equal(0, (await ValidAsync("getAlbumList2", "type=highest", user)).GetProperty("albumList2").GetProperty("album").GetArrayLength());
    }

    [Fact]
    public async Task Scrobbles_set_now_playing_and_record_plays_with_their_time()
    {
        var user = await fx.NewUserAsync();
        var track = await fx.TrackIdAsync("Naughty Girl");
        await ValidAsync("scrobble", $"id={track}&submission=false", user);
        var entries = (await ValidAsync("getNowPlaying", "", user)).GetProperty("nowPlaying").GetProperty("entry").EnumerateArray().ToList();
        var mine = entries.Single(e => e.GetProperty("username").GetString() == user);
        Assert.Equal(track, mine.GetProperty("id").GetString());
        Assert.Equal("tests", mine.GetProperty("playerName").GetString());

        var when = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        await ValidAsync("scrobble", $"id={track}&time={when.ToUnixTimeMilliseconds()}&submission=true", user);
        await ValidAsync("scrobble", $"id={track}", user);
        var song = (await ValidAsync("getSong", $"id={track}", user)).GetProperty("song");
        Assert.Equal(2, song.GetProperty("playCount").GetInt64());
        Assert.True(song.TryGetProperty("played", out _));
        var times = await Sql.QueryAsync<string>(fx.Library.Data,
            "SELECT pe.played_at FROM play_events pe JOIN users u ON u.id = pe.user_id WHERE u.name = @user ORDER BY pe.played_at", new { user });
        Assert.Equal(2, times.Count);
        Assert.StartsWith("2024-05-01T12:00:00", times[0]);
        Assert.Equal(["Dangerously in Love"], (await ValidAsync("getAlbumList2", "type=frequent", user)).GetProperty("albumList2").GetProperty("album").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        Assert.Equal(["Dangerously in Love"], (await ValidAsync("getAlbumList2", "type=recent", user)).GetProperty("albumList2").GetProperty("album").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        var listed = await AlbumInAlphabeticalPageAsync("Dangerously in Love", user);
        Assert.Equal(2, listed.GetProperty("playCount").GetInt64());
        Assert.True(listed.TryGetProperty("played", out _));
    }

    private async Task<JsonElement> AlbumInAlphabeticalPageAsync(string name, string user) =>
        (await ValidAsync("getAlbumList2", "type=alphabeticalByName&size=500", user)).GetProperty("albumList2").GetProperty("album")
            .EnumerateArray().Single(a => a.GetProperty("name").GetString() == name);

    [Fact]
    public async Task Playlists_are_created_changed_and_kept_private()
    {
        var owner = await fx.NewUserAsync();
        var stranger = await fx.NewUserAsync();
        var a = await fx.TrackIdAsync("Crazy in Love");
        var b = await fx.TrackIdAsync("Starálfur");
        var c = await fx.TrackIdAsync("Duet");
        var created = (await ValidAsync("createPlaylist", $"name=Road%20trip&songId={a}&songId={b}", owner)).GetProperty("playlist");
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal(2, created.GetProperty("songCount").GetInt32());
        Assert.Equal([a, b], created.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("id").GetString()));

        await ValidAsync("updatePlaylist", $"playlistId={id}&name=Road%20trip%202&comment=summer&songIdToAdd={c}&songIndexToRemove=0", owner);
        var updated = (await ValidAsync("getPlaylist", $"id={id}", owner)).GetProperty("playlist");
        Assert.Equal("Road trip 2", updated.GetProperty("name").GetString());
        Assert.Equal("summer", updated.GetProperty("comment").GetString());
        Assert.Equal([b, c], updated.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("id").GetString()));
        Assert.Equal(owner, updated.GetProperty("owner").GetString());

        // Private: another user cannot see, change or delete it, and is not told it exists.
        Assert.Equal(70, await fx.ErrorAsync("getPlaylist", $"id={id}", stranger));
        Assert.Equal(70, await fx.ErrorAsync("updatePlaylist", $"playlistId={id}&name=mine", stranger));
        Assert.Equal(70, await fx.ErrorAsync("deletePlaylist", $"id={id}", stranger));
        Assert.DoesNotContain(id, (await ValidAsync("getPlaylists", "", stranger)).ToString());
        Assert.Equal(50, await fx.ErrorAsync("getPlaylists", $"username={owner}", stranger));

        // Public: visible and read-only for others.
        await ValidAsync("updatePlaylist", $"playlistId={id}&public=true", owner);
        var seen = (await ValidAsync("getPlaylist", $"id={id}", stranger)).GetProperty("playlist");
        Assert.True(seen.GetProperty("readonly").GetBoolean());
        Assert.Equal(50, await fx.ErrorAsync("updatePlaylist", $"playlistId={id}&name=mine", stranger));
        Assert.Equal(50, await fx.ErrorAsync("deletePlaylist", $"id={id}", stranger));

        // createPlaylist with playlistId replaces the songs.
        var replaced = (await ValidAsync("createPlaylist", $"playlistId={id}&songId={a}", owner)).GetProperty("playlist");
        Assert.Equal(1, replaced.GetProperty("songCount").GetInt32());
        await ValidAsync("deletePlaylist", $"id={id}", owner);
        Assert.Equal(70, await fx.ErrorAsync("getPlaylist", $"id={id}", owner));
    }

    [Fact]
    public async Task Play_queues_belong_to_their_user_and_work_by_id_and_by_index()
    {
        var user = await fx.NewUserAsync();
        var other = await fx.NewUserAsync();
        var a = await fx.TrackIdAsync("Crazy in Love");
        var b = await fx.TrackIdAsync("Svefn-g-englar");
        await ValidAsync("savePlayQueue", $"id={a}&id={b}&current={b}&position=12345", user);
        var queue = (await ValidAsync("getPlayQueue", "", user)).GetProperty("playQueue");
        Assert.Equal(b, queue.GetProperty("current").GetString());
        Assert.Equal(12345, queue.GetProperty("position").GetInt64());
        Assert.Equal("tests", queue.GetProperty("changedBy").GetString());
        Assert.Equal([a, b], queue.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("id").GetString()));
        var byIndex = (await ValidAsync("getPlayQueueByIndex", "", user)).GetProperty("playQueueByIndex");
        Assert.Equal(1, byIndex.GetProperty("currentIndex").GetInt32());

        Assert.Equal(0, (await ValidAsync("getPlayQueue", "", other)).GetProperty("playQueue").GetProperty("entry").GetArrayLength());

        await ValidAsync("savePlayQueueByIndex", $"id={b}&id={a}&id={b}&currentIndex=2&position=5", user);
        byIndex = (await ValidAsync("getPlayQueueByIndex", "", user)).GetProperty("playQueueByIndex");
        Assert.Equal(2, byIndex.GetProperty("currentIndex").GetInt32());
        Assert.Equal(3, byIndex.GetProperty("entry").GetArrayLength());
        Assert.Equal(10, await fx.ErrorAsync("savePlayQueueByIndex", $"id={a}&currentIndex=5", user));
        Assert.Equal(10, await fx.ErrorAsync("savePlayQueue", $"id={a}&current={b}", user));

        await ValidAsync("savePlayQueue", "", user);
        Assert.Equal(0, (await ValidAsync("getPlayQueue", "", user)).GetProperty("playQueue").GetProperty("entry").GetArrayLength());
        Assert.Equal(0, (await ValidAsync("getPlayQueueByIndex", "", user)).GetProperty("playQueueByIndex").GetProperty("entry").GetArrayLength());
    }

    [Fact]
    public async Task Bookmarks_keep_a_position_per_song()
    {
        var user = await fx.NewUserAsync();
        var track = await fx.TrackIdAsync("Svefn-g-englar");
        await ValidAsync("createBookmark", $"id={track}&position=42000&comment=here", user);
        await ValidAsync("createBookmark", $"id={track}&position=43000", user);
        var bookmark = (await ValidAsync("getBookmarks", "", user)).GetProperty("bookmarks").GetProperty("bookmark").EnumerateArray().Single();
        Assert.Equal(43000, bookmark.GetProperty("position").GetInt64());
        Assert.Equal(track, bookmark.GetProperty("entry").GetProperty("id").GetString());
        Assert.Equal(0, (await ValidAsync("getBookmarks", "", await fx.NewUserAsync())).GetProperty("bookmarks").GetProperty("bookmark").GetArrayLength());
        await ValidAsync("deleteBookmark", $"id={track}", user);
        Assert.Equal(0, (await ValidAsync("getBookmarks", "", user)).GetProperty("bookmarks").GetProperty("bookmark").GetArrayLength());
    }

    [Fact]
    public async Task A_share_link_plays_without_an_account_until_it_expires()
    {
        var user = await fx.NewUserAsync();
        var album = await fx.AlbumIdAsync("Dangerously in Love");
        var share = (await ValidAsync("createShare", $"id={album}&description=For%20you", user)).GetProperty("shares").GetProperty("share")[0];
        Assert.Equal(2, share.GetProperty("entry").GetArrayLength());
        var url = new Uri(share.GetProperty("url").GetString()!);
        using var anonymous = fx.Server.Client();
        var page = await anonymous.GetStringAsync(url.PathAndQuery);
        Assert.Contains("For you", page);
        Assert.Contains("Crazy in Love", page);
        var trackId = share.GetProperty("entry")[0].GetProperty("id").GetString();
        using var request = new HttpRequestMessage(HttpMethod.Get, url.PathAndQuery + "/" + trackId);
        request.Headers.Range = new RangeHeaderValue(0, 99);
        using var stream = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, stream.StatusCode);
        Assert.Equal(100, (await stream.Content.ReadAsByteArrayAsync()).Length);
        // A track outside the share is not reachable through it.
        using var outside = await anonymous.GetAsync(url.PathAndQuery + "/" + await fx.TrackIdAsync("Duet"));
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);

        var listed = (await ValidAsync("getShares", "", user)).GetProperty("shares").GetProperty("share")[0];
        Assert.Equal(1, listed.GetProperty("visitCount").GetInt64());
        var id = listed.GetProperty("id").GetString();
        var past = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds();
        await ValidAsync("updateShare", $"id={id}&expires={past}", user);
        using var expired = await anonymous.GetAsync(url.PathAndQuery);
        Assert.Equal(HttpStatusCode.NotFound, expired.StatusCode);
        Assert.Equal(70, await fx.ErrorAsync("deleteShare", $"id={id}", await fx.NewUserAsync()));
        await ValidAsync("deleteShare", $"id={id}", user);
        Assert.Equal(0, (await ValidAsync("getShares", "", user)).GetProperty("shares").GetProperty("share").GetArrayLength());
    }

    [Fact]
    public async Task Internet_radio_stations_are_managed_by_admins()
    {
        var admin = await fx.NewUserAsync(admin: true);
        var user = await fx.NewUserAsync();
        Assert.Equal(50, await fx.ErrorAsync("createInternetRadioStation", "streamUrl=http%3A%2F%2Fradio.example%2Fs&name=Nope", user));
        Assert.Equal(10, await fx.ErrorAsync("createInternetRadioStation", "streamUrl=file%3A%2F%2F%2Fetc%2Fpasswd&name=Nope", admin));
        await ValidAsync("createInternetRadioStation", "streamUrl=http%3A%2F%2Fradio.example%2Fstream&name=Test%20FM&homepageUrl=https%3A%2F%2Fradio.example", admin);
        var station = (await ValidAsync("getInternetRadioStations", "", user)).GetProperty("internetRadioStations").GetProperty("internetRadioStation")
            .EnumerateArray().Single(s => s.GetProperty("name").GetString() == "Test FM");
        var id = station.GetProperty("id").GetString();
        Assert.Equal("http://radio.example/stream", station.GetProperty("streamUrl").GetString());
        await ValidAsync("updateInternetRadioStation", $"id={id}&streamUrl=http%3A%2F%2Fradio.example%2Fv2&name=Test%20FM%202", admin);
        Assert.Equal(50, await fx.ErrorAsync("deleteInternetRadioStation", $"id={id}", user));
        await ValidAsync("deleteInternetRadioStation", $"id={id}", admin);
        Assert.Equal(70, await fx.ErrorAsync("deleteInternetRadioStation", $"id={id}", admin));
    }

    [Fact]
    public async Task Accounts_are_managed_by_admins_and_users_change_their_own_password()
    {
        var admin = await fx.NewUserAsync(admin: true);
        var user = await fx.NewUserAsync();
        Assert.Equal(50, await fx.ErrorAsync("createUser", "username=mallory&password=pass1234&email=m%40x", user));
        Assert.Equal(50, await fx.ErrorAsync("getUsers", "", user));
        Assert.Equal(50, await fx.ErrorAsync("getUser", $"username={admin}", user));
        await ValidAsync("getUser", $"username={user}", user);

        await ValidAsync("createUser", "username=dave&password=dave-pass&email=dave%40example.org&maxBitRate=192", admin);
        var dave = (await ValidAsync("getUser", "username=dave", admin)).GetProperty("user");
        Assert.Equal("dave@example.org", dave.GetProperty("email").GetString());
        Assert.Equal(192, dave.GetProperty("maxBitRate").GetInt32());
        Assert.False(dave.GetProperty("adminRole").GetBoolean());
        Assert.Contains(await ValidAsync("getUsers", "", admin) is var all ? all.GetProperty("users").GetProperty("user").EnumerateArray().Select(u => u.GetProperty("username").GetString()) : [], n => n == "dave");
        Assert.Equal(0, await fx.ErrorAsync("createUser", "username=dave&password=other-pass", admin)); // exists: Subsonic has no code but the generic one

        await ValidAsync("updateUser", "username=dave&maxBitRate=320&adminRole=true", admin);
        dave = (await ValidAsync("getUser", "username=dave", admin)).GetProperty("user");
        Assert.Equal(320, dave.GetProperty("maxBitRate").GetInt32());
        Assert.True(dave.GetProperty("adminRole").GetBoolean());
        Assert.Equal(50, await fx.ErrorAsync("updateUser", $"username={admin}&adminRole=false", admin));

        // A user changes their own password (hex-encoded here); the old one stops working at once.
        var hex = "enc:" + Convert.ToHexString("brand-new-pass"u8).ToLowerInvariant();
        await ValidAsync("changePassword", $"username={user}&password={hex}", user);
        Assert.Equal(40, await fx.ErrorAsync("ping", "", user));
        using var fresh = await fx.Http.GetAsync($"/rest/ping?u={user}&p=brand-new-pass&v=1.16.1&c=t&f=json");
        Assert.Contains("\"ok\"", await fresh.Content.ReadAsStringAsync());
        Assert.Equal(50, await fx.ErrorAsync("changePassword", $"username={admin}&password=hijacked", "bob"));

        Assert.Equal(50, await fx.ErrorAsync("deleteUser", "username=dave", "bob"));
        Assert.Equal(50, await fx.ErrorAsync("deleteUser", $"username={admin}", admin));
        await ValidAsync("deleteUser", "username=dave", admin);
        Assert.Equal(70, await fx.ErrorAsync("getUser", "username=dave", admin));
        Assert.Equal(50, await fx.ErrorAsync("startScan", "", "bob"));
        await ValidAsync("startScan", "", admin);
    }

    [Fact]
    public async Task Stream_and_download_serve_the_file_with_ranges()
    {
        var track = await fx.TrackIdAsync("Svefn-g-englar");
        var path = fx.Library.PathOf("Sigur Rós/Ágætis byrjun/01 - Svefn-g-englar.flac");
        var bytes = await File.ReadAllBytesAsync(path);
        using var full = await fx.Http.GetAsync($"/rest/stream?{SubsonicFixture.Auth()}&id={track}");
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal("audio/flac", full.Content.Headers.ContentType!.MediaType);
        Assert.Equal(bytes, await full.Content.ReadAsByteArrayAsync());

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/rest/stream.view?{SubsonicFixture.Auth()}&id={track}&format=raw");
        request.Headers.Range = new RangeHeaderValue(10, 19);
        using var partial = await fx.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[10..20], await partial.Content.ReadAsByteArrayAsync());

        using var download = await fx.Http.GetAsync($"/rest/download?{SubsonicFixture.Auth()}&id={track}");
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal(bytes.Length, (await download.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task Stream_transcodes_to_the_format_and_bitrate_asked_for()
    {
        var track = await fx.TrackIdAsync("Svefn-g-englar");
        using var response = await fx.Http.GetAsync($"/rest/stream.view?{SubsonicFixture.Auth()}&id={track}&format=mp3&maxBitRate=96");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/mpeg", response.Content.Headers.ContentType!.MediaType);
        var path = Path.Combine(fx.Library.Root, Guid.NewGuid().ToString("N") + ".mp3");
        await File.WriteAllBytesAsync(path, await response.Content.ReadAsByteArrayAsync());
        var probe = await FFprobe.ProbeAsync(path);
        Assert.Equal("mp3", probe.Codec);
        Assert.InRange(probe.BitRate, 80_000, 110_000);
    }

    [Theory]
    [InlineData("&format=wav2", "unknown format")]
    [InlineData("&format=mp3&maxBitRate=-4", "maxBitRate")]
    [InlineData("&format=mp3&timeOffset=99999", "past the end")]
    [InlineData("&format=mp3&timeOffset=abc", "timeOffset")]
    public async Task Stream_with_bad_transcoding_parameters_gets_a_subsonic_error(string query, string message)
    {
        var track = await fx.TrackIdAsync("Svefn-g-englar");
        var body = await fx.JsonAsync("stream", $"id={track}{query}");
        Assert.Equal("failed", body.GetProperty("status").GetString());
        Assert.Contains(message, body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Cover_art_is_found_for_albums_songs_artists_and_folders_and_resized()
    {
        var album = await fx.AlbumIdAsync("Dangerously in Love");
        foreach (var id in new[] { album, await fx.TrackIdAsync("Crazy in Love"), await fx.ArtistIdAsync("Beyoncé") })
        {
            using var response = await fx.Http.GetAsync($"/rest/getCoverArt?{SubsonicFixture.Auth()}&id={id}&size=100");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var bitmap = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(100, Math.Max(bitmap.Width, bitmap.Height));
        }
        using var original = await fx.Http.GetAsync($"/rest/getCoverArt?{SubsonicFixture.Auth()}&id={album}");
        using var big = SKBitmap.Decode(await original.Content.ReadAsByteArrayAsync());
        Assert.Equal(400, big.Width);
        Assert.Equal(70, await fx.ErrorAsync("getCoverArt", "id=" + await fx.AlbumIdAsync("教育")));
        Assert.Equal(70, await fx.ErrorAsync("getAvatar", "username=alice"));
    }
}
