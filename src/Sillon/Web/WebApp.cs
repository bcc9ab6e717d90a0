using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Sillon.Web;

/// <summary>
/// The web player: plain static files (ES modules, CSS, no build step) copied from Web/app to the
/// output's web/ folder and served from the same origin as the API. They are served before
/// authentication, so the app shell loads for a logged-out visitor; everything it then fetches
/// from /api needs a token.
/// </summary>
public static class WebApp
{
    public const string Folder = "web";

    // Brotli at its "optimal" level (quality 4), not its fastest (quality 1): on a page of 200 tracks
    // quality 1 sent 39 KB against gzip's 15 KB, quality 4 sends 10 KB for about 0.6 ms more CPU
    // than gzip (benchmarks.md, session 15). Browsers ask for br; other clients mostly for gzip.
    public static IServiceCollection AddSillonWebApp(this IServiceCollection services) =>
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = System.IO.Compression.CompressionLevel.Optimal).AddResponseCompression(o =>
        {
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            // The web player's files and the REST API's JSON (a page of 100 albums: 31 KB, 6.4 KB in brotli).
            // Never audio or images: those types are not listed, so ranges and lengths stay exact.
            o.MimeTypes = ["text/html", "text/css", "text/javascript", "application/javascript", "application/manifest+json", "image/svg+xml",
                "application/json", "application/problem+json"];
        });

    public static void UseSillonWebApp(this WebApplication app)
    {
        // The Subsonic API compresses its own answers (SubsonicEndpoints.TakesGzip): some are kept compressed.
        // Audio and images stay out (SendsMedia). Routing has already chosen the endpoint here.
        app.UseWhen(http => !http.Request.Path.StartsWithSegments("/rest") && http.GetEndpoint()?.Metadata.GetMetadata<Streaming.SendsMedia>() is null,
            all => all.UseResponseCompression());
        var root = Path.Combine(AppContext.BaseDirectory, Folder);
        if (!Directory.Exists(root)) return;
        var files = new PhysicalFileProvider(root);
        app.UseWhen(http => !http.Request.Path.StartsWithSegments("/api") && !http.Request.Path.StartsWithSegments("/rest"), web =>
        {
            web.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            var types = new Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider();
            types.Mappings[".webmanifest"] = "application/manifest+json";
            web.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                ContentTypeProvider = types,
                OnPrepareResponse = ctx =>
                {
                    var headers = ctx.Context.Response.Headers;
                    // No fingerprinted names (no build step), so the browser revalidates each file by its ETag;
                    // the service worker keeps the shell for offline use.
                    headers.CacheControl = "no-cache";
                    headers.XContentTypeOptions = "nosniff";
                    if (ctx.File.Name.EndsWith(".html", StringComparison.Ordinal))
                    {
                        // Media URLs carry a token (access_token): never send them as a Referer.
                        headers[HeaderNames.ContentSecurityPolicy] =
                            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; " +
                            "connect-src 'self'; manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
                        headers["Referrer-Policy"] = "no-referrer";
                    }
                },
            });
        });
    }
}
