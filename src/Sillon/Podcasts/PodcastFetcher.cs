using Microsoft.Extensions.Options;

namespace Sillon.Podcasts;

/// <summary>
/// Fetches feeds and enclosures defensively: http(s) only, redirects followed by hand (at most
/// MaxRedirects, a loop is named as such), a deadline for feeds, an idle deadline for downloads,
/// and size caps checked against Content-Length first and against the bytes actually read after.
/// </summary>
public sealed class PodcastFetcher(IHttpClientFactory clients, IOptions<PodcastOptions> options)
{
    public const string HttpClientName = "podcasts";

    public static void Configure(IServiceCollection services) =>
        services.AddHttpClient(HttpClientName, http =>
        {
            http.Timeout = Timeout.InfiniteTimeSpan; // our own deadlines apply
            http.DefaultRequestHeaders.UserAgent.ParseAdd($"Sillon/{SillonApp.Version} (podcasts)");
        }).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.All, // decompressed bytes are what the caps count
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });

    public static Uri CheckUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > 2048 || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new PodcastException("the address must be an absolute http or https URL");
        return uri;
    }

    public async Task<byte[]> FeedAsync(Uri url, CancellationToken ct)
    {
        var o = options.Value;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(o.FeedTimeout);
        try
        {
            using var response = await GetAsync(url, deadline.Token);
            if (response.Content.Headers.ContentLength > o.MaxFeedBytes)
                throw new PodcastException($"the feed is {response.Content.Headers.ContentLength} bytes, more than the {o.MaxFeedBytes} allowed");
            await using var body = await response.Content.ReadAsStreamAsync(deadline.Token);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int n;
            while ((n = await body.ReadAsync(chunk, deadline.Token)) > 0)
            {
                if (buffer.Length + n > o.MaxFeedBytes) throw new PodcastException($"the feed is more than the {o.MaxFeedBytes} bytes allowed");
                buffer.Write(chunk, 0, n);
            }
            return buffer.ToArray();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new PodcastException($"the feed did not arrive within {o.FeedTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e) { throw new PodcastException($"the feed could not be fetched: {e.Message}", e); }
    }

    /// <summary>Downloads an enclosure into <paramref name="destination"/> (through a .part file); returns its content type.</summary>
    public async Task<string> DownloadAsync(Uri url, string destination, CancellationToken ct)
    {
        var o = options.Value;
        using var total = CancellationTokenSource.CreateLinkedTokenSource(ct);
        total.CancelAfter(o.DownloadTimeout);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(total.Token);
        idle.CancelAfter(o.DownloadIdleTimeout);
        var part = destination + ".part";
        try
        {
            using var response = await GetAsync(url, idle.Token);
            var type = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant() ?? "application/octet-stream";
            if (!(type.StartsWith("audio/", StringComparison.Ordinal) || type is "application/ogg" or "application/octet-stream" or "binary/octet-stream"))
                throw new PodcastException($"the episode is not audio (Content-Type {type})");
            if (response.Content.Headers.ContentLength > o.MaxEpisodeBytes)
                throw new PodcastException($"the episode is {response.Content.Headers.ContentLength} bytes, more than the {o.MaxEpisodeBytes} allowed");
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            await using (var body = await response.Content.ReadAsStreamAsync(idle.Token))
            await using (var file = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var chunk = new byte[81920];
                long count = 0;
                int n;
                while ((n = await body.ReadAsync(chunk, idle.Token)) > 0)
                {
                    count += n;
                    if (count > o.MaxEpisodeBytes) throw new PodcastException($"the episode is more than the {o.MaxEpisodeBytes} bytes allowed");
                    await file.WriteAsync(chunk.AsMemory(0, n), idle.Token);
                    idle.CancelAfter(o.DownloadIdleTimeout);
                }
            }
            File.Move(part, destination, overwrite: true);
            return type;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new PodcastException(total.IsCancellationRequested
                ? $"the download took longer than {o.DownloadTimeout}" : $"the server sent nothing for {o.DownloadIdleTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e) { throw new PodcastException($"the episode could not be fetched: {e.Message}", e); }
        catch (IOException e) { throw new PodcastException($"the episode could not be fetched or stored: {e.Message}", e); }
        finally
        {
            if (File.Exists(part)) File.Delete(part);
        }
    }

    private async Task<HttpResponseMessage> GetAsync(Uri url, CancellationToken ct)
    {
        var client = clients.CreateClient(HttpClientName);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var hop = 0; ; hop++)
        {
            if (url.Scheme is not ("http" or "https")) throw new PodcastException($"only http and https addresses are followed, not {url.Scheme}:");
            if (!seen.Add(url.AbsoluteUri)) throw new PodcastException($"redirect loop: {url} was reached twice");
            if (hop > options.Value.MaxRedirects) throw new PodcastException($"more than {options.Value.MaxRedirects} redirects");
            var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead, ct);
            var code = (int)response.StatusCode;
            if (code is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                response.Dispose();
                url = new Uri(url, location);
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                response.Dispose();
                throw new PodcastException($"{url.Host} answered HTTP {code}");
            }
            return response;
        }
    }
}
