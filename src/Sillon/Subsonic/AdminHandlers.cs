using System.Text;
using Sillon.Accounts;

namespace Sillon.Subsonic;

/// <summary>User management. Admins manage everyone; a user may read and change only their own account (and never their own admin role).</summary>
public static class AdminHandlers
{
    public static void Register(Dictionary<string, SubsonicHandler> h)
    {
        h["getUser"] = GetUser;
        h["getUsers"] = GetUsers;
        h["createUser"] = CreateUser;
        h["updateUser"] = UpdateUser;
        h["deleteUser"] = DeleteUser;
        h["changePassword"] = ChangePassword;
    }

    // Administrators hold every role Sillon enforces, as User.Can says; the stored flags are what
    // they fall back to if the admin role is taken away.
    private static UserInfo ToInfo(UserDetails u, IReadOnlyList<long> folders) => new()
    {
        Username = u.Name, Email = u.Email, ScrobblingEnabled = true, MaxBitRate = u.MaxBitrate ?? 0, AdminRole = u.IsAdmin,
        SettingsRole = u.IsAdmin || u.SettingsRole, DownloadRole = u.IsAdmin || u.DownloadRole, UploadRole = false,
        PlaylistRole = u.IsAdmin || u.PlaylistRole, CoverArtRole = u.IsAdmin, CommentRole = false, PodcastRole = u.IsAdmin,
        StreamRole = u.IsAdmin || u.StreamRole, JukeboxRole = false, ShareRole = u.IsAdmin || u.ShareRole, VideoConversionRole = false, Folder = folders,
    };

    /// <summary>The role parameters of createUser/updateUser that Sillon stores (playlistRole is ours: Subsonic has no parameter for it).</summary>
    private static UserChange Roles(SubsonicCall call) => new()
    {
        StreamRole = call.Params.Bool("streamRole"), DownloadRole = call.Params.Bool("downloadRole"), ShareRole = call.Params.Bool("shareRole"),
        SettingsRole = call.Params.Bool("settingsRole"), PlaylistRole = call.Params.Bool("playlistRole"),
    };

    private static async Task<IReadOnlyList<long>> FoldersAsync(SubsonicCall call)
    {
        await using var c = await call.Service<SubsonicQueries>().OpenAsync(call.Ct);
        return (await Dapper.SqlMapper.QueryAsync<long>(c, new Dapper.CommandDefinition("SELECT id FROM library_roots ORDER BY id", cancellationToken: call.Ct))).ToList();
    }

    private static async Task<SubsonicResult> GetUser(SubsonicCall call)
    {
        var name = call.Params.Required("username");
        if (!Self(call, name)) call.RequireAdmin("another user's account");
        var user = await call.Service<Users>().DetailsAsync(name, call.Ct) ?? throw SubsonicErrors.NotFoundError($"User {name}");
        return SubsonicResult.Of("user", ToInfo(user, await FoldersAsync(call)));
    }

    private static async Task<SubsonicResult> GetUsers(SubsonicCall call)
    {
        call.RequireAdmin("getUsers");
        var folders = await FoldersAsync(call);
        var users = await call.Service<Users>().ListDetailsAsync(call.Ct);
        return SubsonicResult.Of("users", new UsersList(users.Select(u => ToInfo(u, folders)).ToList()));
    }

    private static async Task<SubsonicResult> CreateUser(SubsonicCall call)
    {
        call.RequireAdmin("createUser");
        var name = call.Params.Required("username");
        var password = Password(call.Params.Required("password"));
        var email = call.Params.Get("email");
        var admin = call.Params.Bool("adminRole") ?? false;
        var maxBitRate = MaxBitRate(call);
        var users = call.Service<Users>();
        var (result, _) = await users.AddAsync(name, password, admin, call.Ct);
        if (result != UserResult.Ok) throw SubsonicErrors.From(result, name);
        await users.UpdateAsync(name, Roles(call) with { Email = email, MaxBitrate = maxBitRate }, call.Ct);
        return SubsonicResult.Empty;
    }

    private static async Task<SubsonicResult> UpdateUser(SubsonicCall call)
    {
        call.RequireAdmin("updateUser");
        var name = call.Params.Required("username");
        var users = call.Service<Users>();
        var admin = call.Params.Bool("adminRole");
        if (admin == false && Self(call, name)) throw SubsonicErrors.Forbidden("an administrator cannot remove their own admin role");
        var result = await users.UpdateAsync(name, Roles(call) with { IsAdmin = admin, Email = call.Params.Get("email"), MaxBitrate = MaxBitRate(call) }, call.Ct);
        if (result != UserResult.Ok) throw SubsonicErrors.From(result, name);
        if (call.Params.Get("password") is { } password)
        {
            result = await users.SetPasswordAsync(name, Password(password), call.Ct);
            if (result != UserResult.Ok) throw SubsonicErrors.From(result, name);
            call.Service<SubsonicAuth>().Forget();
        }
        return SubsonicResult.Empty;
    }

    private static async Task<SubsonicResult> DeleteUser(SubsonicCall call)
    {
        call.RequireAdmin("deleteUser");
        var name = call.Params.Required("username");
        if (Self(call, name)) throw SubsonicErrors.Forbidden("an administrator cannot delete their own account");
        var result = await call.Service<Users>().RemoveAsync(name, call.Ct);
        if (result != UserResult.Ok) throw SubsonicErrors.From(result, name);
        call.Service<SubsonicAuth>().Forget();
        return SubsonicResult.Empty;
    }

    private static async Task<SubsonicResult> ChangePassword(SubsonicCall call)
    {
        var name = call.Params.Required("username");
        var password = Password(call.Params.Required("password"));
        if (!Self(call, name)) call.RequireAdmin("another user's password");
        else call.RequireRole(Role.Settings, "changePassword");
        var result = await call.Service<Users>().SetPasswordAsync(name, password, call.Ct);
        if (result != UserResult.Ok) throw SubsonicErrors.From(result, name);
        call.Service<SubsonicAuth>().Forget();
        return SubsonicResult.Empty;
    }

    private static bool Self(SubsonicCall call, string name) => string.Equals(name, call.User.Name, StringComparison.OrdinalIgnoreCase);

    private static int? MaxBitRate(SubsonicCall call) =>
        call.Params.Int("maxBitRate") is { } b ? (b is >= 0 and <= 10_000 ? b : throw SubsonicErrors.Invalid("maxBitRate", "0 (no limit) to 10000 kbps")) : null;

    /// <summary>Passwords may come hex-encoded ("enc:…"), as with the p parameter.</summary>
    private static string Password(string value)
    {
        if (!value.StartsWith("enc:", StringComparison.Ordinal)) return value;
        try { return Encoding.UTF8.GetString(Convert.FromHexString(value.AsSpan(4))); }
        catch (FormatException) { throw SubsonicErrors.Invalid("password", "enc: must be followed by hex"); }
    }
}
