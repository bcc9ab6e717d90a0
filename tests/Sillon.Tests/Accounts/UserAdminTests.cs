using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Tests.Fixtures;
using Sillon.Tests.Subsonic;

namespace Sillon.Tests.Accounts;

/// <summary>Disabling accounts, roles and the last administrator, through the real server.</summary>
public sealed class UserAdminTests
{
    private const string Password = "s3cret-pass";

    private static string Rest(string endpoint, string query = "", string user = "bob", string password = Password) =>
        $"/rest/{endpoint}?u={user}&p={Uri.EscapeDataString(password)}&v=1.16.1&c=tests&f=json{(query.Length > 0 ? "&" + query : "")}";

    private static string RestKey(string endpoint, string key) => $"/rest/{endpoint}?apiKey={key}&v=1.16.1&c=tests&f=json";

    /// <summary>The subsonic-response of a JSON call.</summary>
    private static async Task<JsonElement> SubsonicAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("subsonic-response").Clone();
    }

    private static async Task<(int Code, string Message)> SubsonicErrorAsync(HttpClient http, string url)
    {
        var r = await SubsonicAsync(http, url);
        Assert.True(r.GetProperty("status").GetString() == "failed", $"{url} should fail: {r}");
        var error = r.GetProperty("error");
        return (error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString()!);
    }

    private static async Task<HttpResponseMessage> PatchAsync(HttpClient http, string name, object body) =>
        await http.PatchAsJsonAsync($"/api/v1/users/{name}", body);

    private static async Task<string> LoginTokenAsync(HttpClient anonymous, string name, string password = Password)
    {
        var response = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = name, password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<LoginResponse>())!.Token;
    }

    [Fact]
    public async Task Disabled_user_is_refused_everywhere_keeps_their_data_and_gets_back_in_when_enabled()
    {
        await using var lib = new TestLibrary();
        await lib.AddAsync("Artist/Album/01 - Song.mp3", "mp3", new TagSet { Title = "Song", Artists = ["Artist"], Album = "Album", Track = 1 });
        await using var server = await SillonServer.StartAsync(lib);
        await server.WaitForScanAsync();
        using var admin = await server.LoginAsync("alice", Password, admin: true);
        using var bob = await server.LoginAsync("bob", Password, admin: false);
        using var anonymous = server.Client();
        var key = (await (await bob.PostAsJsonAsync("/api/v1/me/apikeys", new { name = "phone" })).Content.ReadFromJsonAsync<ApiKeyCreated>())!.Key;
        var track = "tr-" + await Sql.ScalarAsync<long>(lib.Data, "SELECT id FROM tracks");
        Assert.Equal("ok", (await SubsonicAsync(anonymous, Rest("star", $"id={track}"))).GetProperty("status").GetString());

        var disabled = await PatchAsync(admin, "bob", new { disabled = true });
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.True((await disabled.Content.ReadFromJsonAsync<UserView>())!.Disabled);

        // REST login: the right password is told why; a wrong one learns nothing.
        var login = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = "bob", password = Password });
        Assert.Equal(HttpStatusCode.Forbidden, login.StatusCode);
        Assert.Contains("disabled", await login.Content.ReadAsStringAsync());
        var wrong = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = "bob", password = "not-the-password" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        // The session opened before: refused at once, with the reason.
        var me = await bob.GetAsync("/api/v1/me");
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.Contains("disabled", await me.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await bob.GetAsync($"/api/v1/tracks/{track}/stream")).StatusCode);

        // Subsonic: password, token and API key alike.
        var (code, message) = await SubsonicErrorAsync(anonymous, Rest("ping"));
        Assert.Equal(50, code);
        Assert.Contains("disabled", message);
        Assert.Equal(50, (await SubsonicErrorAsync(anonymous, RestKey("ping", key))).Code);

        // Nothing of bob's is gone.
        Assert.Equal(1, await Sql.ScalarAsync<long>(lib.Data,
            "SELECT COUNT(*) FROM annotations a JOIN users u ON u.id = a.user_id WHERE u.name = 'bob' AND a.starred_at IS NOT NULL"));
        Assert.Equal(1, await Sql.ScalarAsync<long>(lib.Data, "SELECT COUNT(*) FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.name = 'bob'"));

        var list = await admin.GetFromJsonAsync<List<UserView>>("/api/v1/users");
        Assert.True(list!.Single(u => u.Username == "bob").Disabled);

        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(admin, "bob", new { disabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/api/v1/me")).StatusCode);
        await LoginTokenAsync(anonymous, "bob");
        Assert.Equal("ok", (await SubsonicAsync(anonymous, RestKey("ping", key))).GetProperty("status").GetString());
        var starred = await SubsonicAsync(anonymous, Rest("getStarred2"));
        Assert.Equal(track, starred.GetProperty("starred2").GetProperty("song")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Administrator_cannot_disable_or_demote_themself()
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib);
        using var admin = await server.LoginAsync("alice", Password, admin: true);
        await server.Services.GetRequiredService<Users>().AddAsync("carol", Password, isAdmin: true, CancellationToken.None);

        var self = await PatchAsync(admin, "alice", new { disabled = true });
        Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        Assert.Contains("your own account", await self.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await PatchAsync(admin, "ALICE", new { isAdmin = false })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/me")).StatusCode);

        // Another administrator may be disabled: alice is still there to enable carol again.
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(admin, "carol", new { disabled = true })).StatusCode);
    }

    [Fact]
    public async Task The_last_enabled_administrator_is_never_disabled_demoted_or_removed()
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib);
        var users = server.Services.GetRequiredService<Users>();
        var ct = CancellationToken.None;
        await users.AddAsync("alice", Password, isAdmin: true, ct);
        await users.AddAsync("bob", Password, isAdmin: false, ct);

        Assert.Equal(UserResult.LastAdmin, await users.UpdateAsync("alice", new UserChange { Disabled = true }, ct));
        Assert.Equal(UserResult.LastAdmin, await users.UpdateAsync("alice", new UserChange { IsAdmin = false }, ct));
        Assert.Equal(UserResult.LastAdmin, await users.RemoveAsync("alice", ct));
        Assert.Equal(UserResult.NotFound, await users.UpdateAsync("nobody", new UserChange { Disabled = true }, ct));

        // A disabled administrator does not count as one that can act.
        await users.AddAsync("carol", Password, isAdmin: true, ct);
        Assert.Equal(UserResult.Ok, await users.UpdateAsync("carol", new UserChange { Disabled = true }, ct));
        Assert.Equal(UserResult.LastAdmin, await users.RemoveAsync("alice", ct));
        Assert.Equal(UserResult.Ok, await users.UpdateAsync("carol", new UserChange { Disabled = false }, ct));
        Assert.Equal(UserResult.Ok, await users.UpdateAsync("alice", new UserChange { IsAdmin = false }, ct));
        Assert.False((await users.DetailsAsync("alice", ct))!.IsAdmin);

        // The command line says so too.
        var cli = await SillonCli.RunAsync(["user", "remove", "carol", "--data", lib.Data]);
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("last enabled administrator", cli.Stderr);
    }

    [Fact]
    public async Task User_admin_api_refuses_bad_input_and_non_administrators()
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib);
        using var admin = await server.LoginAsync("alice", Password, admin: true);
        using var bob = await server.LoginAsync("bob", Password, admin: false);

        Assert.Equal(HttpStatusCode.NotFound, (await PatchAsync(admin, "nobody", new { disabled = true })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PatchAsync(admin, "bob", new { maxBitRate = -1 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PatchAsync("/api/v1/users/bob", new StringContent("", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PatchAsync(bob, "alice", new { disabled = true })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync("/api/v1/users")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().GetAsync("/api/v1/users")).StatusCode);
    }

    [Fact]
    public async Task Roles_taken_away_are_refused_on_rest_and_subsonic_and_reported_by_getUser()
    {
        await using var lib = new TestLibrary();
        await lib.AddAsync("Artist/Album/01 - Song.mp3", "mp3", new TagSet { Title = "Song", Artists = ["Artist"], Album = "Album", Track = 1 });
        await using var server = await SillonServer.StartAsync(lib);
        await server.WaitForScanAsync();
        using var admin = await server.LoginAsync("alice", Password, admin: true);
        using var bob = await server.LoginAsync("bob", Password, admin: false);
        using var anonymous = server.Client();
        var track = "tr-" + await Sql.ScalarAsync<long>(lib.Data, "SELECT id FROM tracks");

        var patched = await PatchAsync(admin, "bob", new { roles = new { stream = false, download = false, playlist = false, share = false, settings = false } });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(new UserRoles(false, false, false, false, false), (await patched.Content.ReadFromJsonAsync<UserView>())!.Roles);

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync($"/api/v1/tracks/{track}/stream")).StatusCode);
        Assert.Equal(50, (await SubsonicErrorAsync(anonymous, Rest("stream", $"id={track}"))).Code);
        Assert.Equal(50, (await SubsonicErrorAsync(anonymous, Rest("download", $"id={track}"))).Code);
        Assert.Equal(50, (await SubsonicErrorAsync(anonymous, Rest("createPlaylist", "name=Mine"))).Code);
        Assert.Equal(50, (await SubsonicErrorAsync(anonymous, Rest("createShare", $"id={track}"))).Code);
        Assert.Equal(50, (await SubsonicErrorAsync(anonymous, Rest("changePassword", "username=bob&password=another-pass"))).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PostAsJsonAsync("/api/v1/playlists/smart",
            new { name = "Smart", rules = new { match = "all", rules = new[] { new { field = "title", @operator = "contains", value = "o" } } } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PostAsJsonAsync("/api/v1/me/password", new { currentPassword = Password, newPassword = "another-pass" })).StatusCode);
        // What needs no role still works.
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync($"/api/v1/tracks/{track}")).StatusCode);

        // getUser reports the stored roles and stays schema-valid.
        using var getUser = await anonymous.GetAsync(Rest("getUser", "username=bob", user: "alice"));
        using var doc = JsonDocument.Parse(await getUser.Content.ReadAsStringAsync());
        Assert.Null(SchemaValidator.Validate("getUser", doc.RootElement));
        var info = doc.RootElement.GetProperty("subsonic-response").GetProperty("user");
        Assert.False(info.GetProperty("streamRole").GetBoolean());
        Assert.False(info.GetProperty("downloadRole").GetBoolean());
        Assert.False(info.GetProperty("settingsRole").GetBoolean());

        // Subsonic updateUser gives the stream role back; the next request may stream.
        Assert.Equal("ok", (await SubsonicAsync(anonymous, Rest("updateUser", "username=bob&streamRole=true&downloadRole=true", user: "alice"))).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync($"/api/v1/tracks/{track}/stream")).StatusCode);
        using var download = await anonymous.GetAsync(Rest("download", $"id={track}"));
        Assert.Equal("audio/mpeg", download.Content.Headers.ContentType?.MediaType);
        using var getUsers = await anonymous.GetAsync(Rest("getUsers", user: "alice"));
        using var usersDoc = JsonDocument.Parse(await getUsers.Content.ReadAsStringAsync());
        Assert.Null(SchemaValidator.Validate("getUsers", usersDoc.RootElement));
        var bobInfo = usersDoc.RootElement.GetProperty("subsonic-response").GetProperty("users").GetProperty("user").EnumerateArray().Single(u => u.GetProperty("username").GetString() == "bob");
        Assert.True(bobInfo.GetProperty("streamRole").GetBoolean());
        Assert.False(bobInfo.GetProperty("shareRole").GetBoolean());
    }
}
