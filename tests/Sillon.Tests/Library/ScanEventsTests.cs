using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Library;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Library;

/// <summary>GET /api/v1/scan/events: live progress as Server-Sent Events, for administrators only.</summary>
public sealed class ScanEventsTests
{
    private static readonly Dictionary<string, string?> NoScanOnStart = new() { ["Library:ScanOnStart"] = "false" };

    /// <summary>Reads "event:"/"data:" blocks from an open event stream.</summary>
    private sealed class EventReader(Stream stream) : IDisposable
    {
        private readonly StreamReader _reader = new(stream);

        public async Task<(string Name, JsonElement Data)> NextAsync(TimeSpan? timeout = null)
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
            string? name = null, data = null;
            while (true)
            {
                var line = await _reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("the stream ended");
                if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line["event: ".Length..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line["data: ".Length..];
                else if (line.Length == 0 && name is not null && data is not null) return (name, JsonDocument.Parse(data).RootElement.Clone());
            }
        }

        public void Dispose() => _reader.Dispose();
    }

    private static async Task<HttpResponseMessage> OpenAsync(HttpClient client, string url = "/api/v1/scan/events")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    [Fact]
    public async Task Administrator_sees_status_progress_while_scanning_and_a_final_summary()
    {
        await using var lib = new TestLibrary();
        for (var i = 1; i <= 4; i++)
            await lib.AddAsync($"Artist/Album/{i:00} - Song {i}.mp3", "mp3", new TagSet { Title = $"Song {i}", Artists = ["Artist"], Album = "Album", Track = i });
        await using var server = await SillonServer.StartAsync(lib, NoScanOnStart);
        using var admin = await server.LoginAsync();
        // Hold the scan in its reading phase until the test has seen progress: no race with a fast scan.
        using var release = new SemaphoreSlim(0);
        server.Services.GetRequiredService<Scanner>().BeforeRead = _ => release.Wait(TimeSpan.FromSeconds(30));

        using var response = await OpenAsync(admin);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var events = new EventReader(await response.Content.ReadAsStreamAsync());
        var (name, status) = await events.NextAsync();
        Assert.Equal("status", name);
        Assert.False(status.GetProperty("scanning").GetBoolean());

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/api/v1/scan", null)).StatusCode);
        JsonElement progress;
        do (name, progress) = await events.NextAsync();
        while (name != "progress" || progress.GetProperty("phase").GetString() != "reading");
        Assert.Equal(4, progress.GetProperty("filesFound").GetInt32());
        Assert.True(progress.GetProperty("filesProcessed").GetInt32() < 4);
        Assert.True(progress.TryGetProperty("filesPerSecond", out _));
        Assert.True(progress.TryGetProperty("etaSeconds", out _));
        release.Release(4);

        JsonElement summary;
        do (name, summary) = await events.NextAsync();
        while (name != "summary");
        Assert.Equal("completed", summary.GetProperty("status").GetString());
        Assert.Equal(4, summary.GetProperty("added").GetInt32());
        Assert.Equal(4, summary.GetProperty("tracks").GetInt64());
    }

