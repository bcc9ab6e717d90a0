using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Listening;

/// <summary>The real `sillon serve` process, killed with SIGKILL right after acknowledging a play.</summary>
public sealed class PlayDurabilityTests : IAsyncLifetime
{
    private readonly TestLibrary _lib = new();

    [Fact]
    public async Task An_acknowledged_play_survives_the_server_being_killed()
    {
        await _lib.AddAsync("Solo/Album/01.mp3", "mp3", new TagSet { Title = "Survivor", Artists = ["Solo"], Album = "Album" });
        var port = FreePort();
        var psi = SillonCli.StartInfo(["serve", "--music", _lib.Music, "--data", _lib.Data, "--urls", $"http://127.0.0.1:{port}"]);
        psi.Environment["SILLON_ADMIN_USER"] = "keeper";
        psi.Environment["SILLON_ADMIN_PASSWORD"] = "keeper-pass";
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var server = await StartAsync(psi, http);
        var acknowledged = new List<long>();
        try
        {
            var token = await LoginAsync(http);
            var track = await FirstTrackAsync(http, token);
            // Several plays in a row; the process dies right after the last acknowledgement.
            for (var i = 0; i < 5; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/me/plays") { Content = JsonContent.Create(new { trackId = track, msPlayed = 1000 }) };
                request.Headers.Authorization = new("Bearer", token);
                using var response = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                acknowledged.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
            }
        }
        finally
        {
            server.Kill(entireProcessTree: true); // SIGKILL: no shutdown, no checkpoint
            await server.WaitForExitAsync();
            server.Dispose();
        }

        server = await StartAsync(psi, http);
        try
        {
            var token = await LoginAsync(http);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me/plays?limit=10");
            request.Headers.Authorization = new("Bearer", token);
            var history = await (await http.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(acknowledged.AsEnumerable().Reverse(), history.EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            server.Dispose();
        }
    }

    private static async Task<Process> StartAsync(ProcessStartInfo psi, HttpClient http)
    {
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            try
            {
                if ((await http.GetAsync("/readyz")).IsSuccessStatusCode) return process;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException("sillon serve did not become ready");
    }

    private static async Task<string> LoginAsync(HttpClient http)
    {
        var response = await http.PostAsJsonAsync("/api/v1/auth/login", new { username = "keeper", password = "keeper-pass" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    private static async Task<string> FirstTrackAsync(HttpClient http, string token)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < until)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tracks");
            request.Headers.Authorization = new("Bearer", token);
            var page = await (await http.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>();
            if (page.GetProperty("items").GetArrayLength() > 0) return page.GetProperty("items")[0].GetProperty("id").GetString()!;
            await Task.Delay(100);
        }
        throw new TimeoutException("the scan did not find the track");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _lib.DisposeAsync();
}
