using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Subsonic;

/// <summary>The protocol around the endpoints: formats, paths, form posts, authentication, error codes, hostile input.</summary>
public sealed class SubsonicProtocolTests(SubsonicFixture fx) : IClassFixture<SubsonicFixture>
{
    private static string Md5(string s) => Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(s))).ToLowerInvariant();

    [Fact]
    public async Task Responses_carry_the_envelope_in_xml_json_and_jsonp()
    {
        var xml = XDocument.Parse(await fx.Http.GetStringAsync($"/rest/ping?{SubsonicFixture.Auth()}")).Root!;
        Assert.Equal("ok", xml.Attribute("status")!.Value);
        Assert.Equal("1.16.1", xml.Attribute("version")!.Value);
        Assert.Equal("sillon", xml.Attribute("type")!.Value);
        Assert.Equal("true", xml.Attribute("openSubsonic")!.Value);
        Assert.False(string.IsNullOrEmpty(xml.Attribute("serverVersion")!.Value));

        var json = await fx.OkAsync("ping");
        Assert.Equal("sillon", json.GetProperty("type").GetString());
        Assert.True(json.GetProperty("openSubsonic").GetBoolean());

        using var jsonp = await fx.Http.GetAsync($"/rest/ping?{SubsonicFixture.Auth()}&f=jsonp&callback=handle.it");
        var body = await jsonp.Content.ReadAsStringAsync();
        Assert.StartsWith("application/javascript", jsonp.Content.Headers.ContentType!.ToString());
        Assert.StartsWith("handle.it({\"subsonic-response\":", body);
        Assert.EndsWith(");", body);

        // A callback that is not an identifier is never echoed into script.
        var evil = await fx.Http.GetStringAsync($"/rest/ping?{SubsonicFixture.Auth()}&f=jsonp&callback=%3Cscript%3E");
        Assert.DoesNotContain("<script>", evil);
    }

    [Fact]
    public async Task Endpoints_answer_with_and_without_view_and_by_form_post()
    {
        Assert.Equal("ok", XDocument.Parse(await fx.Http.GetStringAsync($"/rest/ping.view?{SubsonicFixture.Auth()}")).Root!.Attribute("status")!.Value);
        var album = await fx.AlbumIdAsync("Ágætis byrjun");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["u"] = "alice", ["p"] = SubsonicFixture.Password, ["v"] = "1.16.1", ["c"] = "tests", ["f"] = "json", ["id"] = album,
        });
        using var response = await fx.Http.PostAsync("/rest/getAlbum.view", form);
        var r = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("subsonic-response");
        Assert.Equal("Ágætis byrjun", r.GetProperty("album").GetProperty("name").GetString());
        var extensions = (await fx.OkAsync("getOpenSubsonicExtensions")).GetProperty("openSubsonicExtensions").EnumerateArray()
            .Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Contains("formPost", extensions);
        Assert.Contains("apiKeyAuthentication", extensions);
        Assert.Contains("songLyrics", extensions);
        Assert.Contains("indexBasedQueue", extensions);
    }

    [Fact]
    public async Task A_long_play_queue_can_be_saved_by_form_post()
    {
        var user = await fx.NewUserAsync();
        var track = await fx.TrackIdAsync("Duet");
        var fields = new List<KeyValuePair<string, string>>
        {
            new("u", user), new("p", SubsonicFixture.Password), new("v", "1.16.1"), new("c", "tests"), new("f", "json"),
        };
        fields.AddRange(Enumerable.Repeat(new KeyValuePair<string, string>("id", track), 3000));
        using var form = new FormUrlEncodedContent(fields);
        using var saved = await fx.Http.PostAsync("/rest/savePlayQueue", form);
        Assert.Contains("\"ok\"", await saved.Content.ReadAsStringAsync());
        var queue = (await fx.OkAsync("getPlayQueue", "", user)).GetProperty("playQueue");
        Assert.Equal(3000, queue.GetProperty("entry").GetArrayLength());
    }

    [Fact]
    public async Task Open_subsonic_extensions_answer_without_credentials()
    {
        var r = JsonDocument.Parse(await fx.Http.GetStringAsync("/rest/getOpenSubsonicExtensions?f=json")).RootElement.GetProperty("subsonic-response");
        Assert.Equal("ok", r.GetProperty("status").GetString());
        Assert.Null(SchemaValidator.Validate("getOpenSubsonicExtensions", JsonDocument.Parse(await fx.Http.GetStringAsync("/rest/getOpenSubsonicExtensions?f=json")).RootElement));
    }

    private async Task<JsonElement> RawAsync(string query)
    {
        using var response = await fx.Http.GetAsync("/rest/ping?f=json&c=tests&" + query);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("subsonic-response");
    }

    private static int? Code(JsonElement r) => r.TryGetProperty("error", out var e) ? e.GetProperty("code").GetInt32() : null;

    [Fact]
    public async Task Passwords_hex_passwords_tokens_and_api_keys_authenticate()
    {
        var hex = "enc:" + Convert.ToHexString(Encoding.UTF8.GetBytes(SubsonicFixture.Password)).ToLowerInvariant();
        Assert.Null(Code(await RawAsync($"u=alice&p={hex}&v=1.16.1")));
        var salt = "c19b2d";
        Assert.Null(Code(await RawAsync($"u=alice&t={Md5(SubsonicFixture.Password + salt)}&s={salt}&v=1.16.1")));
        Assert.Equal(40, Code(await RawAsync($"u=alice&t={Md5("wrong" + salt)}&s={salt}&v=1.16.1")));

        // API keys are made in our REST API, then used by a Subsonic client.
        using var web = await fx.Server.LoginAsync("keyholder", "keyholder-pass", admin: false);
        using var created = await web.PostAsync("/api/v1/me/apikeys", JsonContent("{\"name\":\"phone\"}"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;
        var info = await RawTokenInfoAsync(key);
        Assert.Equal("keyholder", info.GetProperty("tokenInfo").GetProperty("username").GetString());
        var stored = await Sql.ScalarAsync<string>(fx.Library.Data, "SELECT key_hash FROM api_keys WHERE name = 'phone'");
        Assert.NotEqual(key, stored, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(key, await web.GetStringAsync("/api/v1/me/apikeys"));
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<JsonElement> RawTokenInfoAsync(string key)
    {
        using var response = await fx.Http.GetAsync($"/rest/tokenInfo?f=json&apiKey={key}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("subsonic-response");
    }

    [Fact]
    public async Task Authentication_failures_have_their_exact_codes()
    {
        Assert.Equal(10, Code(await RawAsync("v=1.16.1")));
        Assert.Equal(10, Code(await RawAsync("u=alice&v=1.16.1")));
        Assert.Equal(40, Code(await RawAsync("u=alice&p=wrong-password&v=1.16.1")));
        Assert.Equal(40, Code(await RawAsync("u=nobody&p=whatever&v=1.16.1")));
        Assert.Equal(43, Code(await RawAsync($"u=alice&apiKey=abcdefabcdefabcdefabcdef&v=1.16.1")));
        Assert.Equal(44, Code(await RawAsync("apiKey=abcdefabcdefabcdefabcdef&v=1.16.1")));
        Assert.Equal(30, Code(await RawAsync($"u=alice&p={SubsonicFixture.Password}&v=2.0.0")));
        Assert.Equal(20, Code(await RawAsync($"u=alice&p={SubsonicFixture.Password}&v=0.9")));

        // An account whose password predates the encrypted copy cannot use token auth until it is set again.
        await fx.AddUserAsync("legacy");
        await Sql.ScalarAsync<long>(fx.Library.Data, "UPDATE users SET password_enc = NULL WHERE name = 'legacy' RETURNING id");
        Assert.Equal(41, Code(await RawAsync($"u=legacy&t={Md5(SubsonicFixture.Password + "abc")}&s=abc&v=1.16.1")));
        Assert.Null(Code(await RawAsync($"u=legacy&p={SubsonicFixture.Password}&v=1.16.1")));
    }

    [Fact]
    public async Task The_recoverable_password_is_encrypted_with_a_private_key()
    {
        var stored = await Sql.ScalarAsync<string>(fx.Library.Data, "SELECT password_enc FROM users WHERE name = 'alice'");
        Assert.DoesNotContain(SubsonicFixture.Password, stored);
        Assert.DoesNotContain(SubsonicFixture.Password, Encoding.UTF8.GetString(Convert.FromBase64String(stored)));
        var key = Path.Combine(fx.Library.Data, "secret.key");
        Assert.Equal(32, new FileInfo(key).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
    }

    [Fact]
    public async Task Credentials_never_reach_the_logs()
    {
        const string secret = "Very-Secret-Pw-4242";
        await RawAsync($"u=alice&p={secret}&v=1.16.1");
        await RawAsync($"u=alice&t={Md5(secret + "zz")}&s=zzsalt&v=1.16.1");
        await RawAsync("apiKey=secretkeysecretkeysecretkey1234&v=1.16.1");
        await fx.GetAsync("getAlbum", "id=al-999999");
        string logs;
        lock (fx.Server.Logs) logs = string.Join("\n", fx.Server.Logs);
        Assert.DoesNotContain(secret, logs);
        Assert.DoesNotContain(Md5(secret + "zz"), logs);
        Assert.DoesNotContain("zzsalt", logs);
        Assert.DoesNotContain("secretkeysecretkey", logs);
        Assert.DoesNotContain(SubsonicFixture.Password, logs);
    }

    [Fact]
    public async Task Unknown_and_unimplemented_endpoints_are_clear_errors()
    {
        Assert.Equal(70, await fx.ErrorAsync("noSuchThing", status: HttpStatusCode.NotFound));
        foreach (var name in new[] { "jukeboxControl", "getChatMessages", "getVideos" })
        {
            var r = await fx.JsonAsync(name);
            Assert.Equal(0, r.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Contains("not implemented", r.GetProperty("error").GetProperty("message").GetString());
        }
    }

    public static TheoryData<string, string, int> BadInput => new()
    {
        { "getAlbum", "", 10 },
        { "getAlbum", "id=al-99999999", 70 },
        { "getAlbum", "id=tr-1", 70 },
        { "getAlbum", "id=%00%01", 70 },
        { "getSong", "id=tr-99999999999999999999999", 70 },
        { "getArtist", "id=ar--1", 70 },
        { "getMusicDirectory", "id=zz-1", 70 },
        { "getAlbumList2", "", 10 },
        { "getAlbumList2", "type=bogus", 10 },
        { "getAlbumList2", "type=newest&size=abc", 10 },
        { "getAlbumList2", "type=byYear", 10 },
        { "getAlbumList2", "type=byGenre", 10 },
        { "getSongsByGenre", "", 10 },
        { "search3", "query=x&songCount=1e9", 10 },
        { "setRating", "id=al-1&rating=9", 10 },
        { "setRating", "id=al-99999&rating=3", 70 },
        { "star", "", 10 },
        { "star", "id=tr-99999", 70 },
        { "scrobble", "id=tr-99999", 70 },
        { "getCoverArt", "id=al-0", 70 },
        { "getCoverArt", "", 10 },
        { "stream", "", 10 },
        { "stream", "id=tr-99999", 70 },
        { "download", "id=../../etc/passwd", 70 },
        { "getPlaylist", "id=pl-99999", 70 },
        { "getLyricsBySongId", "id=tr-99999", 70 },
        { "deleteBookmark", "id=tr-99999", 70 },
        { "getTopSongs", "", 10 },
        { "getUser", "", 10 },
        { "getUser", "username=ghost", 70 },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Bad_input_gets_the_right_error_and_never_a_500(string endpoint, string query, int code)
    {
        Assert.Equal(code, await fx.ErrorAsync(endpoint, query));
        var xml = await fx.XmlAsync(endpoint, query);
        Assert.Equal("failed", xml.Attribute("status")!.Value);
        Assert.Equal(code.ToString(System.Globalization.CultureInfo.InvariantCulture), xml.Elements().Single().Attribute("code")!.Value);
    }

    [Theory]
    [InlineData("getAlbumList2", "type=newest&size=99999999&offset=-5", "albumList2", "album", 5)]
    [InlineData("getAlbumList2", "type=newest&offset=99999999999", "albumList2", "album", -1)]
    [InlineData("getRandomSongs", "size=2147483647", "randomSongs", "song", 7)]
    [InlineData("search3", "query=&songCount=2147483647&songOffset=-1", "searchResult3", "song", 7)]
    [InlineData("search3", "query=%21%21%21", "searchResult3", "song", 0)]
    [InlineData("search3", "query=%22AND%20OR%20NEAR(%2A", "searchResult3", "song", 0)]
    [InlineData("getSongsByGenre", "genre=R%26B&count=-4&offset=7", "songsByGenre", "song", 0)]
    public async Task Huge_and_negative_paging_is_clamped(string endpoint, string query, string container, string list, int expected)
    {
        var r = await fx.JsonAsync(endpoint, query);
        if (expected < 0) { Assert.Equal(10, r.GetProperty("error").GetProperty("code").GetInt32()); return; }
        Assert.True(r.GetProperty("status").GetString() == "ok", r.ToString());
        Assert.Equal(expected, r.GetProperty(container).GetProperty(list).GetArrayLength());
    }
}

/// <summary>Password guessing against the Subsonic API, on a server of its own (the lockout is per address).</summary>
public sealed class SubsonicThrottleTests
{
    [Fact]
    public async Task Failed_logins_are_throttled_per_user_and_address()
    {
        await using var lib = new TestLibrary();
        await lib.AddUntaggedAsync("a.mp3");
        await using var server = await SillonServer.StartAsync(lib);
        await server.Services.GetRequiredService<Users>().AddAsync("carol", "carol-pass", false, CancellationToken.None);
        using var http = server.Client();
        for (var i = 0; i < LoginThrottle.MaxFailures; i++)
        {
            using var wrong = await http.GetAsync("/rest/ping?u=carol&p=nope&v=1.16.1&c=t&f=json");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }
        using var locked = await http.GetAsync("/rest/ping?u=carol&p=carol-pass&v=1.16.1&c=t&f=json");
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.NotNull(locked.Headers.RetryAfter);
        var r = JsonDocument.Parse(await locked.Content.ReadAsStringAsync()).RootElement.GetProperty("subsonic-response");
        Assert.Equal(40, r.GetProperty("error").GetProperty("code").GetInt32());
    }
}
