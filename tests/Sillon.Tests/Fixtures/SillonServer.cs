using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sillon.Accounts;

namespace Sillon.Tests.Fixtures;

/// <summary>The real server (Kestrel on a free loopback port) over a test library.</summary>
public sealed class SillonServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    public Uri BaseAddress { get; }
    public IServiceProvider Services => _app.Services;
    public List<string> Logs { get; }

    private SillonServer(WebApplication app, Uri baseAddress, List<string> logs)
    {
        _app = app;
        BaseAddress = baseAddress;
        Logs = logs;
    }

    public static async Task<SillonServer> StartAsync(TestLibrary library, IDictionary<string, string?>? settings = null)
    {
        var extra = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Library:ScanInterval"] = "00:00:00",
            ["Library:WatchDebounce"] = "00:00:00.200",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) extra[k] = v;
        var logs = new List<string>();
        var app = SillonApp.Build(library.Configuration(extra: extra), b => b.Logging.AddProvider(new ListLoggerProvider(logs)));
        await SillonApp.PrepareAsync(app, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sillon"), CancellationToken.None);
        await app.StartAsync();
        app.Services.GetRequiredService<Sillon.Observability.Readiness>().MarkReady();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SillonServer(app, new Uri(address), logs);
    }

    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Creates the account and returns a client logged in as it.</summary>
    public async Task<HttpClient> LoginAsync(string name = "alice", string password = "s3cret-pass", bool admin = true)
    {
        var users = Services.GetRequiredService<Users>();
        await users.AddAsync(name, password, admin, CancellationToken.None);
        using var anonymous = Client();
        var response = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = name, password });
        response.EnsureSuccessStatusCode();
        var login = await response.Content.ReadFromJsonAsync<LoginResponse>();
        return Client(login!.Token);
    }

    /// <summary>Waits until no scan is running and at least one has finished.</summary>
    public async Task WaitForScanAsync(TimeSpan? timeout = null)
    {
        var state = Services.GetRequiredService<Sillon.Library.ScanState>();
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < until)
        {
            if (state.Current is null && state.Last is not null) return;
            await Task.Delay(50);
        }
        throw new TimeoutException("the scan did not finish");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class ListLoggerProvider(List<string> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(logs, categoryName);
        public void Dispose() { }
    }

    private sealed class ListLogger(List<string> logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (logs) logs.Add($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
    }
}
