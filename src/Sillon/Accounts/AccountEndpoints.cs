using Microsoft.AspNetCore.Http.HttpResults;

namespace Sillon.Accounts;

public sealed record LoginRequest(string Username, string Password);
public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, string Username, bool IsAdmin);
public sealed record MeResponse(long Id, string Username, bool IsAdmin);
public sealed record ApiKeyRequest(string? Name);
public sealed record ApiKeyCreated(long Id, string Name, string Key, string CreatedAt);

public static class AccountEndpoints
{
    public static void MapAccountEndpoints(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Accounts");
        auth.MapPost("/login", Login).AllowAnonymous().WithSummary("Log in with a name and password; returns a bearer token")
            .RequireRateLimiting("login");
        auth.MapPost("/logout", Logout).WithSummary("Revoke the token of this request");
        api.MapGet("/me", (HttpContext http) => TypedResults.Ok(new MeResponse(http.UserId(), http.User.Identity!.Name!, http.User.IsInRole("admin"))))
            .WithTags("Accounts").WithSummary("The logged-in user");
        var keys = api.MapGroup("/me/apikeys").WithTags("Accounts");
        keys.MapGet("", (HttpContext http, ApiKeys apiKeys, CancellationToken ct) => apiKeys.ListAsync(http.UserId(), ct))
            .WithSummary("The logged-in user's API keys (for Subsonic clients: apiKey=…), without the keys themselves");
        keys.MapPost("", CreateKey).WithSummary("Create an API key; the key is shown only in this answer");
        keys.MapDelete("/{id:long}", async Task<Results<NoContent, NotFound>> (long id, HttpContext http, ApiKeys apiKeys, CancellationToken ct) =>
            await apiKeys.DeleteAsync(http.UserId(), id, ct) ? TypedResults.NoContent() : TypedResults.NotFound()).WithSummary("Revoke an API key");
    }

    private static async Task<Results<Ok<LoginResponse>, UnauthorizedHttpResult, ProblemHttpResult>> Login(LoginRequest? request, Users users, Sessions sessions, CancellationToken ct)
    {
        if (request is null || string.IsNullOrEmpty(request.Username) || string.IsNullOrEmpty(request.Password) || request.Username.Length > 64 || request.Password.Length > 1024)
            return TypedResults.Problem("username and password are required", statusCode: 400);
        var user = await users.VerifyAsync(request.Username, request.Password, ct);
        if (user is null) return TypedResults.Unauthorized();
        var (token, expires) = await sessions.CreateAsync(user, ct);
        return TypedResults.Ok(new LoginResponse(token, expires, user.Name, user.IsAdmin));
    }

    private static async Task<Results<Created<ApiKeyCreated>, ProblemHttpResult>> CreateKey(ApiKeyRequest? request, HttpContext http, ApiKeys apiKeys, CancellationToken ct)
    {
        var name = string.IsNullOrWhiteSpace(request?.Name) ? "API key" : request.Name.Trim();
        if (name.Length > 100) return TypedResults.Problem("name: at most 100 characters", statusCode: 400);
        var (key, info) = await apiKeys.CreateAsync(http.UserId(), name, ct);
        return TypedResults.Created($"/api/v1/me/apikeys/{info.Id}", new ApiKeyCreated(info.Id, info.Name, key, info.CreatedAt));
    }

    private static async Task<NoContent> Logout(HttpContext http, Sessions sessions, CancellationToken ct)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) await sessions.RevokeAsync(header["Bearer ".Length..].Trim(), ct);
        return TypedResults.NoContent();
    }

    public static long UserId(this HttpContext http) =>
        long.Parse(http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)!.Value, System.Globalization.CultureInfo.InvariantCulture);
}
