using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sillon.Tests.Scrobbling;

/// <summary>
/// ListenBrainz and Last.fm as their documentation describes them, on a loopback port: checks the
/// Authorization header, the JSON shape of submit-listens, Last.fm's api_sig (computed here independently),
/// the session key and the parameters; can fail the next N calls with a status (and Retry-After).
/// Anything a client gets wrong is answered as the service would (400/401/error 13) and kept in <see cref="Violations"/>.
/// </summary>
public sealed class FakeScrobbleServices : IAsyncDisposable
{
    public const string LastFmKey = "fake-api-key", LastFmSecret = "fake-secret", LastFmSession = "fake-session-key";
    private readonly WebApplication _app;
    private int _failNext, _failStatus = 503;
    private string? _failRetryAfter;
    private int _tokens;

    public string ListenBrainzToken { get; set; } = "lb-good-token";
    public bool LastFmAuthorised { get; set; }
    public Uri ListenBrainzUrl { get; private set; } = null!;
    public Uri LastFmUrl { get; private set; } = null!;
    public ConcurrentQueue<JsonElement> Listens { get; } = new();
    public ConcurrentQueue<JsonElement> NowPlaying { get; } = new();
    public ConcurrentQueue<Dictionary<string, string>> LastFmCalls { get; } = new();
    public ConcurrentQueue<string> Violations { get; } = new();
    public int Requests => Volatile.Read(ref _requests);
    private int _requests;

    private FakeScrobbleServices(WebApplication app) => _app = app;

