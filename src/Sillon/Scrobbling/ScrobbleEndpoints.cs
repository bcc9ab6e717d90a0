using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Sillon.Accounts;

namespace Sillon.Scrobbling;

public sealed record ListenBrainzLink(string? Token);
public sealed record ServiceStatus(bool Available, bool Linked, string? User, bool Pending);
public sealed record ScrobblingStatus(ServiceStatus ListenBrainz, ServiceStatus LastFm, long Queued, long Sent, IReadOnlyList<FailedListen> Failed);
public sealed record LastFmStart(string AuthorizeUrl);

/// <summary>/api/v1/me/scrobbling: link and unlink ListenBrainz and Last.fm, and see what was sent and what failed.</summary>
public static class ScrobbleEndpoints
{
    public static IServiceCollection AddScrobbling(this IServiceCollection services)
    {
        services.AddOptions<ScrobbleOptions>().BindConfiguration("Scrobbling")
            .Validate(o => o.IsValid(), "Scrobbling: intervals must be positive, RetryMax >= RetryBase, Lease > RequestTimeout, BatchSize > 0").ValidateOnStart();
        services.AddHttpClient(ListenBrainzClient.HttpClientName, (sp, http) =>
        {
            http.Timeout = sp.GetRequiredService<IOptions<ScrobbleOptions>>().Value.RequestTimeout;
            http.DefaultRequestHeaders.UserAgent.ParseAdd($"Sillon/{SillonApp.Version}");
        });
        services.AddSingleton<ScrobbleOutbox>();
        services.AddSingleton<ScrobbleAccounts>();
        services.AddSingleton<ListenBrainzClient>();
        services.AddSingleton<LastFmClient>();
        services.AddSingleton<Scrobbler>();
        services.AddHostedService<ScrobbleSender>();
        return services;
    }

    public static void MapScrobbleEndpoints(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/me/scrobbling").WithTags("Scrobbling");
        g.MapGet("", StatusAsync).WithSummary("Linked services, listens waiting to be sent, and the last ones given up with their reason");
        g.MapPut("/listenbrainz", LinkListenBrainzAsync).WithSummary("Link ListenBrainz with a user token (checked with the service first)");
        g.MapDelete("/listenbrainz", (HttpContext http, ScrobbleAccounts a, CancellationToken ct) => UnlinkAsync(http, a, ScrobbleServices.ListenBrainz, ct))
            .WithSummary("Unlink ListenBrainz; listens still waiting for it are marked failed");
        g.MapPost("/lastfm/start", StartLastFmAsync).WithSummary("Start Last.fm's desktop authentication: returns the page where the listener authorises Sillon");
        g.MapPost("/lastfm/finish", FinishLastFmAsync).WithSummary("Finish Last.fm's authentication once the listener has authorised Sillon");
        g.MapDelete("/lastfm", (HttpContext http, ScrobbleAccounts a, CancellationToken ct) => UnlinkAsync(http, a, ScrobbleServices.LastFm, ct))
            .WithSummary("Unlink Last.fm; listens still waiting for it are marked failed");
    }

    private static async Task<Ok<ScrobblingStatus>> StatusAsync(HttpContext http, ScrobbleAccounts accounts, ScrobbleOutbox outbox, IOptions<ScrobbleOptions> options, CancellationToken ct)
    {
        var userId = http.UserId();
        var linked = await accounts.GetAsync(userId, ct);
        var (queued, sent, failed) = await outbox.StatusAsync(userId, ct);
        ServiceStatus Of(string service, bool available)
        {
            var a = linked.GetValueOrDefault(service);
            return new ServiceStatus(available, a?.Credential is not null, a?.RemoteUser, a?.PendingToken is not null);
        }
        return TypedResults.Ok(new ScrobblingStatus(Of(ScrobbleServices.ListenBrainz, true), Of(ScrobbleServices.LastFm, options.Value.LastFmConfigured), queued, sent, failed));
    }

