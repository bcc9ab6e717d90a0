using System.IO.Compression;
using System.Net;

namespace Sillon.Tests.Fixtures;

/// <summary>Compressed answers as a client sees them.</summary>
public static class Gzip
{
    public static async Task<byte[]> InflateAsync(byte[] gzipped)
    {
        await using var inflate = new GZipStream(new MemoryStream(gzipped), CompressionMode.Decompress);
        using var inflated = new MemoryStream();
        await inflate.CopyToAsync(inflated);
        return inflated.ToArray();
    }

    /// <summary>
    /// A GET asking for <paramref name="accept"/> (no Accept-Encoding when null): its content
    /// encodings and its body as sent. The answer must be 200, say it varies by Accept-Encoding and
    /// say its length up front; ASP.NET Core's compression middleware (<paramref name="byMiddleware"/>)
    /// streams a compressed answer out as it compresses it, and says Vary only to a client that asked.
    /// </summary>
    public static async Task<(string[] Encoding, byte[] Body)> GetAsync(HttpClient http, string pathAndQuery, string? accept, bool byMiddleware = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        if (accept is not null) request.Headers.AcceptEncoding.ParseAdd(accept);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (!byMiddleware || accept is not null) Assert.Contains("Accept-Encoding", response.Headers.Vary);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!byMiddleware || response.Content.Headers.ContentLength is not null) Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        return ([.. response.Content.Headers.ContentEncoding], body);
    }
}