    [Fact]
    public async Task Tickets_open_one_stream_once_and_strangers_are_refused()
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib, NoScanOnStart);
        using var admin = await server.LoginAsync();
        using var listener = await server.LoginAsync("bob", "s3cret-pass", admin: false);
        using var anonymous = server.Client();

        var ticket = (await (await admin.PostAsync("/api/v1/scan/events/ticket", null)).Content.ReadFromJsonAsync<ScanTicket>())!;
        Assert.Equal(32, ticket.Ticket.Length);
        using (var first = await OpenAsync(anonymous, $"/api/v1/scan/events?ticket={ticket.Ticket}"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            using var events = new EventReader(await first.Content.ReadAsStreamAsync());
            Assert.Equal("status", (await events.NextAsync()).Name);
        }
        using (var again = await OpenAsync(anonymous, $"/api/v1/scan/events?ticket={ticket.Ticket}"))
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        using (var forged = await OpenAsync(anonymous, "/api/v1/scan/events?ticket=00000000000000000000000000000000"))
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        using (var nobody = await OpenAsync(anonymous))
            Assert.Equal(HttpStatusCode.Unauthorized, nobody.StatusCode);
        using (var notAdmin = await OpenAsync(listener))
            Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await listener.PostAsync("/api/v1/scan/events/ticket", null)).StatusCode);
        // The bearer token itself is never accepted in the URL here (only the media endpoints take access_token).
        var token = admin.DefaultRequestHeaders.Authorization!.Parameter;
        using (var tokenInUrl = await OpenAsync(anonymous, $"/api/v1/scan/events?access_token={token}"))
            Assert.Equal(HttpStatusCode.Unauthorized, tokenInUrl.StatusCode);

        // A ticket issued to an administrator who is then demoted opens nothing.
        using var carol = await server.LoginAsync("carol", "s3cret-pass", admin: true);
        var carolTicket = (await (await carol.PostAsync("/api/v1/scan/events/ticket", null)).Content.ReadFromJsonAsync<ScanTicket>())!;
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsJsonAsync("/api/v1/users/carol", new { isAdmin = false })).StatusCode);
        using (var demoted = await OpenAsync(anonymous, $"/api/v1/scan/events?ticket={carolTicket.Ticket}"))
            Assert.Equal(HttpStatusCode.Forbidden, demoted.StatusCode);
    }

    [Fact]
    public async Task Disabled_administrators_session_cannot_open_the_stream()
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib, NoScanOnStart);
        using var admin = await server.LoginAsync();
        using var carol = await server.LoginAsync("carol", "s3cret-pass", admin: true);
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsJsonAsync("/api/v1/users/carol", new { disabled = true })).StatusCode);
        using var response = await OpenAsync(carol);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task An_open_stream_ends_when_its_administrator_is_disabled()
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib, NoScanOnStart);
        using var admin = await server.LoginAsync();
        using var carol = await server.LoginAsync("carol", "s3cret-pass", admin: true);
        using var response = await OpenAsync(carol);
        using var events = new EventReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("status", (await events.NextAsync()).Name);
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsJsonAsync("/api/v1/users/carol", new { disabled = true })).StatusCode);
        var timeout = ScanEvents.Recheck + TimeSpan.FromSeconds(10);
        Assert.Equal("end", (await events.NextAsync(timeout)).Name);
        await Assert.ThrowsAsync<EndOfStreamException>(() => events.NextAsync(timeout));
        var scanEvents = server.Services.GetRequiredService<ScanEvents>();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (scanEvents.ActiveStreams > 0 && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.Equal(0, scanEvents.ActiveStreams);
    }

    [Fact]
    public async Task Streams_of_clients_that_disconnect_are_let_go()
    {
        await using var lib = new TestLibrary();
        await using var server = await SillonServer.StartAsync(lib, NoScanOnStart);
        using var admin = await server.LoginAsync();
        var scanEvents = server.Services.GetRequiredService<ScanEvents>();

        var clients = new List<(HttpClient Client, HttpResponseMessage Response, EventReader Events)>();
        for (var i = 0; i < 3; i++)
        {
            var client = server.Client(admin.DefaultRequestHeaders.Authorization!.Parameter);
            var response = await OpenAsync(client);
            var events = new EventReader(await response.Content.ReadAsStreamAsync());
            Assert.Equal("status", (await events.NextAsync()).Name);
            clients.Add((client, response, events));
        }
        Assert.Equal(3, scanEvents.ActiveStreams);
        foreach (var (client, response, events) in clients)
        {
            events.Dispose();
            response.Dispose();
            client.Dispose();
        }
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (scanEvents.ActiveStreams > 0 && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.Equal(0, scanEvents.ActiveStreams);
    }
}
