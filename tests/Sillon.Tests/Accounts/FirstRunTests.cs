using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Accounts;

/// <summary>The browser's first run: an anonymous endpoint that creates the first administrator, once.</summary>
public sealed class FirstRunTests
{
    [Fact]
    public async Task First_admin_is_created_from_the_browser_then_setup_is_refused()
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib);
        using var anonymous = server.Client();

        Assert.True((await anonymous.GetFromJsonAsync<SetupStatus>("/api/v1/setup"))!.Needed);
        var created = await anonymous.PostAsJsonAsync("/api/v1/setup", new { username = "root", password = "first-pass" });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var login = (await created.Content.ReadFromJsonAsync<LoginResponse>())!;
        Assert.True(login.IsAdmin);
        using var admin = server.Client(login.Token);
        Assert.Equal("root", (await admin.GetFromJsonAsync<MeResponse>("/api/v1/me"))!.Username);

        Assert.False((await anonymous.GetFromJsonAsync<SetupStatus>("/api/v1/setup"))!.Needed);
        var again = await anonymous.PostAsJsonAsync("/api/v1/setup", new { username = "mallory", password = "takeover" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var users = await server.Services.GetRequiredService<Users>().ListAsync(CancellationToken.None);
        Assert.Equal(["root"], users.Select(u => u.Name));
    }

    [Fact]
    public async Task Setup_is_refused_when_an_account_already_exists()
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib);
        using var client = await server.LoginAsync("alice", "s3cret-pass", admin: false);
        using var anonymous = server.Client();
        var response = await anonymous.PostAsJsonAsync("/api/v1/setup", new { username = "mallory", password = "takeover" });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Fact]
    public async Task Racing_setups_create_exactly_one_admin()
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var c = server.Client();
            return (await c.PostAsJsonAsync("/api/v1/setup", new { username = $"admin{i}", password = "first-pass" })).StatusCode;
        }));
        Assert.Single(results, s => s == HttpStatusCode.OK);
        Assert.All(results.Where(s => s != HttpStatusCode.OK), s => Assert.Equal(HttpStatusCode.Conflict, s));
        Assert.Equal(1, await server.Services.GetRequiredService<Users>().CountAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("", "first-pass")]
    [InlineData("root", "")]
    [InlineData("root", "abc")]
    [InlineData("a/b", "first-pass")]
    public async Task Setup_rejects_bad_names_and_passwords_and_creates_nobody(string username, string password)
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib);
        using var anonymous = server.Client();
        var response = await anonymous.PostAsJsonAsync("/api/v1/setup", new { username, password });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await server.Services.GetRequiredService<Users>().CountAsync(CancellationToken.None));
    }
}

/// <summary>A listener changes their own password from the web player.</summary>
public sealed class PasswordChangeTests
{
    [Fact]
    public async Task Changing_the_password_ends_old_sessions_and_returns_a_working_token()
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib);
        using var client = await server.LoginAsync("alice", "old-pass", admin: false);

        var wrong = await client.PostAsJsonAsync("/api/v1/me/password", new { currentPassword = "nope", newPassword = "new-pass" });
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        var tooShort = await client.PostAsJsonAsync("/api/v1/me/password", new { currentPassword = "old-pass", newPassword = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);

        var changed = await client.PostAsJsonAsync("/api/v1/me/password", new { currentPassword = "old-pass", newPassword = "new-pass" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var login = (await changed.Content.ReadFromJsonAsync<LoginResponse>())!;
        using var fresh = server.Client(login.Token);
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/v1/me")).StatusCode);
        var users = server.Services.GetRequiredService<Users>();
        Assert.Null(await users.VerifyAsync("alice", "old-pass", CancellationToken.None));
        Assert.NotNull(await users.VerifyAsync("alice", "new-pass", CancellationToken.None));
        using var anonymous = server.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/me/password", new { currentPassword = "new-pass", newPassword = "x-pass" })).StatusCode);
    }
}
