using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Extensions.Primitives;
using Sillon.Accounts;
using Sillon.Data;

namespace Sillon.Subsonic;

/// <summary>Query string and (formPost) form fields of one request, merged; repeated names keep every value.</summary>
public sealed class SubsonicParams(Dictionary<string, StringValues> values)
{
    public const int MaxFormValues = 20_000;

    public static async Task<SubsonicParams> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var values = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        foreach (var (k, v) in request.Query) values[k] = v;
        if (HttpMethods.IsPost(request.Method) && request.HasFormContentType)
        {
            // formPost exists for long lists (a play queue of thousands of ids): allow more fields than
            // ASP.NET Core's default 1,024. Handlers cap the lists they accept.
            request.HttpContext.Features.Set<Microsoft.AspNetCore.Http.Features.IFormFeature>(
                new Microsoft.AspNetCore.Http.Features.FormFeature(request, new Microsoft.AspNetCore.Http.Features.FormOptions { ValueCountLimit = MaxFormValues }));
            var form = await request.ReadFormAsync(ct);
            foreach (var (k, v) in form) values[k] = values.TryGetValue(k, out var q) ? StringValues.Concat(q, v) : v;
        }
        return new SubsonicParams(values);
    }

    public string? Get(string name) => values.TryGetValue(name, out var v) && v.Count > 0 && !string.IsNullOrEmpty(v[0]) ? Text(name, v[0]!) : null;
    public IReadOnlyList<string> All(string name) => values.TryGetValue(name, out var v) ? v.Where(s => !string.IsNullOrEmpty(s)).Select(s => Text(name, s!)).ToList() : [];

    // PostgreSQL cannot even compare text holding a NUL (SQLite can): a NUL becomes U+FFFD, which no
    // stored name holds either, so a lookup finds nothing, on both databases alike.
    private static string Text(string name, string value) => value.Contains('\0') ? value.Replace('\0', '\uFFFD') : value;
    /// <summary>
    /// Every parameter but those in <paramref name="except"/>, sorted by name, as one string: the same
    /// request written in another order gives the same text.
    /// </summary>
    public string Canonical(IReadOnlySet<string> except)
    {
        var b = new StringBuilder();
        foreach (var (k, v) in values.Where(kv => !except.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            // Separators no URL-decoded value can confuse: control characters between fields.
            b.Append(k).Append('');
            foreach (var s in v) b.Append(s).Append('');
            b.Append('');
        }
        return b.ToString();
    }

    public string Required(string name) => Get(name) ?? throw SubsonicErrors.Missing(name);

    public int? Int(string name)
    {
        var s = Get(name);
        if (s is null) return null;
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw SubsonicErrors.Invalid(name, "not an integer");
    }

    public long? Long(string name)
    {
        var s = Get(name);
        if (s is null) return null;
        return long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : throw SubsonicErrors.Invalid(name, "not an integer");
    }

    public bool? Bool(string name) => Get(name) switch
    {
        null => null,
        "true" or "1" or "True" => true,
        "false" or "0" or "False" => false,
        _ => throw SubsonicErrors.Invalid(name, "not a boolean"),
    };

    /// <summary>A count clamped into [0, max], never trusted.</summary>
    public int Count(string name, int fallback, int max) => Math.Clamp(Int(name) ?? fallback, 0, max);

    /// <summary>An offset clamped to be non-negative and bounded.</summary>
    public int Offset(string name) => Math.Clamp(Int(name) ?? 0, 0, 10_000_000);
}

/// <summary>What a handler sees: the request, its parameters, and the authenticated user.</summary>
public sealed record SubsonicCall(HttpContext Http, SubsonicParams Params, User User, string? Client)
{
    public CancellationToken Ct => Http.RequestAborted;

    /// <summary>
    /// Set by a handler whose answer is right for now but not to be kept for the catalog's current
    /// version: a deep page found from anchors read before the last change (<see cref="KeysetPage"/>).
    /// </summary>
    public bool DoNotCache { get; set; }

    public T Service<T>() where T : notnull => Http.RequestServices.GetRequiredService<T>();
    public void RequireAdmin(string what) { if (!User.IsAdmin) throw SubsonicErrors.Forbidden(what); }
    /// <summary>Error 50 unless the user holds the role (administrators hold them all).</summary>
    public void RequireRole(Role role, string what) { if (!User.Can(role)) throw SubsonicErrors.Forbidden($"{what} needs the {role.ToString().ToLowerInvariant()} role"); }