    public static async Task<FakeScrobbleServices> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeScrobbleServices(app);
        app.MapGet("/lb/1/validate-token", fake.ValidateToken);
        app.MapPost("/lb/1/submit-listens", fake.SubmitListensAsync);
        app.MapPost("/lfm/2.0/", fake.LastFmAsync);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        fake.ListenBrainzUrl = new Uri(address, "/lb/");
        fake.LastFmUrl = new Uri(address, "/lfm/2.0/");
        return fake;
    }

    /// <summary>The next <paramref name="count"/> submissions (either service) fail with this status.</summary>
    public void FailNext(int count, int status = 503, string? retryAfter = null)
    {
        _failStatus = status;
        _failRetryAfter = retryAfter;
        Volatile.Write(ref _failNext, count);
    }

    public Dictionary<string, string?> Settings(bool lastFm = false)
    {
        var s = new Dictionary<string, string?>
        {
            ["Scrobbling:ListenBrainzUrl"] = ListenBrainzUrl.ToString(),
            ["Scrobbling:LastFmUrl"] = LastFmUrl.ToString(),
            ["Scrobbling:LastFmAuthUrl"] = new Uri(ListenBrainzUrl, "/lfm-auth/").ToString(),
            ["Scrobbling:RetryBase"] = "00:00:00.200",
            ["Scrobbling:RetryMax"] = "00:00:01",
            ["Scrobbling:PollInterval"] = "00:00:00.500",
            ["Scrobbling:RequestTimeout"] = "00:00:05",
        };
        if (lastFm) { s["Scrobbling:LastFmApiKey"] = LastFmKey; s["Scrobbling:LastFmSecret"] = LastFmSecret; }
        return s;
    }

    private bool Failing(HttpContext http)
    {
        Interlocked.Increment(ref _requests);
        if (Interlocked.Decrement(ref _failNext) < 0) { Interlocked.Increment(ref _failNext); return false; }
        http.Response.StatusCode = _failStatus;
        if (_failRetryAfter is not null) http.Response.Headers.RetryAfter = _failRetryAfter;
        return true;
    }

    private string? Token(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Token ", StringComparison.Ordinal) ? header["Token ".Length..] : null;
    }

    private IResult ValidateToken(HttpContext http) => Token(http) == ListenBrainzToken
        ? Results.Json(new { code = 200, message = "Token valid.", valid = true, user_name = "lb-user" })
        : Results.Json(new { code = 200, message = "Token invalid.", valid = false });

    private async Task SubmitListensAsync(HttpContext http)
    {
        if (Failing(http)) { await http.Response.WriteAsync("{\"code\":503,\"error\":\"down\"}"); return; }
        if (Token(http) != ListenBrainzToken) { await ErrorAsync(http, 401, "Invalid authorization token."); return; }
        JsonElement body;
        try { body = (await JsonDocument.ParseAsync(http.Request.Body)).RootElement.Clone(); }
        catch (JsonException) { await ErrorAsync(http, 400, "Cannot parse JSON document.", violation: true); return; }
        if (Check(body) is { } problem) { await ErrorAsync(http, 400, problem, violation: true); return; }
        var type = body.GetProperty("listen_type").GetString();
        foreach (var listen in body.GetProperty("payload").EnumerateArray())
            (type == "playing_now" ? NowPlaying : Listens).Enqueue(listen);
        await http.Response.WriteAsJsonAsync(new { status = "ok" });
    }

    // The documented rules of submit-listens (listenbrainz.readthedocs.io, "JSON documentation").
    private static string? Check(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("listen_type", out var type) || type.GetString() is not ("single" or "playing_now" or "import"))
            return "listen_type must be single, playing_now or import";
        if (!body.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Array || payload.GetArrayLength() == 0)
            return "payload must be a non-empty list";
        if (type.GetString() != "import" && payload.GetArrayLength() != 1) return "single and playing_now carry exactly one listen";
        foreach (var listen in payload.EnumerateArray())
        {
            var hasTime = listen.TryGetProperty("listened_at", out var at);
            if (type.GetString() == "playing_now" && hasTime) return "playing_now must not have listened_at";
            if (type.GetString() != "playing_now" && (!hasTime || at.ValueKind != JsonValueKind.Number || at.GetInt64() < 1_033_430_400)) return "listened_at must be a Unix timestamp";
            if (!listen.TryGetProperty("track_metadata", out var m)) return "track_metadata is required";
            foreach (var name in (string[])["artist_name", "track_name"])
                if (!m.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString())) return $"{name} is required";
        }
        return null;
    }

    private async Task ErrorAsync(HttpContext http, int status, string error, bool violation = false)
    {
        if (violation) Violations.Enqueue(error);
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(new { code = status, error });
    }

    public static string Md5Signature(IEnumerable<KeyValuePair<string, string>> parameters, string secret)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal)) sb.Append(k).Append(v);
        return Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(sb.Append(secret).ToString())));
    }

    private async Task LastFmAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync();
        var p = form.ToDictionary(kv => kv.Key, kv => kv.Value.ToString());
        var method = p.GetValueOrDefault("method");
        if (method is "track.scrobble" or "track.updateNowPlaying" && Failing(http)) { await http.Response.WriteAsync("<html>Service Unavailable</html>"); return; }
        if (p.GetValueOrDefault("api_key") != LastFmKey) { await LastFmErrorAsync(http, 10, "Invalid API key - You must be granted a valid key by last.fm", violation: true); return; }
        var signed = p.Where(kv => kv.Key is not ("format" or "callback" or "api_sig"));
        if (p.GetValueOrDefault("api_sig") != Md5Signature(signed, LastFmSecret)) { await LastFmErrorAsync(http, 13, "Invalid method signature supplied", violation: true); return; }
        if (p.GetValueOrDefault("format") != "json") Violations.Enqueue("format=json expected");
        LastFmCalls.Enqueue(p);
        switch (method)
        {
            case "auth.getToken":
                await http.Response.WriteAsJsonAsync(new { token = $"fake-token-{Interlocked.Increment(ref _tokens)}" });
                return;
            case "auth.getSession":
                if (p.GetValueOrDefault("token") is not { } t || !t.StartsWith("fake-token-", StringComparison.Ordinal)) { await LastFmErrorAsync(http, 4, "Invalid authentication token supplied"); return; }
                if (!LastFmAuthorised) { await LastFmErrorAsync(http, 14, "Unauthorized Token - This token has not been authorized"); return; }
                await http.Response.WriteAsJsonAsync(new { session = new { name = "lfm-user", key = LastFmSession, subscriber = 0 } });
                return;
            case "track.updateNowPlaying" or "track.scrobble":
                if (p.GetValueOrDefault("sk") != LastFmSession) { await LastFmErrorAsync(http, 9, "Invalid session key - Please re-authenticate"); return; }
                if (string.IsNullOrEmpty(p.GetValueOrDefault("artist")) || string.IsNullOrEmpty(p.GetValueOrDefault("track"))) { await LastFmErrorAsync(http, 6, "Invalid parameters", violation: true); return; }
                if (method == "track.scrobble" && !long.TryParse(p.GetValueOrDefault("timestamp"), out _)) { await LastFmErrorAsync(http, 6, "Invalid parameters - timestamp", violation: true); return; }
                if (method == "track.updateNowPlaying")
                    await http.Response.WriteAsJsonAsync(new { nowplaying = new { track = new { corrected = "0" } } });
                else
                    await http.Response.WriteAsync("{\"scrobbles\":{\"@attr\":{\"accepted\":1,\"ignored\":0},\"scrobble\":{\"track\":{\"corrected\":\"0\",\"#text\":" + JsonSerializer.Serialize(p["track"]) + "},\"timestamp\":\"" + p["timestamp"] + "\",\"ignoredMessage\":{\"code\":\"0\",\"#text\":\"\"}}}}");
                return;
            default:
                await LastFmErrorAsync(http, 3, "Invalid Method - No method with that name in this package", violation: true);
                return;
        }
    }

    private async Task LastFmErrorAsync(HttpContext http, int code, string message, bool violation = false)
    {
        if (violation) Violations.Enqueue($"Last.fm {code}: {message}");
        http.Response.StatusCode = code is 9 or 10 or 13 or 14 ? 403 : 400;
        await http.Response.WriteAsJsonAsync(new { error = code, message });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
