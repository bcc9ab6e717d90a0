using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sillon.Tests.Podcasts;

/// <summary>
/// A podcast host on loopback: good RSS and Atom feeds (each name gives its own feed and enclosures),
/// and every kind of hostile answer a feed or an enclosure can give.
/// </summary>
public sealed class FakePodcastHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly byte[] _audio;
    public Uri Base { get; private set; } = null!;
    /// <summary>Extra items per feed name, to see a refresh pick them up.</summary>
    public ConcurrentDictionary<string, int> ExtraItems { get; } = new();
    public ConcurrentDictionary<string, int> Hits { get; } = new();

    private FakePodcastHost(WebApplication app, byte[] audio) { _app = app; _audio = audio; }

    public static async Task<FakePodcastHost> StartAsync(byte[] audio)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var host = new FakePodcastHost(app, audio);
        app.Use(async (http, next) => { host.Hits.AddOrUpdate(http.Request.Path.Value ?? "", 1, (_, n) => n + 1); await next(); });
        app.MapGet("/rss/{name}", (string name, HttpContext http) => Xml(http, host.Rss(name)));
        app.MapGet("/atom/{name}", (string name, HttpContext http) => Xml(http, host.Atom(name)));
        app.MapGet("/hostile/{kind}", host.HostileAsync);
        app.MapGet("/loop/a", () => Results.Redirect("/loop/b"));
        app.MapGet("/loop/b", () => Results.Redirect("/loop/a"));
        app.MapGet("/hops/{n:int}", (int n) => n == 0 ? Results.Redirect("/rss/hops") : Results.Redirect($"/hops/{n - 1}"));
        app.MapGet("/audio/{**rest}", host.AudioAsync);
        await app.StartAsync();
        host.Base = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return host;
    }

    public string Url(string path) => new Uri(Base, path).ToString();

    private static async Task Xml(HttpContext http, string xml)
    {
        http.Response.ContentType = "application/rss+xml; charset=utf-8";
        await http.Response.WriteAsync(xml);
    }

    /// <summary>RSS 2.0 with iTunes tags: episode N published N days after 2026-01-01, newest first.</summary>
    public string Rss(string name, string? enclosurePath = null)
    {
        var count = 3 + ExtraItems.GetValueOrDefault(name);
        var items = new StringBuilder();
        for (var i = count; i >= 1; i--)
        {
            var date = new DateTimeOffset(2026, 1, 1, 8, 0, 0, TimeSpan.Zero).AddDays(i).ToString("R");
            var url = Url(enclosurePath ?? $"/audio/{name}/episode-{i}.mp3");
            items.Append($"""
                <item>
                  <title>{name} episode {i}</title>
                  <guid isPermaLink="false">{name}-{i}</guid>
                  <pubDate>{date}</pubDate>
                  <description>Plain description {i}</description>
                  <itunes:summary>Summary of episode {i}</itunes:summary>
                  <itunes:duration>00:0{i}:30</itunes:duration>
                  <enclosure url="{System.Security.SecurityElement.Escape(url)}" type="audio/mpeg" length="{_audio.Length}"/>
                </item>
                """);
        }
        return $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
              <channel>
                <title>{name} show</title>
                <link>https://example.org/{name}</link>
                <description>All about {name}</description>
                <itunes:author>{name} host</itunes:author>
                <itunes:image href="https://example.org/{name}.jpg"/>
                <item><title>No enclosure, not an episode</title></item>
                {items}
              </channel>
            </rss>
            """;
    }

    private string Atom(string name) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
          <title>{name} atom show</title>
          <subtitle>An Atom podcast</subtitle>
          <author><name>Atom Author</name></author>
          <link rel="alternate" href="https://example.org/atom"/>
          <logo>https://example.org/atom.png</logo>
          <id>urn:uuid:{name}</id>
          <updated>2026-03-01T10:00:00Z</updated>
          <entry>
            <id>urn:uuid:{name}-1</id>
            <title>Atom episode</title>
            <published>2026-03-01T10:00:00+01:00</published>
            <summary>The only one</summary>
            <itunes:duration>125</itunes:duration>
            <link rel="enclosure" href="{Url($"/audio/{name}/atom.mp3")}" type="audio/mpeg" length="{_audio.Length}"/>
          </entry>
        </feed>
        """;

    private async Task HostileAsync(string kind, HttpContext http)
    {
        var response = http.Response;
        response.ContentType = "application/xml";
        switch (kind)
        {
            case "malformed":
                await response.WriteAsync("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Broken</title><item>");
                return;
            case "xxe":
                await response.WriteAsync("""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>&xxe;</title></channel></rss>""");
                return;
            case "laughs":
                var sb = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
                for (var i = 1; i <= 9; i++) sb.Append($"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? "" : (i - 1).ToString())};", 10))}\">");
                sb.Append("]><rss version=\"2.0\"><channel><title>&lol9;</title></channel></rss>");
                await response.WriteAsync(sb.ToString());
                return;
            case "html":
                response.ContentType = "text/html";
                await response.WriteAsync("<!doctype html><html><body>Not a feed</body></html>");
                return;
            case "notfeed":
                await response.WriteAsync("<?xml version=\"1.0\"?><catalog><book>not a podcast</book></catalog>");
                return;
            case "huge":
                // No Content-Length: only counting the bytes can stop it.
                var chunk = Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>" + new string('x', 60_000));
                await response.Body.WriteAsync(chunk);
                var filler = Encoding.UTF8.GetBytes(new string('y', 64 * 1024));
                for (var i = 0; i < 400 && !http.RequestAborted.IsCancellationRequested; i++) await response.Body.WriteAsync(filler, http.RequestAborted);
                return;
            case "huge-declared":
                response.ContentLength = 50L * 1024 * 1024;
                await response.Body.WriteAsync(Encoding.UTF8.GetBytes("<rss>"));
                return;
            case "slow":
                await Task.Delay(TimeSpan.FromSeconds(20), http.RequestAborted);
                return;
            case "ftp":
                response.StatusCode = 302;
                response.Headers.Location = "ftp://example.org/feed.xml";
                return;
            default:
                response.StatusCode = 404;
                return;
        }
    }

    private async Task AudioAsync(string rest, HttpContext http)
    {
        var response = http.Response;
        if (rest.Contains("not-audio", StringComparison.Ordinal)) { response.ContentType = "text/html"; await response.WriteAsync("<html>a page, not audio</html>"); return; }
        if (rest.Contains("random-bytes", StringComparison.Ordinal)) { response.ContentType = "audio/mpeg"; await response.Body.WriteAsync(new Random(7).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 50_000)); return; }
        if (rest.Contains("too-big-declared", StringComparison.Ordinal)) { response.ContentType = "audio/mpeg"; response.ContentLength = 500L * 1024 * 1024; await response.Body.WriteAsync(_audio.AsMemory(0, 1000)); return; }
        if (rest.Contains("too-big-streamed", StringComparison.Ordinal))
        {
            response.ContentType = "audio/mpeg";
            for (var i = 0; i < 100 && !http.RequestAborted.IsCancellationRequested; i++) await response.Body.WriteAsync(_audio, http.RequestAborted);
            return;
        }
        response.ContentType = "audio/mpeg";
        response.ContentLength = _audio.Length;
        await response.Body.WriteAsync(_audio);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
