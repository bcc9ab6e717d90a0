using Microsoft.AspNetCore.Http.HttpResults;

namespace Sillon.Accounts;

public sealed record LoginRequest(string Username, string Password);
public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, string Username, bool IsAdmin);
public sealed record MeResponse(long Id, string Username, bool IsAdmin);
public sealed record ApiKeyRequest(string? Name);
public sealed record ApiKeyCreated(long Id, string Name, string Key, string CreatedAt);
public sealed record SetupStatus(bool Needed);
public sealed record PasswordChange(string? CurrentPassword, string? NewPassword);

public static class AccountEndpoints
{
    public static void MapAccountEndpoints(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Accounts");
        auth.MapPost("/login", Login).AllowAnonymous().WithSummary("Log in with a name and password; returns a bearer token")
            .RequireRateLimiting("login");
        auth.MapPost("/logout", Logout).WithSummary("Revoke the token of this request");
        // First run: while no account exists, whoever reaches the server first creates the administrator
        // from the browser. Once one account exists this answers 409 forever.
        var setup = api.MapGroup("/setup").WithTags("Accounts").AllowAnonymous();
        setup.MapGet("", async (Users users, CancellationToken ct) => TypedResults.Ok(new SetupStatus(await users.CountAsync(ct) == 0)))
            .WithSummary("Whether the server still needs its first administrator");
        setup.MapPost("", Setup).RequireRateLimiting("login")
            .WithSummary("Create the first administrator and log in as them; refused (409) once any account exists");
        api.MapPost("/me/password", ChangePassword).WithTags("Accounts").RequireRateLimiting("login").RequireAuthorization(RolePolicies.Settings)
            .WithSummary("Change one's own password; ends every other session and returns a new token");
        api.MapGet("/me", (HttpContext http) => TypedResults.Ok(new MeResponse(http.UserId(), http.User.Identity!.Name!, http.User.IsInRole("admin"))))
            .WithTags("Accounts").WithSummary("The logged-in user");
        var keys = api.MapGroup("/me/apikeys").WithTags("Accounts");
        keys.MapGet("", (HttpContext http, ApiKeys apiKeys, CancellationToken ct) => apiKeys.ListAsync(http.UserId(), ct))
            .WithSummary("The logged-in user's API keys (for Subsonic clients: apiKey=…), without the keys themselves");
        // Not behind the settings role: the web player makes its own key to reach /rest for favourites and playlists.
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
        // Said only to whoever knows the password, so it tells a stranger nothing about the account.
        if (user.Disabled) return TypedResults.Problem(BearerHandler.DisabledMessage, statusCode: 403, title: "Account disabled");
        return TypedResults.Ok(await LoginAsync(user, sessions, ct));
    }

    private static async Task<Results<Ok<LoginResponse>, Conflict<string>, ProblemHttpResult>> Setup(LoginRequest? request, Users users, Sessions sessions, CancellationToken ct)
    {
        if (request is null || string.IsNullOrEmpty(request.Username) || string.IsNullOrEmpty(request.Password))
            return TypedResults.Problem("username and password are required", statusCode: 400);
        var (result, user) = await users.AddFirstAdminAsync(request.Username, request.Password, ct);
        return result switch
        {
            UserResult.Ok => TypedResults.Ok(await LoginAsync(user!, sessions, ct)),
            UserResult.AlreadyExists => TypedResults.Conflict("the server already has an account; log in instead"),
            UserResult.InvalidName => TypedResults.Problem("that name is not allowed", statusCode: 400),
            _ => TypedResults.Problem($"the password needs at least {Users.MinPasswordLength} characters", statusCode: 400),
        };
    }

    private static async Task<Results<Ok<LoginResponse>, ProblemHttpResult>> ChangePassword(PasswordChange? request, HttpContext http, Users users, Sessions sessions, CancellationToken ct)
    {
        if (request is null || string.IsNullOrEmpty(request.CurrentPassword) || request.NewPassword is null)
            return TypedResults.Problem("currentPassword and newPassword are required", statusCode: 400);
        var name = http.User.Identity!.Name!;
        if (Users.Validate(name, request.NewPassword) != UserResult.Ok)
            return TypedResults.Problem($"the new password needs at least {Users.MinPasswordLength} characters", statusCode: 400);
        if (await users.VerifyAsync(name, request.CurrentPassword, ct) is not { } user)
            return TypedResults.Problem("the current password is wrong", statusCode: 403);
        // Changing the password ends every session, this one included: hand back a fresh one.
        await users.SetPasswordAsync(name, request.NewPassword, ct);
        return TypedResults.Ok(await LoginAsync(user, sessions, ct));
    }

    private static async Task<LoginResponse> LoginAsync(User user, Sessions sessions, CancellationToken ct)
    {
        var (token, expires) = await sessions.CreateAsync(user, ct);
        return new LoginResponse(token, expires, user.Name, user.IsAdmin);
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
