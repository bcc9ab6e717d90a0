using Microsoft.AspNetCore.Http.HttpResults;

namespace Sillon.Accounts;

public sealed record UserRoles(bool Stream, bool Download, bool Playlist, bool Share, bool Settings);
public sealed record UserView(string Username, bool IsAdmin, bool Disabled, int MaxBitRate, string? Email, UserRoles Roles);
public sealed record UserRolesPatch(bool? Stream, bool? Download, bool? Playlist, bool? Share, bool? Settings);
public sealed record UserPatch(bool? IsAdmin, bool? Disabled, int? MaxBitRate, UserRolesPatch? Roles);

/// <summary>
/// Administrators manage accounts: the list with each account's state and roles, and changes to
/// them (disable, roles, admin, bitrate). Creating and deleting stay on Subsonic createUser and
/// deleteUser, which every client knows; Subsonic has no "disabled", hence this API.
/// </summary>
public static class UserAdminEndpoints
{
    public static void MapUserAdminEndpoints(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Accounts").RequireAuthorization("admin");
        users.MapGet("", async (Users u, CancellationToken ct) => TypedResults.Ok((await u.ListDetailsAsync(ct)).Select(View).ToList()))
            .WithSummary("Every account with its state (disabled), roles and maximum bitrate");
        users.MapPatch("/{name}", Patch)
            .WithSummary("Change an account: disabled, roles (stream, download, playlist, share, settings), isAdmin, maxBitRate (0 = no limit); null leaves a setting as it is");
    }

    public static UserView View(UserDetails u) => new(u.Name, u.IsAdmin, u.Disabled, u.MaxBitrate ?? 0, u.Email,
        new UserRoles(u.StreamRole, u.DownloadRole, u.PlaylistRole, u.ShareRole, u.SettingsRole));

    private static async Task<Results<Ok<UserView>, ProblemHttpResult>> Patch(
        string name, UserPatch? patch, HttpContext http, Users users, CancellationToken ct)
    {
        if (patch is null) return TypedResults.Problem("a JSON body is required", statusCode: 400);
        if (patch.MaxBitRate is < 0 or > 10_000) return TypedResults.Problem("maxBitRate: 0 (no limit) to 10000 kbps", statusCode: 400);
        var self = string.Equals(name, http.User.Identity!.Name, StringComparison.OrdinalIgnoreCase);
        // An administrator who locks themself out needs another administrator, or the command line, to get back.
        if (self && patch.Disabled == true) return TypedResults.Problem("you cannot disable your own account", statusCode: 403);
        if (self && patch.IsAdmin == false) return TypedResults.Problem("you cannot remove your own administrator role", statusCode: 403);
        var roles = patch.Roles;
        var result = await users.UpdateAsync(name, new UserChange
        {
            IsAdmin = patch.IsAdmin, Disabled = patch.Disabled, MaxBitrate = patch.MaxBitRate,
            StreamRole = roles?.Stream, DownloadRole = roles?.Download, PlaylistRole = roles?.Playlist, ShareRole = roles?.Share, SettingsRole = roles?.Settings,
        }, ct);
        return result switch
        {
            UserResult.Ok => TypedResults.Ok(View((await users.DetailsAsync(name, ct))!)),
            UserResult.LastAdmin => TypedResults.Problem($"{name} is the last enabled administrator: make another one first", statusCode: 409),
            _ => TypedResults.Problem($"no account named {name}", statusCode: 404),
        };
    }
}