    /// <summary>
    /// The musicFolderId filter, null for none. An id that names no music folder is "not found" (70):
    /// as a filter it matches nothing, and finding that out walks the whole catalog (every album or
    /// artist checked for a track in that folder: minutes at 13 million tracks). The id of the only
    /// music folder filters nothing, at that same cost, so it is none; clients send it on every call
    /// once a folder is chosen.
    /// </summary>
    public async Task<long?> MusicFolderAsync()
    {
        if (Params.Long("musicFolderId") is not { } folder) return null;
        await using var c = await Service<Database>().OpenAsync(Ct);
        var (named, all) = await c.QuerySingleAsync<(long, long)>(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM library_roots WHERE id = @folder), (SELECT COUNT(*) FROM library_roots)", new { folder }, cancellationToken: Ct));
        if (named == 0) throw SubsonicErrors.NotFoundError("Music folder");
        return all == 1 ? null : folder;
    }
}

/// <summary>A handler's outcome: a payload to serialize, an empty ok, or a response it already wrote (stream, cover art).</summary>
public readonly record struct SubsonicResult(string? Name, object? Payload, bool Written)
{
    public static readonly SubsonicResult Empty = new(null, null, false);
    public static readonly SubsonicResult Done = new(null, null, true);
    public static SubsonicResult Of(string name, object payload) => new(name, payload, false);
}

public delegate Task<SubsonicResult> SubsonicHandler(SubsonicCall call);

/// <summary>
/// The OpenSubsonic adapter's front door: every endpoint at /rest/NAME and /rest/NAME.view, by GET,
/// HEAD and POST form; authentication; the f=xml|json|jsonp writer; and the one place where
/// failures become Subsonic errors (HTTP 200, as clients expect, never a 500).
/// </summary>
public static partial class SubsonicEndpoints
{
    private static readonly Dictionary<string, SubsonicHandler> Handlers = BuildHandlers();
    private static readonly HashSet<string> Anonymous = ["getOpenSubsonicExtensions"];

    /// <summary>Every endpoint name answered (implemented or "not implemented"), for tests that call them all.</summary>
    internal static IReadOnlyCollection<string> EndpointNames => Handlers.Keys;

    private static Dictionary<string, SubsonicHandler> BuildHandlers()
    {
        var h = new Dictionary<string, SubsonicHandler>(StringComparer.OrdinalIgnoreCase);
        SystemHandlers.Register(h);
        BrowsingHandlers.Register(h);
        ListHandlers.Register(h);
        MediaHandlers.Register(h);
        UserDataHandlers.Register(h);
        ShareHandlers.Register(h);
        RadioHandlers.Register(h);
        AdminHandlers.Register(h);
        PodcastHandlers.Register(h);
        foreach (var name in (string[])["jukeboxControl", "getChatMessages", "addChatMessage",
            "getVideos", "getVideoInfo", "getCaptions", "hls.m3u8", "search", "getTranscodeDecision", "getTranscodeStream", "getSonicSimilarTracks",
            "findSonicPath", "reportPlayback", "createShares"])
            h[name] = _ => throw SubsonicErrors.NotImplemented(name);
        return h;
    }

    public static IServiceCollection AddSubsonic(this IServiceCollection services)
    {
        services.AddSingleton<SubsonicAuth>();
        services.AddSingleton<NowPlayingBoard>();
        services.AddSingleton<ResponseCache>();
        return services;
    }

