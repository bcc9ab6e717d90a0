using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using Sillon.Accounts;
using Sillon.Catalog;
using Sillon.Data;
using Sillon.Library;
using Sillon.Listening;
using Sillon.Lyrics;
using Sillon.Observability;
using Sillon.Playlists;
using Sillon.Podcasts;
using Sillon.Scrobbling;
using Sillon.Search;
using Sillon.Streaming;
using Sillon.Streaming.Transcoding;
using Sillon.Subsonic;
using Sillon.Web;

namespace Sillon;

/// <summary>Composes Sillon: the services every command needs, and the web host that `serve` runs.</summary>
public static partial class SillonApp
{
    /// <summary>Services shared by `serve` and the one-shot commands (scan, user).</summary>
    public static IServiceCollection AddSillonCore(this IServiceCollection services, IConfiguration configuration)
    {
        var options = SillonConfiguration.Bind(configuration);
        services.TryAddSingleton<IConfiguration>(configuration);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        // Made by the container so that it is disposed with it (the SQLite connections it keeps open).
        services.AddSingleton(_ => Database.For(options));
        services.AddOptions<LibraryOptions>().BindConfiguration("Library").Validate(o => o.BatchSize > 0 && o.ReadThreads >= 0, "Library:BatchSize must be positive").ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<SillonMetrics>();
        services.AddSingleton<ScanState>();
        services.AddSingleton<LibraryFolders>();
        services.AddSingleton<Scanner>();
        services.AddSingleton<PasswordVault>();
        services.AddSingleton<Users>();
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<Sessions>();
        services.AddSingleton<CatalogQueries>();
        services.AddSingleton<CoverArt>();
        return services;
    }

    public static WebApplication Build(IConfiguration configuration, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        // Request lines carry query strings (Subsonic clients put credentials there): keep the framework quiet.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

        var services = builder.Services;
        services.AddSillonCore(builder.Configuration);
        var options = SillonConfiguration.Bind(builder.Configuration);
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);

        services.AddSingleton<ScanTrigger>();
        services.AddSingleton<ScanEvents>();
        services.AddHostedService<LibraryService>();
        services.AddSingleton<IAudioStore, LocalAudioStore>();
        services.AddSingleton<FileSender>();
        services.AddOptions<TranscodeOptions>().BindConfiguration("Transcoding")
            .Validate(o => o.CacheBytes >= 0 && o.MaxProcesses >= 0 && o.RunningProcesses >= 0 && o.Watchdog > TimeSpan.Zero && o.SchedulerTick > TimeSpan.Zero && o.MaxLead >= TimeSpan.Zero
                    && o.WarmEncoders >= 0 && o.WarmIdle > TimeSpan.Zero,
                "Transcoding: CacheBytes, MaxProcesses, RunningProcesses, MaxLead and WarmEncoders must not be negative, Watchdog, SchedulerTick and WarmIdle must be positive")
            .ValidateOnStart();
        services.AddSingleton<TranscodeCache>();
        services.AddSingleton<EncoderScheduler>();
        services.AddSingleton<WarmEncoders>();
        services.AddHostedService<OrphanEncoders>();
        services.AddSingleton<Transcoder>();
        services.AddSingleton<StreamService>();
        services.AddListening();
        services.AddSubsonic();
        services.AddSingleton<SubsonicQueries>();
        services.AddScrobbling();
        services.AddSingleton<LyricsReader>();
        services.AddPodcasts();
        services.AddPlaylists();
        services.AddSingleton<Sillon.Catalog.KeysetPages>();
        services.AddSingleton<ArtistShelf>();
        services.AddHostedService<ArtistShelf.Warmup>();
        services.AddHostedService<CatalogQueries.Warmup>();
        services.AddSillonHealth();
        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddSillonWebApp();
        services.AddAuthentication(BearerHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, BearerHandler>(BearerHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy("admin", p => p.RequireRole("admin"))
            .AddRolePolicies()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Password guessing: a few tries a minute per address.
            o.AddPolicy("login", http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(SillonMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        configure?.Invoke(builder);

        var app = builder.Build();
        if (Database.RefuseSecondConnection) app.Use(async (context, next) => { using (Database.OneAtATime()) await next(context); });
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = e => e is BadHttpRequestException b ? b.StatusCode : 500 });
        app.UseStatusCodePages();
        app.UseRateLimiter();
        app.UseSillonWebApp();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapSillonHealth();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        var api = app.MapGroup("/api/v1");
        api.MapAccountEndpoints();
        api.MapUserAdminEndpoints();
        api.MapScanEndpoints();
        api.MapFolderEndpoints();
        api.MapCatalogEndpoints();
        api.MapSearchEndpoints();
        api.MapStreamEndpoints();
        api.MapListeningEndpoints();
        api.MapScrobbleEndpoints();
        api.MapLyricsEndpoints();
        api.MapPodcastEndpoints();
        api.MapPlaylistEndpoints();
        app.MapSubsonicEndpoints();
        return app;
    }

    public static string Version => typeof(SillonApp).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Migrate, create the first admin when asked to, then serve until stopped.</summary>
    public static async Task<int> ServeAsync(WebApplication app, CancellationToken ct)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sillon");
        var options = app.Services.GetRequiredService<SillonOptions>();
        await PrepareAsync(app, log, ct);
        var roots = await app.Services.GetRequiredService<LibraryFolders>().RootsAsync(ct);
        foreach (var root in roots.Where(r => !Directory.Exists(r))) LogMissingRoot(log, root);
        if (roots.Count == 0) LogNoMusic(log);
        await app.StartAsync(ct);
        app.Services.GetRequiredService<Readiness>().MarkReady();
        LogListening(log, Version, string.Join(", ", app.Urls), options.Data);
        await app.WaitForShutdownAsync(ct);
        return 0;
    }

