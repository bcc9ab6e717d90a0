using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Sillon.Data;

namespace Sillon.Accounts;

/// <summary>
/// Bearer tokens: 256 random bits given to the client once, kept in the database only as a SHA-256
/// hash. Stored in the database rather than signed so that several nodes share them and a password
/// change or logout revokes them at once.
/// </summary>
public sealed class Sessions
{
    private readonly Database db;
    private readonly TimeProvider time;

    public Sessions(Database db, TimeProvider time, Users users)
    {
        this.db = db;
        this.time = time;
        // A disabled account, a role taken away or a new password takes effect on the next request.
        users.Changed += Forget;
    }

    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);
    // Streaming clients send the token with every range request: a short memory of recent lookups
    // keeps the database out of that hot path. A revoked token stays valid at most this long.
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (User User, DateTimeOffset Until)> _cache = new();

    public async Task<(string Token, DateTimeOffset Expires)> CreateAsync(User user, CancellationToken ct)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var expires = now + Lifetime;
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (@hash, @Id, @now, @expires)",
            new { hash = Hash(token), user.Id, now = Iso(now), expires = Iso(expires) }, cancellationToken: ct));
        return (token, expires);
    }

    public async Task<User?> FindAsync(string token, CancellationToken ct)
    {
        if (token.Length is < 16 or > 128) return null;
        var hash = Hash(token);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var hit) && hit.Until > now) return hit.User;
        await using var connection = await db.OpenAsync(ct);
        var user = await connection.QuerySingleOrDefaultAsync<User>(new CommandDefinition($"""
            SELECT {User.Columns}
            FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = @hash AND s.expires_at > @now
            """, new { hash, now = Iso(now) }, cancellationToken: ct));
        if (user is null) _cache.TryRemove(hash, out _);
        else _cache[hash] = (user, now + CacheFor);
        return user;
    }

    /// <summary>After an account is disabled or its roles change: every session is looked up again on its next request.</summary>
    public void Forget() => _cache.Clear();

    public async Task RevokeAsync(string token, CancellationToken ct)
    {
        var hash = Hash(token);
        _cache.TryRemove(hash, out _);
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sessions WHERE token_hash = @hash", new { hash }, cancellationToken: ct));
    }

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    private static string Iso(DateTimeOffset t) => t.ToString("O", CultureInfo.InvariantCulture);
    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// Authenticates "Authorization: Bearer TOKEN" against <see cref="Sessions"/>. An audio or image
/// element cannot send that header, so the same token is also accepted as an access_token query
/// parameter, but only on GET/HEAD of the media endpoints (a track's stream, an album's cover, a podcast episode's stream):
/// nowhere else can a token in a URL open the API.
/// </summary>
public sealed class BearerHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, Sessions sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        string token;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = header["Bearer ".Length..].Trim();
        else if (IsMediaRequest(Request) && Request.Query[QueryParameter].ToString() is { Length: > 0 } query) token = query;
        else return AuthenticateResult.NoResult();
        var user = await sessions.FindAsync(token, Context.RequestAborted);
        if (user is null) return AuthenticateResult.Fail("invalid or expired token");
        if (user.Disabled)
        {
            // The session stays (enabling the account again restores it) but opens nothing meanwhile.
            Context.Items[DisabledItem] = true;
            return AuthenticateResult.Fail(DisabledMessage);
        }
        return AuthenticateResult.Success(new AuthenticationTicket(Principal(user), SchemeName));
    }

    public const string DisabledMessage = "this account is disabled; ask an administrator to enable it";
    private const string DisabledItem = "sillon.disabled";

    /// <summary>The claims of a user: id, name, and a role claim for "admin" and for each role they hold (see <see cref="RolePolicies"/>).</summary>
    public static ClaimsPrincipal Principal(User user)
    {
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)), new(ClaimTypes.Name, user.Name) };
        if (user.IsAdmin) claims.Add(new Claim(ClaimTypes.Role, "admin"));
        foreach (var role in Enum.GetValues<Role>())
            if (user.Can(role)) claims.Add(new Claim(ClaimTypes.Role, RolePolicies.Name(role)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
    }

    /// <summary>A disabled account's client is told why, so it can show it instead of "session expired".</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[DisabledItem] is not true) { await base.HandleChallengeAsync(properties); return; }
        Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\", error_description=\"account disabled\"";
        await TypedResults.Problem(DisabledMessage, statusCode: StatusCodes.Status401Unauthorized, title: "Account disabled").ExecuteAsync(Context);
    }

    public const string QueryParameter = "access_token";

    /// <summary>GET or HEAD of /api/v1/tracks/{id}/stream, /api/v1/albums/{id}/cover or /api/v1/podcasts/episodes/{id}/stream, and nothing else.</summary>
    public static bool IsMediaRequest(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)) return false;
        var segments = request.Path.Value?.Split('/');
        // "", "api", "v1", kind, id, action
        return segments is ["", "api", "v1", "tracks", { Length: > 0 }, "stream"] or ["", "api", "v1", "albums", { Length: > 0 }, "cover"]
            or ["", "api", "v1", "podcasts", "episodes", { Length: > 0 }, "stream"];
    }
}

/// <summary>
/// One authorization policy per <see cref="Role"/>: an endpoint that needs a role says
/// <c>.RequireAuthorization(RolePolicies.Stream)</c>, and a user without it gets 403.
/// </summary>
public static class RolePolicies
{
    public const string Stream = "role:stream";
    public const string Download = "role:download";
    public const string Playlist = "role:playlist";
    public const string Share = "role:share";
    public const string Settings = "role:settings";

    public static string Name(Role role) => "role:" + role.ToString().ToLowerInvariant();

    public static Microsoft.AspNetCore.Authorization.AuthorizationBuilder AddRolePolicies(this Microsoft.AspNetCore.Authorization.AuthorizationBuilder builder)
    {
        foreach (var role in Enum.GetValues<Role>()) builder.AddPolicy(Name(role), p => p.RequireRole(Name(role)));
        return builder;
    }
}
