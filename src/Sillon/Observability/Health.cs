using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sillon.Observability;

/// <summary>Set once the database is migrated and the server accepts requests: what /readyz reports.</summary>
public sealed class Readiness
{
    private volatile bool _ready;
    public bool IsReady => _ready;
    public void MarkReady() => _ready = true;
}

public sealed class ReadinessCheck(Readiness readiness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(readiness.IsReady ? HealthCheckResult.Healthy("migrated and serving") : HealthCheckResult.Unhealthy("starting"));
}

/// <summary>Degraded, not unhealthy, without ffmpeg: originals still stream.</summary>
public sealed class TranscodingCheck(Sillon.Streaming.Transcoding.Transcoder transcoder) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(transcoder.Available ? HealthCheckResult.Healthy("transcoding available") : HealthCheckResult.Degraded(transcoder.UnavailableReason));
}

public static class HealthEndpoints
{
    public static IServiceCollection AddSillonHealth(this IServiceCollection services)
    {
        services.AddSingleton<Readiness>();
        services.AddHealthChecks()
            .AddCheck<ReadinessCheck>("ready", tags: ["ready"])
            .AddCheck<TranscodingCheck>("transcoding", tags: ["ready"]);
        return services;
    }

    public static void MapSillonHealth(this IEndpointRouteBuilder app)
    {
        // Alive: the process answers. Ready: migrated and serving.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteReport }).AllowAnonymous();
    }

    /// <summary>"Healthy", or the status followed by what is not healthy, one line each.</summary>
    private static Task WriteReport(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "text/plain; charset=utf-8";
        var lines = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}: {e.Value.Description}");
        return http.Response.WriteAsync(string.Join('\n', [report.Status.ToString(), .. lines]));
    }
}