    public static void MapSubsonicEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/rest/{name}", [HttpMethods.Get, HttpMethods.Post, HttpMethods.Head], DispatchAsync)
            .AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
        ShareLinks.Map(app);
    }

    private static async Task DispatchAsync(string name, HttpContext http, SubsonicAuth auth, ResponseCache cache, ILoggerFactory logs)
    {
        var ct = http.RequestAborted;
        if (name.EndsWith(".view", StringComparison.OrdinalIgnoreCase)) name = name[..^5];
        SubsonicParams p;
        try { p = await SubsonicParams.ReadAsync(http.Request, ct); }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            await WriteAsync(http, new SubsonicParams([]), new SubsonicResponse(new SubsonicError(SubsonicErrors.Generic, "Unreadable request body"), null, null));
            return;
        }
        var format = p.Get("f") ?? "xml";
        if (format is not ("xml" or "json" or "jsonp")) format = "xml";

        if (!Handlers.TryGetValue(name, out var handler))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            await WriteAsync(http, p, new SubsonicResponse(new SubsonicError(SubsonicErrors.NotFound, $"Unknown endpoint: {name}"), null, null));
            return;
        }

        SubsonicResponse response;
        string? cacheKey = null;
        (long, long) version = default;
        try
        {
            User user;
            if (Anonymous.Contains(name)) user = new User { Name = "", Id = 0 };
            else
            {
                if (VersionError(p.Get("v")) is { } versionError) { await WriteAsync(http, p, new SubsonicResponse(versionError, null, null)); return; }
                var address = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                var (found, failure, retryAfter) = await auth.AuthenticateAsync(p, address, ct);
                if (found is null)
                {
                    if (failure == AuthFailure.Throttled)
                    {
                        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                        http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                    }
                    else if (failure != AuthFailure.Missing) LogAuthFailed(logs.CreateLogger("Sillon.Subsonic"), name, failure.ToString(), address);
                    await WriteAsync(http, p, new SubsonicResponse(SubsonicErrors.Auth(failure), null, null));
                    return;
                }
                user = found;
            }
            if (cache.Applies(name, p))
            {
                cacheKey = ResponseCache.Key(name, user.Id, p);
                version = await cache.VersionAsync(user.Id, ct);
                if (cache.Find(cacheKey, version) is { } hit)
                {
                    // A kept answer is compressed once for clients that take gzip; a computed one goes as it is.
                    if (TakesGzip(http, p) && hit.Gzipped() is { } gzipped) await SendGzippedAsync(http, p, [gzipped]);
                    else await SendAsync(http, hit.Body, hit.ContentType);
                    return;
                }
            }
            var call = new SubsonicCall(http, p, user, p.Get("c"));
            var result = await handler(call);
            if (result.Written) return;
            if (call.DoNotCache) cacheKey = null;
            response = new SubsonicResponse(null, result.Name, result.Payload);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            if (e is not SubsonicException) LogHandlerFailed(logs.CreateLogger("Sillon.Subsonic"), e, name);
            if (http.Response.HasStarted) return;
            response = new SubsonicResponse(SubsonicErrors.From(e), null, null);
            cacheKey = null;
        }
        var (body, contentType) = Serialize(p, response);
        var kept = cacheKey is null ? null : cache.Store(cacheKey, version, body, contentType);
        // A big answer (a sync page of 500 songs is about 400 KB) goes compressed to a client that
        // takes it: at zlib's fastest level a page costs about a millisecond more of CPU, against
        // tens for building it, and a phone syncing a million songs fetches a tenth of the bytes.
        // One kept in the cache is compressed there, once for this request and its later hits.
        if (body.Length >= CompressedFromBytes && TakesGzip(http, p)) await SendGzippedAsync(http, p, [kept?.Gzipped() ?? Gzip(body)]);
        else await SendAsync(http, body, contentType);
    }

    /// <summary>
    /// Computed answers from this size on are compressed for clients that take gzip; smaller ones,
    /// the pages a client browses, cost more CPU to compress than their bytes take to send, unless
    /// kept in the response cache, where they are compressed once (<see cref="ResponseCache.Entry.Gzipped"/>).
    /// </summary>
    public const int CompressedFromBytes = 64 * 1024;

    /// <summary>The bytes gzip-compressed at zlib's fastest level.</summary>
    internal static byte[] Gzip(byte[] body)
    {
        using var output = new MemoryStream(body.Length / 4);
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(body);
        return output.ToArray();
    }

    /// <summary>20 when the client speaks an older major version, 30 when it expects a newer server; no "v" is accepted (many clients omit it).</summary>
    private static SubsonicError? VersionError(string? v)
    {
        if (v is null) return null;
        var parts = v.Split('.');
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)) return new SubsonicError(SubsonicErrors.MissingParameter, "Parameter v is invalid");
        var minor = parts.Length > 1 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : 0;
        if (major < 1) return new SubsonicError(SubsonicErrors.ClientMustUpgrade, "Incompatible Subsonic REST protocol version. Client must upgrade.");
        if (major > 1 || minor > 16) return new SubsonicError(SubsonicErrors.ServerMustUpgrade, "Incompatible Subsonic REST protocol version. Server must upgrade.");
        return null;
    }

    public static Task WriteAsync(HttpContext http, SubsonicParams p, SubsonicResponse response)
    {
        var (body, contentType) = Serialize(p, response);
        return SendAsync(http, body, contentType);
    }

    /// <summary>f=json and f=jsonp ask for JSON; anything else (or nothing) for XML.</summary>
    public static bool WantsJson(SubsonicParams p) => p.Get("f") is "json" or "jsonp";

    /// <summary>The answer as bytes in the format asked for (f=xml, the default; json; jsonp with a callback).</summary>
    private static (byte[] Body, string ContentType) Serialize(SubsonicParams p, SubsonicResponse response)
    {
        var (before, after, contentType) = Wrapping(p);
        var body = WantsJson(p) ? SubsonicWriter.Json(response) : Encoding.UTF8.GetBytes(SubsonicWriter.Xml(response));
        return (before.Length == 0 ? body : [.. before, .. body, .. after], contentType);
    }

    // What goes around the serialized answer, and its type: JSONP is the JSON answer as the argument
    // of the client's callback.
    private static (byte[] Before, byte[] After, string ContentType) Wrapping(SubsonicParams p) =>
        !WantsJson(p) ? ([], [], "text/xml; charset=utf-8")
        : p.Get("f") == "jsonp" && p.Get("callback") is { } callback && IsIdentifier(callback)
            ? (Encoding.UTF8.GetBytes(callback + "("), ");"u8.ToArray(), "application/javascript; charset=utf-8")
            : ([], [], "application/json; charset=utf-8");

    private static Task SendAsync(HttpContext http, byte[] body, string contentType) => SendAsync(http, [body], contentType);

    /// <summary>
    /// Sends an answer a handler holds serialized in pieces (the artist index: one stored document with
    /// the caller's own artists spliced in), in the format asked for, without joining them first.
    /// </summary>
    public static Task SendAsync(HttpContext http, SubsonicParams p, IReadOnlyList<ReadOnlyMemory<byte>> parts)
    {
        var (before, after, contentType) = Wrapping(p);
        return SendAsync(http, before.Length == 0 ? parts : [before, .. parts, after], contentType);
    }

    /// <summary>
    /// Whether the client takes a gzip-compressed answer (Accept-Encoding: gzip, not q=0) that no
    /// JSONP callback wraps. Every HTTP library of the Subsonic clients asks for it (OkHttp, browsers'
    /// fetch). Compressed are the artist index and answers kept in the response cache (each once,
    /// for many requests) and computed answers of <see cref="CompressedFromBytes"/> or more.
    /// </summary>
    public static bool TakesGzip(HttpContext http, SubsonicParams p) =>
        Wrapping(p).Before.Length == 0
        && Microsoft.Net.Http.Headers.StringWithQualityHeaderValue.TryParseList(http.Request.Headers.AcceptEncoding, out var codings)
        && codings.Any(c => c.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && (c.Quality ?? 1) > 0);

    /// <summary>Sends an answer already gzip-compressed (see <see cref="TakesGzip"/>), in pieces.</summary>
    public static Task SendGzippedAsync(HttpContext http, SubsonicParams p, IReadOnlyList<ReadOnlyMemory<byte>> gzipped)
    {
        http.Response.Headers.ContentEncoding = "gzip";
        return SendAsync(http, gzipped, Wrapping(p).ContentType);
    }

    private static async Task SendAsync(HttpContext http, IReadOnlyList<ReadOnlyMemory<byte>> parts, string contentType)
    {
        var res = http.Response;
        res.Headers.CacheControl = "no-store";
        // The same URL answers compressed or not as the client asks: a cache between must tell them apart.
        res.Headers.Vary = "Accept-Encoding";
        res.ContentType = contentType;
        res.ContentLength = parts.Sum(part => (long)part.Length);
        foreach (var part in parts) await res.Body.WriteAsync(part, http.RequestAborted);
    }

    // A JSONP callback is echoed into script: only a dotted JavaScript identifier is accepted.
    private static bool IsIdentifier(string s) =>
        s.Length <= 128 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' or '.') && !char.IsAsciiDigit(s[0]);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subsonic {Endpoint}: authentication failed ({Reason}) from {Address}")]
    private static partial void LogAuthFailed(ILogger log, string endpoint, string reason, string address);

    [LoggerMessage(Level = LogLevel.Error, Message = "Subsonic {Endpoint} failed")]
    private static partial void LogHandlerFailed(ILogger log, Exception e, string endpoint);
}