    private static async Task<Results<Ok<ServiceStatus>, ProblemHttpResult>> LinkListenBrainzAsync(ListenBrainzLink? body, HttpContext http,
        ListenBrainzClient client, ScrobbleAccounts accounts, CancellationToken ct)
    {
        var token = body?.Token?.Trim();
        if (string.IsNullOrEmpty(token) || token.Length > 200 || token.Any(char.IsControl))
            return TypedResults.Problem("token: the user token from listenbrainz.org/settings is required", statusCode: 400);
        string? user;
        try { user = await client.ValidateTokenAsync(token, ct); }
        catch (Exception e) when (ScrobbleHttp.IsTransient(e, ct))
        {
            return TypedResults.Problem($"ListenBrainz could not be reached to check the token: {e.Message}", statusCode: 502);
        }
        if (user is null) return TypedResults.Problem("ListenBrainz says this token is not valid", statusCode: 400);
        await accounts.LinkAsync(http.UserId(), ScrobbleServices.ListenBrainz, token, user, ct);
        return TypedResults.Ok(new ServiceStatus(true, true, user, false));
    }

    private static async Task<Results<Ok<LastFmStart>, ProblemHttpResult>> StartLastFmAsync(HttpContext http, LastFmClient client, ScrobbleAccounts accounts,
        IOptions<ScrobbleOptions> options, CancellationToken ct)
    {
        if (!options.Value.LastFmConfigured) return TypedResults.Problem("Last.fm is not configured on this server", statusCode: 409);
        var answer = await client.GetTokenAsync(ct);
        if (answer.Outcome.Status != SendStatus.Sent || !answer.Body.TryGetProperty("token", out var t) || t.GetString() is not { Length: > 0 } token)
            return TypedResults.Problem(answer.Outcome.Error ?? "Last.fm gave no token", statusCode: 502);
        await accounts.SetPendingAsync(http.UserId(), ScrobbleServices.LastFm, token, ct);
        return TypedResults.Ok(new LastFmStart(client.AuthorizeUrl(token).ToString()));
    }

    private static async Task<Results<Ok<ServiceStatus>, ProblemHttpResult>> FinishLastFmAsync(HttpContext http, LastFmClient client, ScrobbleAccounts accounts,
        IOptions<ScrobbleOptions> options, CancellationToken ct)
    {
        if (!options.Value.LastFmConfigured) return TypedResults.Problem("Last.fm is not configured on this server", statusCode: 409);
        var userId = http.UserId();
        if ((await accounts.GetAsync(userId, ScrobbleServices.LastFm, ct))?.PendingToken is not { } token)
            return TypedResults.Problem("start the Last.fm link first", statusCode: 400);
        var answer = await client.GetSessionAsync(token, ct);
        if (answer.ErrorCode == LastFmClient.TokenNotAuthorised)
            return TypedResults.Problem("Last.fm has not been authorised yet: allow Sillon on the Last.fm page, then finish again", statusCode: 409);
        if (answer.Outcome.Status != SendStatus.Sent
            || !answer.Body.TryGetProperty("session", out var session) || session.ValueKind != System.Text.Json.JsonValueKind.Object
            || !session.TryGetProperty("key", out var key) || key.GetString() is not { Length: > 0 } sessionKey)
            return TypedResults.Problem(answer.Outcome.Error ?? "Last.fm gave no session", statusCode: answer.Outcome.Status == SendStatus.Retry ? 502 : 400);
        var name = session.TryGetProperty("name", out var n) ? n.GetString() : null;
        await accounts.LinkAsync(userId, ScrobbleServices.LastFm, sessionKey, name, ct);
        return TypedResults.Ok(new ServiceStatus(true, true, name, false));
    }

    private static async Task<NoContent> UnlinkAsync(HttpContext http, ScrobbleAccounts accounts, string service, CancellationToken ct)
    {
        await accounts.UnlinkAsync(http.UserId(), service, ct);
        return TypedResults.NoContent();
    }
}
