using Sillon.Accounts;

namespace Sillon.Subsonic;

/// <summary>An expected failure inside a handler: becomes a Subsonic error response, never a 500.</summary>
public sealed class SubsonicException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}

/// <summary>
/// The one map from failures to Subsonic error codes (opensubsonic.netlify.app/docs/responses/error).
/// Handlers throw through these helpers or return their results; nothing else picks a code.
/// </summary>
public static class SubsonicErrors
{
    public const int Generic = 0, MissingParameter = 10, ClientMustUpgrade = 20, ServerMustUpgrade = 30, WrongCredentials = 40,
        TokenNotSupported = 41, AuthMechanismNotSupported = 42, ConflictingAuth = 43, InvalidApiKey = 44, NotAuthorized = 50,
        TrialExpired = 60, NotFound = 70;

    public static SubsonicException Missing(string name) => new(MissingParameter, $"Required parameter is missing: {name}");
    public static SubsonicException Invalid(string name, string? why = null) => new(MissingParameter, $"Parameter {name} is invalid{(why is null ? "" : ": " + why)}");
    public static SubsonicException NotFoundError(string what) => new(NotFound, $"{what} not found");
    public static SubsonicException Forbidden(string what) => new(NotAuthorized, $"User is not authorized for the given operation: {what}");
    public static SubsonicException NotImplemented(string endpoint) =>
        new(Generic, $"{endpoint} is not implemented in Sillon yet (jukebox, chat and video are not supported)");

    public static SubsonicError From(Exception e) => e switch
    {
        SubsonicException s => new SubsonicError(s.Code, s.Message),
        _ => new SubsonicError(Generic, "Internal error; the server log has the details"),
    };

    public static SubsonicException From(UserResult result, string name) => result switch
    {
        UserResult.NotFound => NotFoundError($"User {name}"),
        UserResult.AlreadyExists => new SubsonicException(Generic, $"User {name} already exists"),
        UserResult.InvalidName => Invalid("username"),
        UserResult.InvalidPassword => Invalid("password", $"at least {Users.MinPasswordLength} characters"),
        UserResult.LastAdmin => Forbidden($"{name} is the last enabled administrator"),
        _ => new SubsonicException(Generic, result.ToString()),
    };

    public static SubsonicError Auth(AuthFailure failure) => failure switch
    {
        AuthFailure.Missing => new(MissingParameter, "Required parameter is missing: u and p, u and t and s, or apiKey"),
        AuthFailure.WrongCredentials => new(WrongCredentials, "Wrong username or password"),
        AuthFailure.TokenNotSupported => new(TokenNotSupported, "Token authentication is not supported for this user: set the password again to enable it"),
        AuthFailure.Conflicting => new(ConflictingAuth, "Multiple conflicting authentication mechanisms provided"),
        AuthFailure.InvalidApiKey => new(InvalidApiKey, "Invalid API key"),
        AuthFailure.Throttled => new(WrongCredentials, "Too many failed logins; wait a minute and try again"),
        AuthFailure.Disabled => new(NotAuthorized, "This account is disabled; ask an administrator to enable it"),
        _ => new(Generic, failure.ToString()),
    };
}
