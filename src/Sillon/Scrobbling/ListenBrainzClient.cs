using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Sillon.Scrobbling;

/// <summary>
/// ListenBrainz's API (listenbrainz.readthedocs.io/en/latest/users/api/core.html): POST /1/submit-listens
/// with listen_type single or playing_now, GET /1/validate-token, both with "Authorization: Token …".
/// </summary>
public sealed class ListenBrainzClient(IHttpClientFactory clients, IOptions<ScrobbleOptions> options, TimeProvider time)
{
    public const string HttpClientName = "scrobbling";

    /// <summary>The account's name when the token is valid, null when the service says it is not; throws when the service cannot be reached.</summary>
    public async Task<string?> ValidateTokenAsync(string token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.Value.ListenBrainzUrl, "1/validate-token"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
        using var response = await clients.CreateClient(HttpClientName).SendAsync(request, ct);
        // ListenBrainz has answered an invalid token both as 200 {"valid": false} and as 401.
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest) return null;
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"ListenBrainz answered HTTP {(int)response.StatusCode}", null, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return body.TryGetProperty("valid", out var valid) && valid.ValueKind == JsonValueKind.True
            && body.TryGetProperty("user_name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;
    }

    public Task<SendOutcome> SubmitAsync(string token, Listen listen, CancellationToken ct) => SendAsync(token, "single", listen, ct);

    public Task<SendOutcome> NowPlayingAsync(string token, Listen listen, CancellationToken ct) => SendAsync(token, "playing_now", listen, ct);

    private async Task<SendOutcome> SendAsync(string token, string listenType, Listen listen, CancellationToken ct)
    {
        var info = new JsonObject { ["media_player"] = "Sillon", ["submission_client"] = "Sillon", ["submission_client_version"] = SillonApp.Version };
        if (listen.DurationMs is { } ms) info["duration_ms"] = ms;
        if (listen.TrackNumber is { } n) info["tracknumber"] = n;
        if (!string.IsNullOrEmpty(listen.MbzTrackId)) info["recording_mbid"] = listen.MbzTrackId;
        if (!string.IsNullOrEmpty(listen.MbzAlbumId)) info["release_mbid"] = listen.MbzAlbumId;
        var metadata = new JsonObject { ["artist_name"] = listen.Artist, ["track_name"] = listen.Title };
        if (!string.IsNullOrEmpty(listen.Album)) metadata["release_name"] = listen.Album;
        metadata["additional_info"] = info;
        var item = new JsonObject();
        // playing_now must not carry listened_at; a listen must.
        if (listenType != "playing_now") item["listened_at"] = listen.ListenedAt;
        item["track_metadata"] = metadata;
        var body = new JsonObject { ["listen_type"] = listenType, ["payload"] = new JsonArray(item) };

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Value.ListenBrainzUrl, "1/submit-listens"))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, ct);
            if (response.IsSuccessStatusCode) return SendOutcome.Sent;
            var text = await ScrobbleHttp.ReadErrorAsync(response, ct);
            return ScrobbleHttp.Classify(response, time, $"ListenBrainz HTTP {(int)response.StatusCode}: {text}");
        }
        catch (Exception e) when (ScrobbleHttp.IsTransient(e, ct))
        {
            return SendOutcome.Retry($"ListenBrainz unreachable: {e.Message}");
        }
    }
}

internal static class ScrobbleHttp
{
    /// <summary>Network failures and timeouts are worth retrying; a cancellation of our own is not an outcome.</summary>
    public static bool IsTransient(Exception e, CancellationToken ct) =>
        e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested) || e is IOException;

    /// <summary>5xx, 408 and 429 are worth retrying (429 after Retry-After or ListenBrainz's X-RateLimit-Reset-In); other 4xx never.</summary>
    public static SendOutcome Classify(HttpResponseMessage response, TimeProvider time, string error)
    {
        var code = (int)response.StatusCode;
        if (code == 429 || code == 408 || code >= 500) return SendOutcome.Retry(error, RetryAfter(response, time));
        return SendOutcome.GiveUp(error);
    }

    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        if (response.Headers.RetryAfter is { } ra)
        {
            if (ra.Delta is { } delta) return delta;
            if (ra.Date is { } date) return date - time.GetUtcNow();
        }
        if (response.Headers.TryGetValues("X-RateLimit-Reset-In", out var values)
            && long.TryParse(values.FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            return TimeSpan.FromSeconds(seconds);
        return null;
    }

    /// <summary>The service's error text, bounded: it ends up in the database and the settings page.</summary>
    public static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            var json = JsonDocument.Parse(text).RootElement;
            foreach (var name in (string[])["error", "message"])
                if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String) return Bound(e.GetString()!);
        }
        catch (JsonException) { }
        return Bound(text);
    }

    public static string Bound(string s) => s.Length <= 300 ? s : s[..300] + "…";
}
