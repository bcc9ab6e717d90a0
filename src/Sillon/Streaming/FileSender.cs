using System.Globalization;
using System.Text;
using Microsoft.Net.Http.Headers;
using Sillon.Observability;

namespace Sillon.Streaming;

/// <summary>
/// Endpoint metadata (<c>.WithMetadata(SendsMedia.Metadata)</c>): the endpoint sends audio or images.
/// ASP.NET Core's compression middleware is kept off such requests (<see cref="Web.WebApp"/>). It
/// would compress nothing there (their types are not listed), but for a client that sends any
/// Accept-Encoding, as browsers' audio elements do, it wraps the response in a stream, and every
/// byte that <see cref="IAudioStore.SendAsync"/> reads straight into Kestrel's buffers is copied once more.
/// </summary>
public sealed class SendsMedia
{
    public static readonly SendsMedia Metadata = new();

    private SendsMedia() { }
}

/// <summary>
/// Sends a stored file the way players expect: single and multiple byte ranges, HEAD, conditional
/// requests (ETag, Last-Modified, If-Range) and the file's own content type.
/// </summary>
public sealed class FileSender(IAudioStore store, SillonMetrics metrics)
{
    public async Task SendAsync(HttpContext http, string path, string contentType, CancellationToken ct)
    {
        var request = http.Request;
        var response = http.Response;
        var stat = await store.StatAsync(path, ct);
        if (stat is null)
        {
            await Results.Problem("the track's file is missing from the library; the next scan will remove it", statusCode: 404).ExecuteAsync(http);
            return;
        }

        var length = stat.Length;
        var lastModified = DateTimeOffset.FromUnixTimeSeconds(stat.LastModified.ToUnixTimeSeconds());
        var etag = $"\"{length:x}-{stat.LastModified.ToUnixTimeMilliseconds():x}\"";
        var headers = response.Headers;
        headers.ETag = etag;
        headers.LastModified = lastModified.ToString("R", CultureInfo.InvariantCulture);
        headers.AcceptRanges = "bytes";
        headers.CacheControl = "private, max-age=86400";

        if (NotModified(request, etag, lastModified))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        var rangeHeader = request.Headers.Range.ToString();
        if (!string.IsNullOrEmpty(rangeHeader) && !IfRangeHolds(request, etag, lastModified)) rangeHeader = null;
        var (outcome, ranges) = RangeRequest.Parse(rangeHeader, length);
        var head = HttpMethods.IsHead(request.Method);

        switch (outcome)
        {
            case RangeRequest.Outcome.Unsatisfiable:
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                headers.ContentRange = $"bytes */{length}";
                return;
            case RangeRequest.Outcome.Satisfiable when ranges.Count == 1:
                var range = ranges[0];
                response.StatusCode = StatusCodes.Status206PartialContent;
                headers.ContentRange = $"bytes {range.Start}-{range.End}/{length}";
                response.ContentType = contentType;
                response.ContentLength = range.Length;
                if (!head) await SendCountedAsync(response, path, range.Start, range.Length, ct);
                return;
            case RangeRequest.Outcome.Satisfiable:
                await SendMultipartAsync(response, path, contentType, length, ranges, head, ct);
                return;
            default:
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = contentType;
                response.ContentLength = length;
                if (!head) await SendCountedAsync(response, path, 0, length, ct);
                return;
        }
    }

    private async Task SendMultipartAsync(HttpResponse response, string path, string contentType, long length, List<ByteRange> ranges, bool head, CancellationToken ct)
    {
        var boundary = "sillon-" + Guid.NewGuid().ToString("N");
        var parts = ranges.Select(r => (Range: r, Header: Encoding.ASCII.GetBytes(
            $"\r\n--{boundary}\r\nContent-Type: {contentType}\r\nContent-Range: bytes {r.Start}-{r.End}/{length}\r\n\r\n"))).ToList();
        var closing = Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n");
        response.StatusCode = StatusCodes.Status206PartialContent;
        response.ContentType = $"multipart/byteranges; boundary={boundary}";
        response.ContentLength = parts.Sum(p => p.Header.Length + p.Range.Length) + closing.Length;
        if (head) return;
        foreach (var (range, header) in parts)
        {
            await response.Body.WriteAsync(header, ct);
            await SendCountedAsync(response, path, range.Start, range.Length, ct);
        }
        await response.Body.WriteAsync(closing, ct);
    }

    private async Task SendCountedAsync(HttpResponse response, string path, long offset, long count, CancellationToken ct)
    {
        metrics.StreamStarted();
        var sent = 0L;
        try
        {
            sent = await store.SendAsync(response, path, offset, count, ct);
        }
        finally
        {
            metrics.StreamEnded(sent);
        }
    }

    private static bool NotModified(HttpRequest request, string etag, DateTimeOffset lastModified)
    {
        var ifNoneMatch = request.Headers.IfNoneMatch.ToString();
        if (!string.IsNullOrEmpty(ifNoneMatch))
            return ifNoneMatch.Trim() == "*" || EntityTagHeaderValue.TryParseList(request.Headers.IfNoneMatch, out var tags)
                && tags.Any(t => t.Tag.Value == etag);
        return DateTimeOffset.TryParse(request.Headers.IfModifiedSince.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since)
            && lastModified <= since;
    }

    /// <summary>If-Range: the range applies only if the client's copy is the current one (strong ETag or exact date).</summary>
    private static bool IfRangeHolds(HttpRequest request, string etag, DateTimeOffset lastModified)
    {
        var ifRange = request.Headers.IfRange.ToString().Trim();
        if (string.IsNullOrEmpty(ifRange)) return true;
        if (ifRange.StartsWith('"') || ifRange.StartsWith("W/", StringComparison.Ordinal)) return ifRange == etag;
        return DateTimeOffset.TryParse(ifRange, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) && date == lastModified;
    }
}
