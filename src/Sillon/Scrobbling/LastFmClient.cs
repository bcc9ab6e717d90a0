using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Sillon.Scrobbling;

/// <summary>
/// Last.fm's Scrobbling 2.0 API (last.fm/api/scrobbling): desktop authentication (auth.getToken, the
/// user authorises at last.fm/api/auth, auth.getSession), then track.updateNowPlaying and
/// track.scrobble signed with the session key. Every call is a form POST signed by api_sig.
/// </summary>
public sealed class LastFmClient(IHttpClientFactory clients, IOptions<ScrobbleOptions> options, TimeProvider time)
{
    // Last.fm error codes worth retrying: 8 operation failed (backend), 11 service offline,
    // 16 temporarily unavailable, 29 rate limit exceeded. Every other code is permanent.
    private static readonly HashSet<int> TransientErrors = [8, 11, 16, 29];
    public const int TokenNotAuthorised = 14;

    /// <summary>api_sig: md5 of every parameter but format and callback, sorted by name, as name+value, then the secret.</summary>
    public static string Sign(IEnumerable<KeyValuePair<string, string>> parameters, string secret)
    {
        var text = new StringBuilder();
        foreach (var (k, v) in parameters.Where(p => p.Key is not ("format" or "callback")).OrderBy(p => p.Key, StringComparer.Ordinal))
            text.Append(k).Append(v);
        text.Append(secret);
        return Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant();
    }

    public Uri AuthorizeUrl(string token)
    {
        var o = options.Value;
        return new Uri($"{o.LastFmAuthUrl}?api_key={Uri.EscapeDataString(o.LastFmApiKey!)}&token={Uri.EscapeDataString(token)}");
    }

    /// <summary>auth.getToken: a token the user then authorises in the browser.</summary>
    public async Task<LastFmAnswer> GetTokenAsync(CancellationToken ct) => await CallAsync("auth.getToken", [], ct);

    /// <summary>auth.getSession: the session key (session.key) and the account name (session.name), once the token is authorised.</summary>
    public async Task<LastFmAnswer> GetSessionAsync(string token, CancellationToken ct) => await CallAsync("auth.getSession", [new("token", token)], ct);

    public async Task<SendOutcome> ScrobbleAsync(string sessionKey, Listen listen, CancellationToken ct)
    {
        var p = TrackParameters(listen);
        p.Add(new("timestamp", listen.ListenedAt.ToString(CultureInfo.InvariantCulture)));
        p.Add(new("sk", sessionKey));
        var answer = await CallAsync("track.scrobble", p, ct);
        if (answer.Outcome.Status != SendStatus.Sent) return answer.Outcome;
        // A scrobble Last.fm "ignored" (too old, filtered artist…) will be ignored again: permanent, with its reason.
        var scrobbles = answer.Body.TryGetProperty("scrobbles", out var s) ? s : default;
        if (scrobbles.ValueKind == JsonValueKind.Object && scrobbles.TryGetProperty("@attr", out var attr)
            && attr.TryGetProperty("ignored", out var ignored) && Number(ignored) > 0)
        {
            var message = scrobbles.TryGetProperty("scrobble", out var one) && one.ValueKind == JsonValueKind.Object
                && one.TryGetProperty("ignoredMessage", out var m) && m.ValueKind == JsonValueKind.Object
                ? $"code {(m.TryGetProperty("code", out var code) ? code.ToString() : "?")} {(m.TryGetProperty("#text", out var t) ? t.GetString() : "")}".Trim()
                : "no reason given";
            return SendOutcome.GiveUp($"Last.fm ignored the scrobble: {message}");
        }
        return SendOutcome.Sent;
    }

    public async Task<SendOutcome> NowPlayingAsync(string sessionKey, Listen listen, CancellationToken ct)
    {
        var p = TrackParameters(listen);
        p.Add(new("sk", sessionKey));
        return (await CallAsync("track.updateNowPlaying", p, ct)).Outcome;
    }

    private static List<KeyValuePair<string, string>> TrackParameters(Listen listen)
    {
        var p = new List<KeyValuePair<string, string>> { new("artist", listen.Artist), new("track", listen.Title) };
        if (!string.IsNullOrEmpty(listen.Album)) p.Add(new("album", listen.Album));
        if (!string.IsNullOrEmpty(listen.AlbumArtist) && listen.AlbumArtist != listen.Artist) p.Add(new("albumArtist", listen.AlbumArtist));
        if (listen.TrackNumber is { } n) p.Add(new("trackNumber", n.ToString(CultureInfo.InvariantCulture)));
        if (listen.DurationMs is { } ms) p.Add(new("duration", (ms / 1000).ToString(CultureInfo.InvariantCulture)));
        if (!string.IsNullOrEmpty(listen.MbzTrackId)) p.Add(new("mbid", listen.MbzTrackId));
        return p;
    }

    private static long Number(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetInt64(),
        JsonValueKind.String when long.TryParse(e.GetString(), CultureInfo.InvariantCulture, out var n) => n,
        _ => 0,
    };

    private async Task<LastFmAnswer> CallAsync(string method, List<KeyValuePair<string, string>> parameters, CancellationToken ct)
    {
        var o = options.Value;
        if (!o.LastFmConfigured) return new LastFmAnswer(SendOutcome.GiveUp("Last.fm is not configured on this server (Scrobbling:LastFmApiKey and LastFmSecret)"), default, null);
        parameters.Add(new("method", method));
        parameters.Add(new("api_key", o.LastFmApiKey!));
        parameters.Add(new("api_sig", Sign(parameters, o.LastFmSecret!)));
        parameters.Add(new("format", "json"));
        try
        {
            using var response = await clients.CreateClient(ListenBrainzClient.HttpClientName)
                .PostAsync(o.LastFmUrl, new FormUrlEncodedContent(parameters), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonElement body;
            try { body = JsonDocument.Parse(text).RootElement.Clone(); }
            catch (JsonException)
            {
                return new LastFmAnswer(ScrobbleHttp.Classify(response, time, $"Last.fm HTTP {(int)response.StatusCode}: {ScrobbleHttp.Bound(text)}"), default, null);
            }
            if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var error))
            {
                var code = (int)Number(error);
                var message = $"Last.fm error {code}: {(body.TryGetProperty("message", out var m) ? ScrobbleHttp.Bound(m.GetString() ?? "") : "")}";
                var outcome = TransientErrors.Contains(code) || (int)response.StatusCode >= 500
                    ? SendOutcome.Retry(message, ScrobbleHttp.RetryAfter(response, time))
                    : SendOutcome.GiveUp(message);
                return new LastFmAnswer(outcome, body, code);
            }
            if (!response.IsSuccessStatusCode)
                return new LastFmAnswer(ScrobbleHttp.Classify(response, time, $"Last.fm HTTP {(int)response.StatusCode}"), body, null);
            return new LastFmAnswer(SendOutcome.Sent, body, null);
        }
        catch (Exception e) when (ScrobbleHttp.IsTransient(e, ct))
        {
            return new LastFmAnswer(SendOutcome.Retry($"Last.fm unreachable: {e.Message}"), default, null);
        }
    }
}

/// <summary>One Last.fm call: its outcome, the JSON body (when there was one) and Last.fm's error code.</summary>
public readonly record struct LastFmAnswer(SendOutcome Outcome, JsonElement Body, int? ErrorCode);