    /// <summary>Run before the host accepts requests: the database at the current schema, and a first account if configured.</summary>
    public static async Task PrepareAsync(WebApplication app, ILogger log, CancellationToken ct)
    {
        var time = app.Services.GetRequiredService<TimeProvider>();
        var db = app.Services.GetRequiredService<Database>();
        var version = await db.MigrateAsync(time, ct, log);
        LogMigrated(log, db.Describe(), version);
        var users = app.Services.GetRequiredService<Users>();
        if (await users.CountAsync(ct) > 0) return;
        var name = app.Configuration["ADMIN_USER"];
        var password = app.Configuration["ADMIN_PASSWORD"];
        if (!string.IsNullOrEmpty(name) && !string.IsNullOrEmpty(password))
        {
            var (result, _) = await users.AddAsync(name, password, isAdmin: true, ct);
            if (result == UserResult.Ok) LogAdminCreated(log, name);
            else LogAdminRejected(log, result.ToString());
            return;
        }
        var data = app.Services.GetRequiredService<SillonOptions>().Data;
        LogNoUser(log, data);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Database} at schema version {Version}")]
    private static partial void LogMigrated(ILogger log, string database, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sillon {Version} listening on {Urls}, data in {Data}")]
    private static partial void LogListening(ILogger log, string version, string urls, string data);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first admin account '{Name}' from SILLON_ADMIN_USER")]
    private static partial void LogAdminCreated(ILogger log, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "SILLON_ADMIN_USER/SILLON_ADMIN_PASSWORD rejected: {Reason}")]
    private static partial void LogAdminRejected(ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No user yet. Create the first one with:  sillon user add admin --admin --password-stdin --data {Data}  (or start with SILLON_ADMIN_USER and SILLON_ADMIN_PASSWORD set)")]
    private static partial void LogNoUser(ILogger log, string data);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Music folder {Root} does not exist or is not mounted; its tracks are kept until it comes back")]
    private static partial void LogMissingRoot(ILogger log, string root);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No music folder configured: pass --music DIR (or set SILLON_MUSIC), or add one on the admin page")]
    private static partial void LogNoMusic(ILogger log);
}
